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
// so the examples in README and examples/ cannot rot. Each runs from the
// repository's root, as the commands are written, with a data folder of
// its own.
func TestExamples(t *testing.T) {
	t.Chdir("../..")
	files, err := filepath.Glob("examples/*.*")
	if err != nil || len(files) < 5 {
		t.Fatalf("want at least five examples, found %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			args := exampleArgs(t, file)
			if args == nil {
				args = []string{"run", file}
			}
			args = append(args, "--data", t.TempDir())
			code, stdout, stderr := run(t, args...)
			if code != ExitOK {
				t.Fatalf("kiln %q: exit %d\nstdout: %s\nstderr: %s", args, code, stdout, stderr)
			}
			if !strings.HasPrefix(stdout, "{") || strings.Contains(stdout, "\"verified\":false") {
				t.Fatalf("unexpected result %s (stderr %s)", stdout, stderr)
			}
		})
	}
}

// exampleArgs reads the arguments of the `kiln run` line in file's header,
// or nil if it has none.
func exampleArgs(t *testing.T, file string) []string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if _, command, ok := strings.Cut(s.Text(), "// kiln "); ok && strings.HasPrefix(command, "run ") {
			args := shellWords(t, command)
			if args[1] != file {
				t.Fatalf("the header runs %s, not %s", args[1], file)
			}
			return args
		}
	}
	return nil
}

// shellWords splits a command line as a shell would, for words and
// single-quoted strings (all the examples' commands use).
func shellWords(t *testing.T, line string) []string {
	var words []string
	var word strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted && r == '\'':
			quoted = false
		case quoted:
			word.WriteRune(r)
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case r == '"' || r == '\\' || r == '$':
			t.Fatalf("shellWords handles plain words and single quotes only: %s", line)
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote: %s", line)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
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
			args := tt.args
			if len(args) > 0 && args[0] == "run" {
				args = append(args, "--data", filepath.Join(dir, "data"))
			}
			code, stdout, stderr := run(t, args...)
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
