// The etcd server command. The upstream command is the root module go.etcd.io/etcd/v3, whose
// main.go is only this call (etcd-io/etcd@v3.6.16:main.go) and which the Go module proxy
// cannot build with `go install` (replace directives), so the wrapper repeats the one call.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
