// Package cli is the kiln command line: flag parsing and wiring only; the
// work lives in the engine and server packages.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, as documented in README.md.
const (
	ExitOK     = 0
	ExitFailed = 1 // the script failed
	ExitUsage  = 2 // bad usage: missing file, bad flag, bad input
)

// usageError marks an error as the user's invocation being wrong (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitError carries an exit code for a failure already reported.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// Main runs the kiln command with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := &cobra.Command{
		Use:           "kiln",
		Short:         "Kiln runs sandboxed JavaScript and TypeScript functions",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v (see 'kiln %s --help')", err, c.Name())
	})
	root.AddCommand(newRunCommand(stdout, stderr), newServeCommand(stdout, stderr), newDLQCommand(stdout), newTasksCommand(stdout, stderr), newReplayCommand(stdout, stderr))
	addVersion(root, stdout)

	err := root.Execute()
	var exit *exitError
	var usage *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "kiln: %s\n", usage.msg)
		return ExitUsage
	case strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag"):
		fmt.Fprintf(stderr, "kiln: %v (see 'kiln --help')\n", err)
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "kiln: %v\n", err)
		return ExitFailed
	}
}
