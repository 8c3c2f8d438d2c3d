package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/internal/version"
)

// addVersion gives root a --version flag and a version command; both
// print the same lines (see internal/version).
func addVersion(root *cobra.Command, stdout io.Writer) {
	text := version.Get().String()
	root.Version = text
	root.SetVersionTemplate("{{.Version}}")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print kiln's version, the commit it was built from and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(stdout, text)
			return err
		},
	})
}
