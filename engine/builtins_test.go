package engine_test

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/sdk"
)

// Every built-in under the limits (issue 14): testdata/builtins/walk.js
// lists every function a script can reach, testdata/builtins/classes.txt
// classifies each by how its work and result scale with its inputs, and
// TestBuiltinRunaways runs a probe for every one classified scalable.

const classesFile = "testdata/builtins/classes.txt"

// builtinRow is one line of classes.txt.
type builtinRow struct {
	path, class, note string
	// probe is the JavaScript expression TestBuiltinRunaways evaluates,
	// or @name for one it generates (probeFor); bounded says it may also
	// succeed, within the time bound.
	probe   string
	bounded bool
}

func loadClasses(t *testing.T) []builtinRow {
	t.Helper()
	f, err := os.Open(classesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []builtinRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 {
			t.Fatalf("%s:%d: want a path and a class", classesFile, line)
		}
		r := builtinRow{path: fields[0], class: fields[1]}
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(text, r.path)), r.class))
		r.note, r.probe, _ = strings.Cut(rest, " | ")
		r.probe = strings.TrimSpace(r.probe)
		if p, ok := strings.CutPrefix(r.probe, "bounded:"); ok {
			r.probe, r.bounded = strings.TrimSpace(p), true
		}
		switch r.class {
		case "constant", "linear", "callback", "lazy", "sandbox":
			if r.probe != "" {
				t.Errorf("%s:%d: %s is %s: only scalable built-ins have a probe", classesFile, line, r.path, r.class)
			}
		case "scalable":
			if r.note == "" || r.probe == "" {
				t.Errorf("%s:%d: scalable %s needs a reason and a probe", classesFile, line, r.path)
			}
		default:
			t.Errorf("%s:%d: unknown class %q", classesFile, line, r.class)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// builtinsConfig is the engine configuration of the walk and the probes:
// what Kiln's server gives scripts (the iota SDK and fetch), with the
// limits of issue 14.
func builtinsConfig() engine.Config {
	return engine.Config{
		Modules:     sdk.Modules(sdk.ModulesConfig{}),
		Fetch:       sdk.Fetch(nil),
		MemoryLimit: 64 << 20,
		Timeout:     2 * time.Second,
		// As kiln serve runs: the garbage a runaway makes is collected
		// before the heap passes the limit plus the soft limit's margin.
		ManageHeapLimit: true,
	}
}

// reachable is a function a script can reach: its path and whether it is
// native ("native") or the engine's own JavaScript ("js").
type reachable struct{ path, kind string }

// walkBuiltins runs testdata/builtins/walk.js as a handler.
func walkBuiltins(t *testing.T) []reachable {
	t.Helper()
	walker, err := os.ReadFile("testdata/builtins/walk.js")
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, builtinsConfig())
	ctx := context.Background()
	p, err := e.Compile(ctx, engine.Source{Name: "walk.js", Code: string(walker)})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	input, _ := json.Marshal(map[string]any{"globals": e.GlobalNames(), "arrayMethods": engine.ArrayMethods})
	res := vm.Invoke(ctx, engine.InvokeParams{Input: input, OutputBytes: 16 << 20, Timeout: time.Minute})
	if res.Err != nil {
		t.Fatalf("walk: %v\n%s", res.Err, res.Err.Stack)
	}
	var rows [][2]string
	if err := json.Unmarshal(res.Value, &rows); err != nil {
		t.Fatal(err)
	}
	out := make([]reachable, len(rows))
	for i, r := range rows {
		out[i] = reachable{r[0], r[1]}
	}
	return out
}

// TestBuiltinsClassified fails when a script can reach a function that
// classes.txt does not classify, or classes.txt lists one it cannot reach.
func TestBuiltinsClassified(t *testing.T) {
	t.Parallel()
	rows := loadClasses(t)
	listed := map[string]bool{}
	for _, r := range rows {
		if listed[r.path] {
			t.Errorf("%s is listed twice", r.path)
		}
		listed[r.path] = true
	}
	found := map[string]bool{}
	counts := map[string]int{}
	for _, f := range walkBuiltins(t) {
		found[f.path] = true
		counts[f.kind]++
		if !listed[f.path] {
			t.Errorf("%s (%s) is reachable but not classified: add it to %s", f.path, f.kind, classesFile)
		}
	}
	for _, r := range rows {
		if !found[r.path] {
			t.Errorf("%s is classified but no longer reachable: remove it from %s", r.path, classesFile)
		}
	}
	byClass := map[string]int{}
	for _, r := range rows {
		byClass[r.class]++
	}
	t.Logf("%d functions reachable (%d native, %d engine JavaScript); classes: %v", len(found), counts["native"], counts["js"], byClass)
}

// runawayKnown lists scalable built-ins that still escape a bound, and
// why; TestBuiltinRunaways skips them unless -builtins.known is set.
var runawayKnown = map[string]string{}

var runKnown = flag.Bool("builtins.known", false, "TestBuiltinRunaways: also run the known failures")

// garbageHeap is the heap bound of runaways that throw away far more than
// they hold (each step of the arguments iterator's spread, each
// TextEncoder.encode of a 4M-character string, copies what it makes): what
// they hold is the meter's, within the limit; the heap carries their
// garbage until the collector reaches it, held to the soft heap limit's
// 64 MiB margin plus the collector's lag.
var garbageHeap = map[string]bool{"%arguments%[Symbol.iterator]": true}

// Runaway bounds. A probe must end with MEMORY_LIMIT or TIMEOUT (or, if
// bounded, succeed) within the timeout and runawayLate (times the race
// detector's slowdown) of its start, and the heap must not
// grow past runawayHeap (runawayGarbageHeap for those in garbageHeap). The
// bounds allow for the probe's own inputs (a 32 MiB string is half the
// limit), a loaded machine and the race detector; docs/limits.md gives
// the measured values.
const (
	runawayLimit       = 64 << 20
	runawayTimeout     = 2 * time.Second
	runawayLate        = 500 * time.Millisecond
	runawayHeap        = runawayLimit + 32<<20
	runawayGarbageHeap = runawayLimit + 96<<20
)

// TestBuiltinRunaways calls every built-in classes.txt calls scalable with
// inputs sized past a 64 MiB limit or a 2 s timeout: each must be stopped
// (MEMORY_LIMIT or TIMEOUT, never INTERNAL), promptly, without the heap
// running away.
func TestBuiltinRunaways(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates up to the limit for each of the scalable built-ins")
	}
	e := newEngine(t, builtinsConfig())
	for _, r := range loadClasses(t) {
		if r.class != "scalable" {
			continue
		}
		t.Run(r.path, func(t *testing.T) {
			if why, ok := runawayKnown[r.path]; ok && !*runKnown {
				t.Skip("known failure: " + why)
			}
			src := probeFor(t, r)
			heap := int64(runawayHeap)
			if garbageHeap[r.path] {
				heap = runawayGarbageHeap
			}
			runRunaway(t, e, src, r.bounded, heap)
		})
	}
}

// TestIssue14Runaways runs the runaways issue 14 names, as it names them,
// under 64 MiB and 2 s: each must be stopped promptly without the heap
// running away (docs/limits.md has the durations and peaks measured before
// and after).
func TestIssue14Runaways(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates up to the limit")
	}
	e := newEngine(t, builtinsConfig())
	for _, tt := range []struct {
		name, src string
		heap      int64 // the bound on the heap's growth; 0: runawayHeap
	}{
		{"typed array join", `new Uint8Array(2 ** 18).join('x'.repeat(2 ** 10))`, 0},
		{"global match", `'x'.repeat(2 ** 22).match(/x/g)`, 0},
		{"replaceAll", `'x'.repeat(2 ** 16).replaceAll('x', 'y'.repeat(2 ** 14))`, 0},
		{"global replace", `'x'.repeat(2 ** 22).replace(/x/g, 'yy')`, 0},
		{"Object.keys of a string", `Object.keys('x'.repeat(2 ** 24))`, 0},
		{"Object.entries of a typed array", `Object.entries(new Uint8Array(2 ** 22))`, 0},
		{"Object.assign of a string", `Object.assign({}, 'x'.repeat(2 ** 22))`, 0},
		{"URLSearchParams of a huge string", `new URLSearchParams('a&'.repeat(2 ** 23))`, 0},
		// Each call is charged by its guard; the loop that keeps the
		// results is the meter's, and each call also drops two 8 MiB
		// copies (see garbageHeap).
		{"TextEncoder.encode in a loop", `(() => { const s = '\u00e9'.repeat(2 ** 22); const a = []; for (;;) a.push(new TextEncoder().encode(s)); })()`, runawayGarbageHeap},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runRunaway(t, e, tt.src, false, cmp.Or(tt.heap, runawayHeap))
		})
	}
	t.Run("returning a huge string", func(t *testing.T) {
		end := engine.WatchHeap()
		res := runExpr(t, e, `'x'.repeat(2 ** 25)`)
		peak := end()
		if res.Err == nil || res.Err.Code != engine.CodeOutputTooLarge {
			t.Fatalf("got %v, want OUTPUT_TOO_LARGE", res.Err)
		}
		t.Logf("%s after %s, peak heap growth %s", res.Err.Code, res.Metrics.Duration.Round(time.Millisecond), engine.FormatBytes(peak))
		// The string itself is 32 MiB; its JSON is never written.
		if peak > runawayHeap {
			t.Errorf("heap grew %s", engine.FormatBytes(peak))
		}
	})
}

// runRunaway runs the expression src as a handler under the runaway limits
// and checks how it ended.
func runRunaway(t *testing.T, e *engine.Engine, src string, bounded bool, heap int64) {
	t.Helper()
	var (
		res  *engine.Result
		d    time.Duration
		peak int64
	)
	bound := runawayTimeout + runawayLate*engine.RaceSlowdown
	for attempt := 1; ; attempt++ {
		end := engine.WatchHeap()
		start := time.Now()
		res = runExpr(t, e, src)
		d = time.Since(start)
		peak = end()
		// A slow run is tried again: load only ever makes a run slower,
		// and a native loop that no limit stops is slow every time.
		if d <= bound || attempt == 3 {
			break
		}
		t.Logf("attempt %d took %s; running it again", attempt, d.Round(time.Millisecond))
	}
	code := engine.Code("OK")
	if res.Err != nil {
		code = res.Err.Code
	}
	t.Logf("%s after %s, peak heap growth %s", code, d.Round(time.Millisecond), engine.FormatBytes(peak))
	switch {
	case code == engine.CodeMemoryLimit, code == engine.CodeTimeout:
	case code == "OK" && bounded:
	default:
		t.Errorf("ended with %s (%v), want MEMORY_LIMIT or TIMEOUT", code, res.Err)
	}
	if d > bound {
		t.Errorf("took %s, past %s", d.Round(time.Millisecond), bound)
	}
	if peak > heap {
		t.Errorf("heap grew %s, past %s", engine.FormatBytes(peak), engine.FormatBytes(heap))
	}
}

// runExpr evaluates the JavaScript expression src in a handler under the
// runaway limits.
func runExpr(t *testing.T, e *engine.Engine, src string) *engine.Result {
	t.Helper()
	ctx := context.Background()
	code := "export default async function () { return " + src + "; }"
	p, err := e.Compile(ctx, engine.Source{Name: "probe.js", Code: code})
	if err != nil {
		t.Fatalf("compile %s: %v", src, err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatalf("new VM: %v", err)
	}
	return vm.Invoke(ctx, engine.InvokeParams{Timeout: runawayTimeout, MemoryLimit: runawayLimit})
}

// probeFor returns r's probe, generating the @name ones from the path.
func probeFor(t *testing.T, r builtinRow) string {
	t.Helper()
	name, ok := strings.CutPrefix(r.probe, "@")
	if !ok {
		return r.probe
	}
	last := r.path[strings.LastIndexByte(r.path, '.')+1:]
	switch name {
	case "indexes":
		// An Array.prototype method walking a sparse array of the
		// longest length: no memory, 2^32 indexes.
		args, ok := indexArgs[last]
		if !ok || !strings.HasPrefix(r.path, "Array.prototype.") {
			t.Fatalf("@indexes: no arguments for %s", r.path)
		}
		return "Array.prototype." + last + ".call(new Array(2 ** 32 - 1)" + args + ")"
	case "construct":
		return "new " + r.path + "(2 ** 30)"
	case "console":
		return r.path + "(new Array(2 ** 11).fill('x'.repeat(2 ** 20)))"
	case "host":
		// A lattice: 41 arrays, 2^40 paths through them.
		return r.path + "(((o) => { for (let i = 0; i < 40; i++) o = [o, o]; return o; })([1]))"
	}
	t.Fatalf("%s: unknown probe %s", r.path, r.probe)
	return ""
}

// indexArgs are the arguments @indexes passes each Array.prototype method.
var indexArgs = map[string]string{
	"concat": "", "copyWithin": ", 1, 0", "every": ", () => true", "fill": ", 0", "filter": ", () => true",
	"find": ", () => false", "findIndex": ", () => false", "findLast": ", () => false", "findLastIndex": ", () => false",
	"forEach": ", () => {}", "includes": ", 1", "indexOf": ", 1", "lastIndexOf": ", 1", "map": ", () => 0",
	"reduce": ", () => 0, 0", "reduceRight": ", () => 0, 0", "reverse": "", "shift": "", "slice": "", "some": ", () => false",
	"sort": "", "splice": ", 0", "toLocaleString": "", "toReversed": "", "toSorted": "", "toSpliced": ", 0, 1",
	"toString": "", "unshift": ", 1", "with": ", 0, 1",
}

func newEngine(t *testing.T, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// TestBuiltinSpecErrors: a guard must not turn the spec's early errors into
// MEMORY_LIMIT. Each case throws a catchable TypeError or RangeError before
// any work in the spec (a length near 2^53 on splice, an array length past
// 2^32 - 1, a negative size), or does little work on a huge array-like (a
// slice of its last three indexes); the engine must answer what goja
// without the sandbox does, error name and message included.
func TestBuiltinSpecErrors(t *testing.T) {
	t.Parallel()
	cases := []string{
		`Array.prototype.splice.call({ length: 2 ** 53 - 1 }, 0, 0, 1)`,
		`Array.prototype.unshift.call({ length: 2 ** 53 - 1 }, 1)`,
		`Array.prototype.push.call({ length: 2 ** 53 - 1 }, 1)`,
		`Array.prototype.toSpliced.call({ length: 2 ** 53 - 1 }, 0, 0, 1)`,
		`Array.prototype.toSpliced.call({ length: 2 ** 32 }, 0, 0)`,
		`Array.prototype.toReversed.call({ length: 2 ** 32 })`,
		`Array.prototype.toSorted.call({ length: 2 ** 32 })`,
		`Array.prototype.with.call({ length: 2 ** 32 }, 0, 1)`,
		`new Array(2 ** 32 - 1).with(2 ** 32, 1)`,
		`Array.prototype.map.call({ length: 2 ** 32 }, (x) => x)`,
		`Array.prototype.slice.call({ length: 2 ** 32 })`,
		`Array.prototype.forEach.call({ length: 2 ** 53 - 1 }, 1)`,
		`Array.prototype.sort.call({ length: 2 ** 53 - 1 }, 1)`,
		`Array.prototype.unshift.call({ length: 2 ** 53 - 1 })`,
		`Array.prototype.slice.call({ length: 2 ** 53 - 1 }, -3)`,
		`Array.prototype.indexOf.call({ length: 2 ** 53 - 1, [2 ** 53 - 2]: 7 }, 7, -1)`,
		`Array.prototype.lastIndexOf.call({ length: 2 ** 53 - 1, 1: 7 }, 7, 2)`,
		`Array.prototype.fill.call({ length: 2 ** 53 - 1 }, 0, -2).length`,
		`new Float64Array(2 ** 53)`,
		`new ArrayBuffer(2 ** 53)`,
		`[].reduce(() => 0)`,
		`Math.max.apply(null, 1)`,
		`Reflect.apply(Math.max, null, 1)`,
		`'x'.repeat(-1)`,
		`'x'.repeat(Infinity)`,
		`'x'.normalize('X')`,
		`'x'.replaceAll(/x/, 'y')`,
		`String.prototype.split.call(null, '')`,
		`String.prototype.replace.call(undefined, 'a', 'b')`,
		`String.raw()`,
		`new Uint8Array(-1)`,
		`new Uint8Array(2 ** 53)`,
		`new ArrayBuffer(-1)`,
		`BigInt.asUintN(-1, 1n)`,
		`BigInt.asUintN(2 ** 53, 1n)`,
		`BigInt.asIntN(8)`,
		`Object.keys(null)`,
		`Reflect.ownKeys('x')`,
		`Object.freeze(new Uint8Array(2))`,
		`JSON.parse('{')`,
		`RegExp.prototype[Symbol.replace].call(1, 'x', 'y')`,
		`RegExp.prototype[Symbol.match].call(null, 'x')`,
		`RegExp.prototype[Symbol.split].call(undefined, 'x')`,
		`Object.getPrototypeOf(Uint8Array).prototype.join.call({}, ',')`,
		`Object.getPrototypeOf(Uint8Array).prototype.sort.call([2, 1])`,
		`new Uint8Array(2).sort(1)`,
	}
	// The web globals are not goja's: their errors as the web globals
	// throw them.
	web := map[string]string{
		`new URLSearchParams([1])`: "TypeError: URLSearchParams: each init pair must be an iterable of two strings",
		`new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff]))`: "TypeError: The encoded data was not valid for encoding utf-8",
		`new TextEncoder().encode(Symbol())`:                                       "TypeError: Cannot convert a Symbol value to a string",
	}
	for c := range web {
		cases = append(cases, c)
	}
	e := newEngine(t, builtinsConfig())
	wrap := func(expr string) string {
		return `(() => { try { return String(` + expr + `) } catch (e) { return e.name + ': ' + e.message } })()`
	}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			want, ok := web[c]
			if !ok {
				v, err := goja.New().RunString(wrap(c))
				if err != nil {
					t.Fatalf("goja: %v", err)
				}
				want = v.String()
			}
			res := runExpr(t, e, wrap(c))
			if res.Err != nil {
				t.Fatalf("got %v, want %s", res.Err, want)
			}
			var got string
			if err := json.Unmarshal(res.Value, &got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got %q, want %q (goja without the sandbox)", got, want)
			}
		})
	}
}
