// Command printversion prints version.Get(), for the test that builds it
// with the linker flags `make build` uses.
package main

import (
	"fmt"

	"github.com/kiln-run/kiln/internal/version"
)

func main() { fmt.Print(version.Get()) }
