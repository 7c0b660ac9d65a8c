// Command etcd builds the real etcd server from its published Go module
// (go.etcd.io/etcd/server/v3), pinned in go.mod, for the kube-apiserver that
// the end-to-end tests run on loopback (tests/e2e/).
//
// etcd's main module cannot be installed with `go install`, so this calls the
// server's own entry point, etcdmain.Main, the function etcd's main.go calls.
// Nothing here changes etcd's behaviour.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
