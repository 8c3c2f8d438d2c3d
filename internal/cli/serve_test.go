package cli

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/kiln-run/kiln/pool"
)

// TestServeConfigPrecedence: flags > environment > config file > defaults.
func TestServeConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kiln.json")
	if err := os.WriteFile(file, []byte(`{"addr": "127.0.0.1:1001", "data": "/from-file", "db": "postgres://file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KILN_DATA": "/from-env", "KILN_DB": "postgres://env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	flagDB := "postgres://flag"
	cfg, err := resolveServeConfig(file, lookup, map[string]*string{"db": &flagDB})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:1001" || cfg.DataDir != "/from-env" || cfg.DB != "postgres://flag" {
		t.Fatalf("got addr %q (file), data %q (env), db %q (flag)", cfg.Addr, cfg.DataDir, cfg.DB)
	}
	if _, err := resolveServeConfig(file+".missing", lookup, nil); err == nil {
		t.Fatal("a missing config file must be an error")
	}
	env["KILN_HTTP_ALLOW"] = "10.0.0.0/8"
	if cfg, _ := resolveServeConfig("", lookup, nil); len(cfg.HTTPAllow) != 1 || cfg.HTTPAllow[0] != "10.0.0.0/8" {
		t.Fatalf("KILN_HTTP_ALLOW: %q", cfg.HTTPAllow)
	}
	allow := " 127.0.0.1:9000, ,10.1.2.0/24"
	if cfg, _ := resolveServeConfig("", lookup, map[string]*string{"http-allow": &allow}); len(cfg.HTTPAllow) != 2 || cfg.HTTPAllow[1] != "10.1.2.0/24" {
		t.Fatalf("--http-allow: %q", cfg.HTTPAllow)
	}
}

func TestServeBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--addr", "nonsense"},
		{"serve", "--db", "mysql://nope"},
		{"serve", "--config", "/no/such/file.json"},
		{"serve", "extra-argument"},
		{"serve", "--http-allow", "localhost:9000"},
		{"serve", "--nats", "http://127.0.0.1:4222"},
	} {
		code, _, stderr := run(t, args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, stderr)
		}
	}
}

// TestTuneGC: serve raises GOGC to 400 and caps the heap at half the
// machine's memory, unless the environment sets either.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tc := range []struct {
		name      string
		env       map[string]string
		wantGC    int
		wantLimit int64
	}{
		{"defaults", nil, 400, pool.SystemMemory() / 2},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, pool.SystemMemory() / 2},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			tuneGC(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if got := debug.SetGCPercent(100); got != tc.wantGC {
				t.Errorf("GOGC = %d, want %d", got, tc.wantGC)
			}
			if got := debug.SetMemoryLimit(math.MaxInt64); got != tc.wantLimit {
				t.Errorf("memory limit = %d, want %d", got, tc.wantLimit)
			}
		})
	}
}
