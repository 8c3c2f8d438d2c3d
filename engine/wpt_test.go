package engine

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var updateWPT = flag.Bool("update-wpt-known-failures", false,
	"rewrite testdata/wpt_known_failures.txt from this run's WPT failures, keeping the reasons of those still failing")

// The web-platform-tests .any.js files the engine runs (testdata/wpt, with
// its README.md naming each file's upstream commit), the testharness.js
// shim they run under, and the failures known today.
const (
	wptRoot          = "testdata/wpt"
	wptHarnessFile   = "testdata/wpt-harness.js"
	wptKnownFailures = "testdata/wpt_known_failures.txt"
)

// wptResult is one test of one file: its key ("file :: test name", with
// non-printable and non-ASCII characters escaped as \uXXXX) and how it
// ended.
type wptResult struct {
	key, status, message string
}

// TestWPT runs every vendored .any.js file through the engine, each in a
// VM of its own under the shim, and compares the failures with the
// known-failures file: a failure not listed is a regression, and a listed
// test that now passes must be removed from the list. It logs the pass
// counts of each file and in all (go test -v shows them).
func TestWPT(t *testing.T) {
	harness, err := os.ReadFile(wptHarnessFile)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(wptRoot, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".any.js") {
			rel, _ := filepath.Rel(wptRoot, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("no WPT files under %s: %v", wptRoot, err)
	}
	slices.Sort(files)
	e := setup(t, Config{})
	start := time.Now()
	results := make([][]wptResult, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, f := range files {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = runWPTFile(t, e, string(harness), f)
		})
	}
	wg.Wait()

	failures := map[string]wptResult{}
	total, passed := 0, 0
	for i, f := range files {
		p := 0
		for _, r := range results[i] {
			if r.status == "PASS" {
				p++
			} else {
				failures[r.key] = r
			}
		}
		total += len(results[i])
		passed += p
		t.Logf("%-70s %4d/%-4d passed", f, p, len(results[i]))
	}
	t.Logf("WPT: %d/%d tests passed in %d files (%d known failures) in %v", passed, total, len(files), len(failures), time.Since(start).Round(time.Millisecond))
	checkWPTKnownFailures(t, failures)
}

// runWPTFile runs one test file and returns its tests' results. A file
// that does not compile or whose run fails outright is one failed result
// named "(file)".
func runWPTFile(t *testing.T, e *Engine, harness, file string) []wptResult {
	src, err := wptSource(harness, file)
	fail := func(msg string) []wptResult {
		return []wptResult{{key: file + " :: (file)", status: "FAIL", message: msg}}
	}
	if err != nil {
		return fail(err.Error())
	}
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "wpt.js", Code: src})
	if err != nil {
		return fail("compile: " + err.Error())
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		return fail("load: " + err.Error())
	}
	res := vm.Invoke(ctx, InvokeParams{Timeout: 30 * time.Second, MemoryLimit: 512 << 20, OutputBytes: 16 << 20})
	if res.Err != nil {
		return fail(string(res.Err.Code) + ": " + res.Err.Message)
	}
	var rows [][3]string
	if err := json.Unmarshal(res.Value, &rows); err != nil {
		t.Errorf("%s: results: %v", file, err)
		return nil
	}
	out := make([]wptResult, 0, len(rows))
	for _, r := range rows {
		out = append(out, wptResult{key: file + " :: " + wptEscape(r[0]), status: r[1], message: r[2]})
	}
	return out
}

// wptSource is the program for file: the shim, the scripts its META lines
// name, the file, in one block whose exceptions are the harness's, and a
// default export that waits for the tests and returns their results.
func wptSource(harness, file string) (string, error) {
	body, err := os.ReadFile(filepath.Join(wptRoot, file))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(harness)
	dir, _ := json.Marshal(path.Dir(file))
	fmt.Fprintf(&b, "\n__wpt.dir = %s;\n", dir)
	for _, name := range wptResources() {
		text, err := os.ReadFile(filepath.Join(wptRoot, filepath.FromSlash(name)))
		if err != nil {
			return "", err
		}
		k, _ := json.Marshal(name)
		v, _ := json.Marshal(string(text))
		fmt.Fprintf(&b, "__wpt.files[%s] = %s;\n", k, v)
	}
	b.WriteString("try {\n")
	for _, line := range strings.Split(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, "// META: script=")
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		switch rest {
		case "/common/subset-tests.js", "/common/subset-tests-by-key.js":
			continue // the shim's subsetTest runs every subtest
		case "/common/sab.js":
			continue // the shim's createBuffer (sab.js needs WebAssembly)
		}
		p := path.Join(path.Dir(file), rest)
		if strings.HasPrefix(rest, "/") {
			p = strings.TrimPrefix(rest, "/")
		}
		script, err := os.ReadFile(filepath.Join(wptRoot, filepath.FromSlash(p)))
		if err != nil {
			return "", fmt.Errorf("META script %s is not vendored", rest)
		}
		b.Write(script)
		b.WriteString("\n")
	}
	b.Write(body)
	b.WriteString("\n} catch (e) { __wpt.harnessError(e); }\n")
	b.WriteString("export default async () => { await __wpt.finish(); return __wpt.results; };\n")
	return b.String(), nil
}

// wptResources lists the vendored .json files, which a test may fetch
// (by a path relative to its own).
var wptResources = sync.OnceValue(func() []string {
	var names []string
	_ = filepath.WalkDir(wptRoot, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(wptRoot, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(names)
	return names
})

// wptEscape writes s with non-printable and non-ASCII characters (lone
// surrogates included, as U+FFFD reaches Go) and backslashes escaped, so
// that each key is one line of ASCII.
func wptEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				fmt.Fprintf(&b, `\u{%x}`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkWPTKnownFailures compares failures with the known-failures file,
// whose lines are "key<TAB>reason". -update-wpt-known-failures rewrites
// it instead, keeping the reason of every test still failing and giving a
// new failure its message as a provisional reason.
func checkWPTKnownFailures(t *testing.T, failures map[string]wptResult) {
	t.Helper()
	raw, err := os.ReadFile(wptKnownFailures)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var header []string
	known := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
			header = append(header, line)
		case line != "":
			key, reason, ok := strings.Cut(line, "\t")
			if !ok || strings.TrimSpace(reason) == "" {
				t.Errorf("%s: %q has no reason (key<TAB>reason)", wptKnownFailures, line)
			}
			known[key] = reason
		}
	}
	if *updateWPT {
		var lines []string
		for k, f := range failures {
			reason := known[k]
			if reason == "" {
				reason = "TODO: " + strings.ReplaceAll(f.status+": "+f.message, "\n", " ")
			}
			lines = append(lines, k+"\t"+reason)
		}
		slices.Sort(lines)
		out := strings.Join(header, "\n") + "\n" + strings.Join(lines, "\n") + "\n"
		if err := os.WriteFile(wptKnownFailures, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var keys []string
	for k := range failures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := known[k]; !ok {
			f := failures[k]
			t.Errorf("regression: %s\n\t%s: %s", k, f.status, f.message)
		}
	}
	for k := range known {
		if _, failing := failures[k]; !failing {
			t.Errorf("now passes but is listed in %s: %s (remove it, or run with -update-wpt-known-failures)", wptKnownFailures, k)
		}
	}
}
