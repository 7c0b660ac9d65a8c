// Command opa builds the real Open Policy Agent binary from its published Go
// module, pinned in go.mod. dxguard evaluates every policy on this binary.
//
// This is OPA's documented way to build OPA as a Go program: run its root
// command. Nothing here changes OPA's behaviour.
package main

import (
	"os"

	"github.com/open-policy-agent/opa/cmd"
)

func main() {
	if err := cmd.RootCommand.Execute(); err != nil {
		os.Exit(1)
	}
}
