// Command kube-apiserver builds the real Kubernetes API server from the published
// k8s.io/kubernetes Go module, pinned in go.mod. The end-to-end tests (tests/e2e/)
// run it on loopback, in front of the etcd built by tools/etcd, to prove the
// webhook and the audit against the real thing.
//
// This is cmd/kube-apiserver/apiserver.go of the pinned release, unchanged: the
// same registrations and the same root command. Nothing here changes the API
// server's behaviour. k8s.io/kubernetes cannot be required on its own: its
// go.mod points the staging modules (k8s.io/api, k8s.io/apiserver, ...) at its
// own source tree, so go.mod here pins each to the matching v0.x release with a
// replace directive, the documented way to depend on it.
package main

import (
	"os"
	_ "time/tzdata" // for timeZone support in CronJob

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // for JSON log format registration
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // load all the prometheus client-go plugins
	_ "k8s.io/component-base/metrics/prometheus/version"  // for version metric registration
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
