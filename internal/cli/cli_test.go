package cli

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run calls Main as the shell would and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestExamples runs every example with the command in its header comment,
// so the examples in README and examples/ cannot rot.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.*")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least five examples, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			input := exampleInput(t, file)
			args := []string{"run", file}
			if input != "" {
				args = append(args, "--input", input)
			}
			code, stdout, stderr := run(t, args...)
			if code != ExitOK {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stdout, "{") || strings.Contains(stdout, "\"verified\":false") {
				t.Fatalf("unexpected result %s (stderr %s)", stdout, stderr)
			}
		})
	}
}

// exampleInput reads the --input '…' of the `kiln run` line in file's header.
func exampleInput(t *testing.T, file string) string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if _, rest, ok := strings.Cut(line, "--input '"); ok && strings.Contains(line, "kiln run") {
			return strings.TrimSuffix(rest, "'")
		}
	}
	return ""
}

func TestRunExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.ts", `export default (i: {n: number}) => { console.warn("careful"); return i.n * 2 }`)
	thrower := write("throw.ts", "type X = number;\nexport default () => {\n  throw new Error('nope');\n}\n")
	loop := write("loop.js", `export default () => { for (;;) {} }`)
	hog := write("hog.js", `export default () => { const a = []; for (;;) a.push(new Array(1000).fill(1)); }`)
	evil := write("evil.js", `export default () => eval("1")`)
	inputFile := write("input.json", `{"n": 21}`)
	tests := []struct {
		name              string
		args              []string
		code              int
		stdout, stderrHas string
	}{
		{"success prints JSON and logs to stderr", []string{"run", ok, "--input", `{"n":4}`}, 0, "8\n", "[warn] careful"},
		{"input from a file", []string{"run", ok, "--input", "@" + inputFile}, 0, "42\n", ""},
		{"runtime error with TS position", []string{"run", thrower}, 1, "", "error RUNTIME_ERROR at throw.ts:3:9: Error: nope"},
		{"timeout flag", []string{"run", loop, "--timeout", "100ms"}, 1, "", "error TIMEOUT"},
		{"memory flag", []string{"run", hog, "--memory", "16MiB"}, 1, "", "error MEMORY_LIMIT"},
		{"sandbox", []string{"run", evil}, 1, "", "error SANDBOX_VIOLATION"},
		{"missing file", []string{"run", filepath.Join(dir, "nope.ts")}, 2, "", "cannot read"},
		{"wrong extension", []string{"run", inputFile}, 2, "", "must be a .ts, .js, .mjs or .cjs file"},
		{"bad input JSON", []string{"run", ok, "--input", "{n:1}"}, 2, "", "--input is not valid JSON"},
		{"unknown flag", []string{"run", ok, "--bogus"}, 2, "", "unknown flag: --bogus"},
		{"bad memory size", []string{"run", ok, "--memory", "lots"}, 2, "", "--memory \"lots\""},
		{"bad timeout", []string{"run", ok, "--timeout", "soon"}, 2, "", "invalid argument \"soon\""},
		{"no file", []string{"run"}, 2, "", "run needs exactly one FILE"},
		{"unknown command", []string{"launch"}, 2, "", "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderrHas) {
				t.Fatalf("got exit %d stdout %q stderr %q; want exit %d stdout %q stderr containing %q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderrHas)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tt.code == ExitUsage {
				t.Errorf("a usage error must be one line, got %q", stderr)
			}
		})
	}
}
