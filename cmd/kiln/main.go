// Command kiln runs sandboxed JavaScript and TypeScript functions: one script
// locally with `kiln run`, or the server with `kiln serve`.
package main

import (
	"os"

	"github.com/kiln-run/kiln/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
