// Package version says which build of kiln is running: its version, the
// commit it was built from and whether that tree had uncommitted changes,
// and the Go toolchain that compiled it.
//
// `make build` stamps the version and commit with the linker (see the
// Makefile's LDFLAGS). A plain `go build ./cmd/kiln` or `go install
// github.com/kiln-run/kiln/cmd/kiln@v…` is not stamped; for those the Go
// toolchain's own build information answers: the module version, and the
// vcs.revision and vcs.modified settings when built inside a git checkout.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set with -ldflags "-X github.com/kiln-run/kiln/internal/version.name=value"
// by `make build`; empty otherwise. They are variables only because the
// linker can set nothing else; nothing assigns them at run time.
var (
	stampedVersion string // `git describe --tags --always --dirty`
	stampedCommit  string // `git rev-parse HEAD`
	stampedDirty   string // "true" or "false"
)

// Unknown is the version of a binary that carries no version at all: built
// with -buildvcs=false outside a module download, and without the stamp.
const Unknown = "(devel)"

// Info describes a kiln binary.
type Info struct {
	// Version is a tag (v1.2.0), a `git describe` string
	// (v1.2.0-3-gabc1234-dirty), a Go pseudo-version
	// (v0.0.0-20250102150405-abc123456789+dirty), or Unknown.
	Version string
	// Commit is the full hash of the commit built from, or "" when unknown
	// (`go install …@version` builds from the module zip, which has none).
	Commit string
	// Dirty reports that the working tree had uncommitted changes; false
	// when unknown.
	Dirty bool
	// GoVersion is the toolchain that compiled the binary (go1.26.0).
	GoVersion string
	// Platform is GOOS/GOARCH of the binary (linux/amd64).
	Platform string
}

// stamp is what the linker set: empty strings when nothing was stamped.
type stamp struct {
	version, commit, dirty string
}

// Get returns the running binary's Info.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	info := resolve(stamp{stampedVersion, stampedCommit, stampedDirty}, bi)
	info.Platform = runtime.GOOS + "/" + runtime.GOARCH
	if info.GoVersion == "" {
		info.GoVersion = runtime.Version()
	}
	return info
}

// resolve combines the linker's stamp with the toolchain's build
// information (nil when the binary has none). A stamped field wins over
// the build information, field by field: the stamp is what `make build`
// chose to say, and the build information is the fallback for plain
// `go build` and `go install`.
func resolve(st stamp, bi *debug.BuildInfo) Info {
	var info Info
	var modified string
	if bi != nil {
		info.GoVersion = bi.GoVersion
		info.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
	}
	if st.version != "" {
		info.Version = st.version
	}
	if st.commit != "" {
		info.Commit = st.commit
	}
	if st.dirty != "" {
		modified = st.dirty
	}
	info.Dirty = modified == "true"
	if info.Version == "" {
		info.Version = Unknown
	}
	return info
}

// String is what `kiln version` prints: three lines, the first
// "kiln VERSION".
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kiln %s\n", i.Version)
	switch {
	case i.Commit == "":
		b.WriteString("commit  unknown\n")
	case i.Dirty:
		fmt.Fprintf(&b, "commit  %s (dirty)\n", i.Commit)
	default:
		fmt.Fprintf(&b, "commit  %s\n", i.Commit)
	}
	fmt.Fprintf(&b, "go      %s", i.GoVersion)
	if i.Platform != "" {
		fmt.Fprintf(&b, " %s", i.Platform)
	}
	b.WriteString("\n")
	return b.String()
}
