// k8syaml reads YAML on stdin and prints what sigs.k8s.io/yaml makes of it: the JSON that
// kubectl sends to the API server (YAMLToJSON), one line per document given as a JSON list of
// YAML texts. It exists only so that dxguard's tests can compare dxguard's YAML reading with the
// real library; dxguard never runs it.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/yaml"
)

type answer struct {
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var texts []string
	if err := json.Unmarshal(in, &texts); err != nil {
		fmt.Fprintln(os.Stderr, "stdin must be a JSON list of YAML texts:", err)
		os.Exit(2)
	}
	out := make([]answer, len(texts))
	for i, text := range texts {
		converted, err := yaml.YAMLToJSON([]byte(text))
		if err != nil {
			out[i].Error = err.Error()
		} else {
			out[i].JSON = converted
		}
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
