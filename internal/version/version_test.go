package version

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

const rev = "f589798e3c1d2b4a5f6e7d8c9b0a1f2e3d4c5b6a"

func buildInfo(mainVersion string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/kiln-run/kiln", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stamp stamp
		bi    *debug.BuildInfo
		want  Info
	}{
		{
			name:  "make build, clean tree",
			stamp: stamp{"v1.2.0", rev, "false"},
			bi:    buildInfo("v1.2.0", "vcs.revision", rev, "vcs.modified", "false"),
			want:  Info{Version: "v1.2.0", Commit: rev, GoVersion: "go1.26.8"},
		},
		{
			name:  "make build, dirty tree past a tag",
			stamp: stamp{"v1.2.0-3-gf589798-dirty", rev, "true"},
			bi:    buildInfo("v1.2.1-0.20251207052312-f589798e3c1d+dirty", "vcs.revision", rev, "vcs.modified", "true"),
			want:  Info{Version: "v1.2.0-3-gf589798-dirty", Commit: rev, Dirty: true, GoVersion: "go1.26.8"},
		},
		{
			name:  "the stamp wins over the build information",
			stamp: stamp{"v2.0.0", "0123456789abcdef0123456789abcdef01234567", "false"},
			bi:    buildInfo("(devel)", "vcs.revision", rev, "vcs.modified", "true"),
			want:  Info{Version: "v2.0.0", Commit: "0123456789abcdef0123456789abcdef01234567", GoVersion: "go1.26.8"},
		},
		{
			name: "go build in a checkout",
			bi:   buildInfo("v0.0.0-20251207052312-f589798e3c1d+dirty", "vcs", "git", "vcs.revision", rev, "vcs.time", "2025-12-07T05:23:12Z", "vcs.modified", "true"),
			want: Info{Version: "v0.0.0-20251207052312-f589798e3c1d+dirty", Commit: rev, Dirty: true, GoVersion: "go1.26.8"},
		},
		{
			name: "go install at a version: no VCS information",
			bi:   buildInfo("v1.2.0"),
			want: Info{Version: "v1.2.0", GoVersion: "go1.26.8"},
		},
		{
			name: "go build -buildvcs=false",
			bi:   buildInfo("(devel)"),
			want: Info{Version: Unknown, GoVersion: "go1.26.8"},
		},
		{
			name: "no build information at all",
			want: Info{Version: Unknown},
		},
		{
			name:  "a partial stamp fills only what it has",
			stamp: stamp{version: "v1.3.0"},
			bi:    buildInfo("(devel)", "vcs.revision", rev, "vcs.modified", "true"),
			want:  Info{Version: "v1.3.0", Commit: rev, Dirty: true, GoVersion: "go1.26.8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := resolve(tt.stamp, tt.bi); got != tt.want {
				t.Errorf("resolve(%+v, …)\n got %+v\nwant %+v", tt.stamp, got, tt.want)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info Info
		want string
	}{
		{
			name: "clean",
			info: Info{Version: "v1.2.0", Commit: rev, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			want: "kiln v1.2.0\ncommit  " + rev + "\ngo      go1.26.8 linux/amd64\n",
		},
		{
			name: "dirty",
			info: Info{Version: "v1.2.0-3-gf589798-dirty", Commit: rev, Dirty: true, GoVersion: "go1.26.8", Platform: "linux/amd64"},
			want: "kiln v1.2.0-3-gf589798-dirty\ncommit  " + rev + " (dirty)\ngo      go1.26.8 linux/amd64\n",
		},
		{
			name: "nothing known",
			info: Info{Version: Unknown, GoVersion: "go1.26.8"},
			want: "kiln (devel)\ncommit  unknown\ngo      go1.26.8\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.info.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestGetInATestBinary(t *testing.T) {
	t.Parallel()
	got := Get()
	if got.GoVersion != runtime.Version() || got.Platform != runtime.GOOS+"/"+runtime.GOARCH || got.Version == "" {
		t.Errorf("Get() = %+v", got)
	}
}

// stampFlags are the linker flags `make build` passes, by variable name.
var stampFlags = []string{"stampedVersion", "stampedCommit", "stampedDirty"}

// TestLinkerStamp builds a program with the -X flags `make build` uses: the
// linker ignores -X for a variable that does not exist, so a renamed
// variable would otherwise go unnoticed.
func TestLinkerStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	t.Parallel()
	const pkg = "github.com/kiln-run/kiln/internal/version"
	values := map[string]string{"stampedVersion": "v9.8.7-1-gf589798-dirty", "stampedCommit": rev, "stampedDirty": "true"}
	var ldflags []string
	for _, name := range stampFlags {
		ldflags = append(ldflags, "-X", pkg+"."+name+"="+values[name])
	}
	bin := filepath.Join(t.TempDir(), "printversion")
	build := exec.Command("go", "build", "-ldflags", strings.Join(ldflags, " "), "-o", bin, "./testdata/printversion")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := "kiln v9.8.7-1-gf589798-dirty\ncommit  " + rev + " (dirty)\n"
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("got\n%s\nwant it to start with\n%s", out, want)
	}
}

// TestMakefileStampsEveryVariable keeps the Makefile's -X flags in step
// with the variables above.
func TestMakefileStampsEveryVariable(t *testing.T) {
	t.Parallel()
	makefile, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range stampFlags {
		if !strings.Contains(string(makefile), "$(VERSION_PKG)."+name+"=") {
			t.Errorf("the Makefile does not stamp %s (want -X $(VERSION_PKG).%s=…)", name, name)
		}
	}
	if !strings.Contains(string(makefile), "VERSION_PKG := github.com/kiln-run/kiln/internal/version\n") {
		t.Error("the Makefile's VERSION_PKG is not this package")
	}
}
