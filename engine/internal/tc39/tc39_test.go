package tc39

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/engine"
)

const (
	suiteMemoryLimit  = 512 << 20
	suiteDir          = "testdata/test262"
	knownFailuresFile = "testdata/known_failures.txt"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/known_failures.txt with the failures of this run (keeping the reasons people wrote; with -only, only the entries of the tests that ran)")
	only   = flag.String("only", "", "run only the tests whose path (under test/) contains this")
	lost   = flag.String("lost", "", "write every run that passes on bare goja and fails through Kiln to this file, with why it failed")
)

// test is one vendored test file.
type test struct {
	path string // under test/: "built-ins/Array/from/…"
	root string // the entry of roots it is in
	src  string
	meta *meta
}

// run is one test in one mode, and how it went on bare goja and through
// Kiln.
type run struct {
	tc         *test
	mode       mode
	bare, kiln verdict
	// took is how long the run took, both runs together.
	took time.Duration
	// moduleShaped is set when the test passed on bare goja and failed
	// through Kiln: the verdict of bare goja running it shaped as a module
	// (runModuleShaped).
	moduleShaped *verdict
}

func (r *run) key() string { return r.tc.path + "\t" + string(r.mode) }

// regression reports whether the run passed on bare goja and failed
// through Kiln.
func (r *run) regression() bool { return r.bare.pass && !r.kiln.pass && !r.kiln.ignored }

// TestTC39 runs the vendored test262 tests on bare goja and through Kiln,
// prints the pass counts per directory, and fails when a test that passes
// on bare goja fails through Kiln and is not a known failure, or when a
// known failure passes (so that the list stays true).
func TestTC39(t *testing.T) {
	// The suite makes short-lived garbage at a high rate (a runtime, a
	// compiled test, a VM per run) and keeps little: collecting less often
	// costs a quarter less CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	start := time.Now()
	tests := loadTests(t)
	if n := sampleEvery(); n > 1 {
		var sample []*test
		for i, tc := range tests {
			if i%n == 0 {
				sample = append(sample, tc)
			}
		}
		t.Logf("running one test in %d (%d of %d): %s", n, len(sample), len(tests), sampleWhy())
		tests = sample
	}
	h, err := loadHarness(filepath.Join(suiteDir, "harness"))
	if err != nil {
		t.Fatal(err)
	}
	// The memory limit is raised from the default 64 MiB: the engine
	// charges an invocation with the process's heap growth while it runs
	// (docs/limits.md), and here a worker per CPU runs tests side by side,
	// so one heavy test's garbage failed its neighbour. The guards still
	// refuse what no limit would allow.
	e, err := engine.New(engine.Config{Timeout: runTimeout, CacheSize: 16, MemoryLimit: suiteMemoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = e.Close() }()

	runs := runAll(e, h, tests)
	report(t, runs)
	t.Logf("%d tests, %d runs in %s", len(tests), len(runs), time.Since(start).Round(time.Millisecond))

	if *lost != "" {
		if err := writeLost(*lost, runs); err != nil {
			t.Fatal(err)
		}
	}
	known, err := readKnownFailures(knownFailuresFile)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if sampleEvery() > 1 {
			t.Fatal("-update needs every test: run it without -short or the race detector")
		}
		if err := writeKnownFailures(knownFailuresFile, runs, known); err != nil {
			t.Fatal(err)
		}
		return
	}
	check(t, runs, known)
}

// loadTests reads every vendored test (matching -only), sorted by path.
func loadTests(t *testing.T) []*test {
	t.Helper()
	base := filepath.Join(suiteDir, "test")
	var tests []*test
	for _, root := range roots {
		err := fs.WalkDir(os.DirFS(base), root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !isTestFile(p) || !strings.Contains(p, *only) {
				return err
			}
			b, err := os.ReadFile(filepath.Join(base, p))
			if err != nil {
				return err
			}
			m, err := parseMeta(string(b))
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if m.skipReason() != "" || leftOut(p) {
				return nil // not vendored by TestVendor; a stray file
			}
			tests = append(tests, &test{path: p, root: root, src: string(b), meta: m})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(tests) == 0 {
		t.Fatalf("no tests under %s", base)
	}
	sort.Slice(tests, func(i, j int) bool { return tests[i].path < tests[j].path })
	return tests
}

// runAll runs every test in each of its modes on a worker per CPU.
func runAll(e *engine.Engine, h *harness, tests []*test) []*run {
	var runs []*run
	for _, tc := range tests {
		for _, m := range tc.meta.modes() {
			runs = append(runs, &run{tc: tc, mode: m})
		}
	}
	work := make(chan *run)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				start := time.Now()
				r.bare = judge(r.tc.meta, runBare(h, r.tc, r.mode))
				r.kiln = judge(r.tc.meta, runKiln(e, h, r.tc, r.mode))
				if r.regression() {
					v := judge(r.tc.meta, runModuleShaped(h, r.tc, r.mode))
					r.moduleShaped = &v
				}
				r.took = time.Since(start)
			}
		}()
	}
	for _, r := range runs {
		work <- r
	}
	close(work)
	wg.Wait()
	return runs
}

// report logs, per root, how many runs passed on bare goja and through
// Kiln.
func report(t *testing.T, runs []*run) {
	type counts struct{ runs, bare, kiln, regressions, gains, ignored int }
	byRoot := map[string]*counts{}
	var total counts
	for _, r := range runs {
		c := byRoot[r.tc.root]
		if c == nil {
			c = &counts{}
			byRoot[r.tc.root] = c
		}
		for _, c := range []*counts{c, &total} {
			c.runs++
			if r.bare.pass {
				c.bare++
			}
			if r.kiln.pass {
				c.kiln++
			}
			if r.regression() {
				c.regressions++
			}
			if r.kiln.pass && !r.bare.pass {
				c.gains++
			}
			if r.bare.ignored || r.kiln.ignored {
				c.ignored++
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-42s %6s %6s %6s %6s %6s %6s\n", "directory (test/…)", "runs", "goja", "kiln", "lost", "gained", "n/a")
	line := func(name string, c *counts) {
		fmt.Fprintf(&sb, "%-42s %6d %6d %6d %6d %6d %6d\n", name, c.runs, c.bare, c.kiln, c.regressions, c.gains, c.ignored)
	}
	for _, root := range roots {
		if c := byRoot[root]; c != nil {
			line(root, c)
		}
	}
	line("total", &total)
	sb.WriteString("goja, kiln: runs that pass; lost: pass on goja, fail through Kiln; gained: the reverse;\n" +
		"n/a: need what neither runner provides ($262.createRealm, SharedArrayBuffer)\n")
	slowest := slices.Clone(runs)
	slices.SortFunc(slowest, func(a, b *run) int { return int(b.took - a.took) })
	sb.WriteString("slowest runs:")
	for _, r := range slowest[:min(len(slowest), 5)] {
		fmt.Fprintf(&sb, " %s (%s) %s;", r.tc.path, r.mode, r.took.Round(time.Millisecond))
	}
	t.Log(sb.String())
}

// check fails t for every regression that is not a known failure, every
// known failure whose reason is still to be written, and every known
// failure that no longer fails.
func check(t *testing.T, runs []*run, known map[string]string) {
	var unknown, fixed, unexplained []string
	seen := map[string]bool{}
	for _, r := range runs {
		seen[r.key()] = true
		_, listed := known[r.key()]
		switch {
		case listed && strings.HasPrefix(known[r.key()], "flaky: "):
			// Its outcome depends on the process's heap (the engine's
			// watchdog charges a run all growth while it runs): either is
			// accepted until runs are charged only their own memory.
		case r.regression() && !listed:
			unknown = append(unknown, fmt.Sprintf("%s (%s): %s", r.tc.path, r.mode, r.kiln.why))
		case !r.regression() && listed:
			fixed = append(fixed, fmt.Sprintf("%s (%s)", r.tc.path, r.mode))
		case listed && strings.HasPrefix(known[r.key()], "unexplained: "):
			unexplained = append(unexplained, fmt.Sprintf("%s (%s): %s", r.tc.path, r.mode, r.kiln.why))
		}
	}
	const show = 50
	if len(unknown) > 0 {
		t.Errorf("%d runs pass on bare goja and fail through Kiln, and are not in %s (fix them, or list them with their reason; -update lists them):\n  %s",
			len(unknown), knownFailuresFile, strings.Join(unknown[:min(len(unknown), show)], "\n  "))
	}
	if len(unexplained) > 0 {
		t.Errorf("%d known failures in %s have no reason yet (write why each fails through Kiln in place of 'unexplained'):\n  %s",
			len(unexplained), knownFailuresFile, strings.Join(unexplained[:min(len(unexplained), show)], "\n  "))
	}
	if len(fixed) > 0 {
		t.Errorf("%d known failures in %s no longer fail (remove them; -update does):\n  %s",
			len(fixed), knownFailuresFile, strings.Join(fixed[:min(len(fixed), show)], "\n  "))
	}
	if sampleEvery() == 1 && *only == "" {
		var stale []string
		for k := range known {
			if !seen[k] {
				stale = append(stale, strings.ReplaceAll(k, "\t", " "))
			}
		}
		slices.Sort(stale)
		if len(stale) > 0 {
			t.Errorf("%d known failures in %s are not tests of the suite (remove them; -update does):\n  %s",
				len(stale), knownFailuresFile, strings.Join(stale[:min(len(stale), show)], "\n  "))
		}
	}
}

// The known failures file lists, one per line, a test's path, its mode
// and the reason it fails through Kiln while it passes on bare goja,
// separated by tabs. Lines that start with # are comments.

func readKnownFailures(name string) (map[string]string, error) {
	known := map[string]string{}
	f, err := os.Open(name)
	if os.IsNotExist(err) {
		return known, nil
	} else if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if len(fields) != 3 || fields[2] == "" {
			return nil, fmt.Errorf("%s:%d: want path, mode and reason separated by tabs", name, n)
		}
		known[fields[0]+"\t"+fields[1]] = fields[2]
	}
	return known, s.Err()
}

const knownFailuresHeader = `# Tests that pass on bare goja and fail through Kiln, one run per line:
# the test (under testdata/test262/test/), the mode (sloppy: a CommonJS
# script; strict: an ES module) and why. TestTC39 fails when a run that
# passes on bare goja fails through Kiln and is not listed here, and when a
# listed run passes. docs/conformance.md explains the reasons.
#
# go test ./engine/internal/tc39 -run TestTC39 -update rewrites this file.
# It gives each run the reason its cause shows (classify in tc39_test.go):
# "sandbox: …" for a refused eval or Function, "module: …" when bare goja
# fails the test too once it is shaped as a module body, "limits: …" when a
# guard refused a call's size before the built-in ran, "rejection: …" when
# the test leaves a promise rejected, and otherwise "unexplained: …", which
# a person must replace with the reason. It keeps the reasons people wrote
# (every other reason: lazy, guard, goja, esbuild, es-module, locked).
`

// writeKnownFailures writes the regressions of runs, keeping the reasons
// already written for them. With -only, the entries of the tests that did
// not run are kept as they are.
func writeKnownFailures(name string, runs []*run, known map[string]string) error {
	var lines []string
	for key, reason := range known {
		if p, _, _ := strings.Cut(key, "\t"); !strings.Contains(p, *only) {
			lines = append(lines, key+"\t"+reason)
		}
	}
	for _, r := range runs {
		if !r.regression() {
			continue
		}
		reason, ok := known[r.key()]
		if !ok || automatic(reason) {
			reason = classify(r)
		}
		lines = append(lines, r.key()+"\t"+oneLine(reason))
	}
	slices.Sort(lines)
	return os.WriteFile(name, []byte(knownFailuresHeader+strings.Join(lines, "\n")+"\n"), 0o644)
}

// writeLost writes the regressions of runs and why each failed, through
// Kiln and shaped as a module on bare goja.
func writeLost(name string, runs []*run) error {
	var sb strings.Builder
	for _, r := range runs {
		if r.regression() {
			shaped := "passes shaped as a module"
			if !r.moduleShaped.pass {
				shaped = "fails shaped as a module: " + oneLine(r.moduleShaped.why)
			}
			fmt.Fprintf(&sb, "%s\t%s\t%s\n", r.key(), oneLine(r.kiln.why), shaped)
		}
	}
	return os.WriteFile(name, []byte(sb.String()), 0o644)
}

// automaticReasons start the reasons classify gives, which -update
// gives again; any other reason was written by a person and is kept.
var automaticReasons = []string{"sandbox: ", "module: ", "limits: ", "rejection: ", "unexplained: "}

func automatic(reason string) bool { return hasPrefix(reason, automaticReasons...) }

// classify gives a known failure the reason its cause shows.
func classify(r *run) string {
	why := r.kiln.why
	switch {
	case strings.HasPrefix(why, string(engine.CodeSandboxViolation)):
		return "sandbox: " + strings.TrimPrefix(why, string(engine.CodeSandboxViolation)+": ")
	case r.moduleShaped != nil && !r.moduleShaped.pass:
		return "module: " + r.moduleShaped.why
	case strings.HasPrefix(why, string(engine.CodeUnhandledRejection)):
		// The test's own code ran to its end; a promise it left rejected
		// fails a Kiln run (DESIGN.md: an unhandled rejection fails the
		// execution).
		return "rejection: the test leaves a promise rejected and unhandled, which fails a Kiln run"
	case strings.HasPrefix(why, string(engine.CodeMemoryLimit)):
		// The built-in and the size, not the budget left, which varies.
		what, _, _ := strings.Cut(why, ", more than")
		return "limits: " + what
	}
	return "unexplained: " + why
}

// oneLine makes a reason fit on its line: a message may hold the source
// line it points at, and a long one is cut.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// sampleEvery is n when one test in n is run: under the race detector and
// in short mode, which must stay fast.
func sampleEvery() int {
	switch {
	case raceEnabled:
		return 25
	case testing.Short():
		return 5
	}
	return 1
}

func sampleWhy() string {
	if raceEnabled {
		return "the race detector is on"
	}
	return "-short"
}
