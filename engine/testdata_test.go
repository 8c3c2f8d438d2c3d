package engine

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scriptCase is a testdata script and the expectations in its header:
//
//	// input: {"name":"Ada"}
//	// want: {"greeting":"hello Ada"}
//	// error: RUNTIME_ERROR
//	// position: case.js:3:9
//	// message: part of the error message
//	// log: [info] a log line (one per expected line, in order)
//	// timeout: 300ms
//	// peak: 256MiB (limit cases: the heap growth allowed)
//
// A case that states no timeout gets timeoutDefault if it expects TIMEOUT,
// and safetyTimeout otherwise.
type scriptCase struct {
	file, name, src       string
	input, want           string
	wantErr, pos, message string
	logs                  []string
	timeout               time.Duration
	peak                  int64 // bytes of heap growth allowed, for limit cases
}

const (
	// timeoutDefault is the timeout of a case that expects TIMEOUT and
	// states none.
	timeoutDefault = 2 * time.Second
	// safetyTimeout is the timeout of a case that expects another end and
	// states none: there the timeout only stops a script that fails to end
	// as it should, and a short one would turn a slow run on a loaded
	// machine (the race detector, two shared cores) into a spurious TIMEOUT.
	safetyTimeout = time.Minute
)

func loadCases(t *testing.T, dir string) []scriptCase {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []scriptCase
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		c := scriptCase{file: filepath.Join(dir, e.Name()), name: e.Name(), src: string(b)}
		for _, line := range strings.Split(c.src, "\n") {
			key, value, ok := strings.Cut(strings.TrimPrefix(line, "// "), ": ")
			if !strings.HasPrefix(line, "// ") || !ok {
				continue
			}
			switch key {
			case "input":
				c.input = value
			case "want":
				c.want = value
			case "error":
				c.wantErr = value
			case "position":
				c.pos = value
			case "message":
				c.message = value
			case "log":
				c.logs = append(c.logs, value)
			case "peak":
				n, err := strconv.ParseInt(strings.TrimSuffix(value, "MiB"), 10, 64)
				if err != nil {
					t.Fatalf("%s: peak: %v", c.name, err)
				}
				c.peak = n << 20
			case "timeout":
				if c.timeout, err = time.ParseDuration(value); err != nil {
					t.Fatalf("%s: timeout: %v", c.name, err)
				}
			}
		}
		switch {
		case c.timeout != 0:
		case c.wantErr == string(CodeTimeout):
			c.timeout = timeoutDefault
		default:
			c.timeout = safetyTimeout
		}
		cases = append(cases, c)
	}
	return cases
}

func (c scriptCase) run(t *testing.T, e *Engine) *Result {
	t.Helper()
	var input any
	if c.input != "" {
		input = json.RawMessage(c.input)
	}
	return runSource(t, e, c.name, c.src, input, InvokeParams{Timeout: c.timeout})
}

func (c scriptCase) check(t *testing.T, res *Result) {
	t.Helper()
	if c.wantErr != "" {
		if res.Err == nil {
			t.Fatalf("want error %s, got success with %s", c.wantErr, res.Value)
		}
		if string(res.Err.Code) != c.wantErr {
			t.Fatalf("want error %s, got %v", c.wantErr, res.Err)
		}
		if c.pos != "" && res.Err.Position != c.pos {
			t.Errorf("want position %s, got %q (%v)", c.pos, res.Err.Position, res.Err)
		}
		if c.message != "" && !strings.Contains(res.Err.Message, c.message) {
			t.Errorf("want message containing %q, got %q", c.message, res.Err.Message)
		}
	} else {
		if res.Err != nil {
			t.Fatalf("unexpected error: %v\n%s", res.Err, res.Err.Stack)
		}
		if c.want != "" && !jsonEqual(t, c.want, string(res.Value)) {
			t.Fatalf("want %s, got %s", c.want, res.Value)
		}
	}
	if c.logs != nil {
		var got []string
		for _, l := range res.Logs {
			got = append(got, "["+string(l.Level)+"] "+l.Message)
		}
		if strings.Join(got, "\n") != strings.Join(c.logs, "\n") {
			t.Errorf("logs:\n got %q\nwant %q", got, c.logs)
		}
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("bad want JSON %q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// TestScripts runs engine behaviour scripts in testdata/scripts.
func TestScripts(t *testing.T) {
	e := setup(t, Config{})
	for _, c := range loadCases(t, "testdata/scripts") {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.check(t, c.run(t, e))
		})
	}
}

// TestSandboxEscapes runs every escape attempt in testdata/sandbox; each
// must end with SANDBOX_VIOLATION, whatever the script tried to catch.
func TestSandboxEscapes(t *testing.T) {
	e := setup(t, Config{})
	cases := loadCases(t, "testdata/sandbox")
	if len(cases) < 25 {
		t.Fatalf("the sandbox suite must hold at least 25 escape attempts, has %d", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.wantErr == "" {
				c.wantErr = string(CodeSandboxViolation)
			}
			c.check(t, c.run(t, e))
		})
	}
}
