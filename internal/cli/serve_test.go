package cli

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
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

// TestServeConfigPrecedenceTable: for a setting every level can give, each
// level beats the ones below it, and an empty environment variable counts
// as unset.
func TestServeConfigPrecedenceTable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "kiln.json")
	if err := os.WriteFile(file, []byte(`{"addr": "file:1", "httpAllow": ["10.0.0.1:1"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	flagAddr, flagAllow := "flag:1", "10.0.0.3:1"
	tests := []struct {
		name               string
		file               string
		env                map[string]string
		flags              map[string]*string
		wantAddr, wantNext string
	}{
		{"defaults", "", nil, nil, "127.0.0.1:8080", ""},
		{"file beats defaults", file, nil, nil, "file:1", "10.0.0.1:1"},
		{"env beats file", file, map[string]string{"KILN_ADDR": "env:1", "KILN_HTTP_ALLOW": "10.0.0.2:1"}, nil, "env:1", "10.0.0.2:1"},
		{"an empty env var is unset", file, map[string]string{"KILN_ADDR": "", "KILN_HTTP_ALLOW": ""}, nil, "file:1", "10.0.0.1:1"},
		{"flag beats env", file, map[string]string{"KILN_ADDR": "env:1", "KILN_HTTP_ALLOW": "10.0.0.2:1"},
			map[string]*string{"addr": &flagAddr, "http-allow": &flagAllow}, "flag:1", "10.0.0.3:1"},
		{"flag beats defaults", "", nil, map[string]*string{"addr": &flagAddr}, "flag:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			cfg, err := resolveServeConfig(tt.file, lookup, tt.flags)
			if err != nil {
				t.Fatal(err)
			}
			cfg = cfg.WithDefaults()
			if cfg.Addr != tt.wantAddr || strings.Join(cfg.HTTPAllow, ",") != tt.wantNext {
				t.Fatalf("addr %q, httpAllow %q; want %q, %q", cfg.Addr, cfg.HTTPAllow, tt.wantAddr, tt.wantNext)
			}
		})
	}
}

// TestServeMetricsAddrPrecedence: the metrics listener's address comes
// from --metrics-addr, KILN_METRICS_ADDR, "metricsAddr" in the file, or
// nowhere (no listener), in that order.
func TestServeMetricsAddrPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "kiln.json")
	if err := os.WriteFile(file, []byte(`{"metricsAddr": "10.0.0.1:9091"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	flag := "10.0.0.3:9091"
	for _, tt := range []struct {
		name  string
		file  string
		env   map[string]string
		flags map[string]*string
		want  string
	}{
		{"default: none", "", nil, nil, ""},
		{"file", file, nil, nil, "10.0.0.1:9091"},
		{"env beats file", file, map[string]string{"KILN_METRICS_ADDR": "10.0.0.2:9091"}, nil, "10.0.0.2:9091"},
		{"an empty env var is unset", file, map[string]string{"KILN_METRICS_ADDR": ""}, nil, "10.0.0.1:9091"},
		{"flag beats env", file, map[string]string{"KILN_METRICS_ADDR": "10.0.0.2:9091"}, map[string]*string{"metrics-addr": &flag}, "10.0.0.3:9091"},
	} {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		cfg, err := resolveServeConfig(tt.file, lookup, tt.flags)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.WithDefaults().MetricsAddr; got != tt.want {
			t.Errorf("%s: metrics address %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestServeSettingsFlags: every flag a setting names is a flag of kiln
// serve.
func TestServeSettingsFlags(t *testing.T) {
	t.Parallel()
	cmd := newServeCommand(io.Discard, io.Discard)
	for _, s := range serveSettings() {
		if s.flag != "" && cmd.Flags().Lookup(s.flag) == nil {
			t.Errorf("setting %q names the flag --%s, which kiln serve does not have", s.env, s.flag)
		}
	}
}

// TestServeBadConfigFile: a config file kiln cannot use stops kiln serve
// with exit code 2 and one line saying what to fix.
func TestServeBadConfigFile(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, file, want string }{
		{"unknown key", `{"pool": {"maxVM": 4}}`, `unknown key "pool.maxVM" in `},
		{"near a nested key", `{"queue": {"worker": 4}}`, `did you mean "queue.workers"?`},
		{"wrong type", `{"outbound": {"maxRedirects": "5"}}`, `"outbound.maxRedirects" in `},
		{"duration as a number", `{"timeout": 30}`, `must be a duration written as a string with a unit`},
		{"a size in words", `{"memoryBytes": "lots"}`, `must be a size such as`},
		{"a secret", `{"operatorKey": "0123456789abcdef"}`, `cannot be set in a config file`},
		{"empty", ``, `is empty`},
		{"comment", "{\n  // no\n}", `JSON has no comments`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(file, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := run(t, "serve", "--config", file)
			if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, file) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and a message naming %s with %q", code, stdout, stderr, file, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("the message must be one line: %q", stderr)
			}
		})
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
		{"serve", "--metrics-addr", "9091"},
		{"serve", "--addr", "127.0.0.1:8080", "--metrics-addr", "127.0.0.1:8080"},
	} {
		code, _, stderr := run(t, args...)
		if code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with a message", args, code, stderr)
		}
	}
}

// TestTuneGC: serve raises GOGC to 400 unless the environment sets it,
// and leaves the soft heap limit to the engine unless GOMEMLIMIT is set.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name       string
		env        map[string]string
		wantGC     int
		wantManage bool
	}{
		{"defaults", nil, 400, true},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, true},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, false},
		// Go's runtime ignores an empty variable, so serve does too.
		{"both empty", map[string]string{"GOGC": "", "GOMEMLIMIT": ""}, 400, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			manage := tuneGC(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if got := debug.SetGCPercent(100); got != tc.wantGC {
				t.Errorf("GOGC = %d, want %d", got, tc.wantGC)
			}
			if manage != tc.wantManage {
				t.Errorf("manage the heap limit = %v, want %v", manage, tc.wantManage)
			}
		})
	}
}
