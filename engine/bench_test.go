package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/internal/goja/parser"
	"github.com/kiln-run/kiln/kilntype"
)

// The benchmarks pair each engine path with raw goja doing the same work in
// the same run, so docs/benchmarks.md can quote ratios on a noisy machine.
// Each reports p50/p99 per operation besides Go's mean.

const trivialHandler = `export default function (input) { return { ok: true, n: input.n }; }`

const fibHandler = `
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
export default function (input) { return fib(input.n); }`

const jsonHandler = `export default function (input) { return JSON.parse(JSON.stringify(input)).items.length; }`

// reportPercentiles times each iteration of op and reports p50 and p99.
func reportPercentiles(b *testing.B, op func()) {
	b.Helper()
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		op()
		samples = append(samples, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(samples)
	if len(samples) == 0 {
		return
	}
	b.ReportMetric(float64(samples[len(samples)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(samples[len(samples)*99/100].Nanoseconds()), "p99-ns")
}

func benchVM(b *testing.B, src string) *VM {
	b.Helper()
	e := setup(b, Config{})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "bench.js", Code: src})
	if err != nil {
		b.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	return vm
}

// rawHandler runs src's handler in a bare goja runtime: no sandbox, no
// limits, no event loop — the ceiling the engine is measured against.
func rawHandler(b *testing.B, src string) (*goja.Runtime, goja.Callable) {
	b.Helper()
	// Wrapped in a function, as the engine's bundle is, so that module-level
	// names are closure locals in both (global lookups are slower in goja).
	js := "var handler = (function () {" + strings.Replace(src, "export default function", "return function", 1) + "})();"
	rt := goja.New()
	if _, err := rt.RunString(js); err != nil {
		b.Fatal(err)
	}
	fn, ok := goja.AssertFunction(rt.Get("handler"))
	if !ok {
		b.Fatal("no handler")
	}
	return rt, fn
}

// warmReference is the engine's warm invocation done with plain goja as
// well as one reasonably can, the fair ceiling for BenchmarkWarmInvoke: the
// same JSON input decoded into JS values, the handler called with (input,
// ctx), its result serialized to JSON. Of the ways tried (goja's JSON.parse
// or encoding/json and ToValue for the input; an object with six Sets, a
// JS factory, a Go struct or a Go map for ctx; JSON.stringify or
// encoding/json on the result), these were the fastest. Go maps wrapped by
// ToValue are lazy: a property becomes a JS value when read. There are no
// limits, no sandbox, no event loop, no logs or host-call records.
type warmReference struct {
	rt        *goja.Runtime
	handler   goja.Callable
	json      goja.Value
	stringify goja.Callable
}

func newWarmReference(b *testing.B, src string) *warmReference {
	b.Helper()
	rt, fn := rawHandler(b, src)
	jsonObj := rt.Get("JSON").ToObject(rt)
	stringify, _ := goja.AssertFunction(jsonObj.Get("stringify"))
	return &warmReference{rt: rt, handler: fn, json: jsonObj, stringify: stringify}
}

func (r *warmReference) invoke(input json.RawMessage, m Meta) (string, error) {
	var in any
	if err := json.Unmarshal(input, &in); err != nil {
		return "", err
	}
	ctx := map[string]any{"tenantId": m.TenantID, "scriptId": m.ScriptID, "version": m.Version,
		"executionId": m.ExecutionID, "trigger": m.Trigger, "attempt": max(m.Attempt, 1)}
	out, err := r.handler(goja.Undefined(), r.rt.ToValue(in), r.rt.ToValue(ctx))
	if err != nil {
		return "", err
	}
	s, err := r.stringify(r.json, out)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

// BenchmarkWarmInvoke compares vm.Invoke on a warm VM with warmReference
// doing the same work, and with a bare call of the handler on a pre-made
// argument (the floor: what the handler itself costs). Each iteration
// runs all three, one after the other, so a noisy machine slows them
// alike; ns/op is their sum. It reports the engine's p50 and p99, the
// reference's (ref-) and the bare call's (call-) p50, and x-ref, the
// engine's p50 over the reference's.
func BenchmarkWarmInvoke(b *testing.B) {
	input := json.RawMessage(`{"n":1}`)
	meta := Meta{TenantID: "acme", ScriptID: "hello", Version: 3, ExecutionID: "0193a1b2c3d4e5f60718293a4b5c6d7e", Trigger: "manual", Attempt: 1}
	const want = `{"ok":true,"n":1}`
	vm := benchVM(b, trivialHandler)
	ref := newWarmReference(b, trivialHandler)
	rt, call := rawHandler(b, trivialHandler)
	arg := rt.ToValue(map[string]any{"n": 1})
	ctx := context.Background()
	params := InvokeParams{Input: input, Meta: meta}
	if res := vm.Invoke(ctx, params); res.Err != nil || string(res.Value) != want {
		b.Fatalf("engine: %s %v", res.Value, res.Err)
	}
	if out, err := ref.invoke(input, meta); err != nil || out != want {
		b.Fatalf("reference: %s %v", out, err)
	}
	engine := make([]time.Duration, 0, b.N)
	reference := make([]time.Duration, 0, b.N)
	bare := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if res := vm.Invoke(ctx, params); res.Err != nil {
			b.Fatal(res.Err)
		}
		engine = append(engine, time.Since(start))
		start = time.Now()
		if _, err := ref.invoke(input, meta); err != nil {
			b.Fatal(err)
		}
		reference = append(reference, time.Since(start))
		start = time.Now()
		if _, err := call(goja.Undefined(), arg); err != nil {
			b.Fatal(err)
		}
		bare = append(bare, time.Since(start))
	}
	b.StopTimer()
	p50, p99 := percentiles(engine)
	refP50, refP99 := percentiles(reference)
	callP50, _ := percentiles(bare)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(refP50.Nanoseconds()), "ref-p50-ns")
	b.ReportMetric(float64(refP99.Nanoseconds()), "ref-p99-ns")
	b.ReportMetric(float64(callP50.Nanoseconds()), "call-p50-ns")
	b.ReportMetric(float64(p50)/float64(refP50), "x-ref")
}

// percentiles sorts samples and returns their p50 and p99.
func percentiles(samples []time.Duration) (p50, p99 time.Duration) {
	if len(samples) == 0 {
		return 0, 0
	}
	slices.Sort(samples)
	return samples[len(samples)/2], samples[len(samples)*99/100]
}

// BenchmarkColdInvoke measures a new program's first invocation: goja
// compile, VM creation (sandbox, web globals) and the call. The esbuild
// transform is excluded, as the goal states, by compiling pre-bundled JS.
func BenchmarkColdInvoke(b *testing.B) {
	e := setup(b, Config{})
	ctx := context.Background()
	bundled, err := e.Compile(ctx, Source{Name: "cold.js", Code: trivialHandler})
	if err != nil {
		b.Fatal(err)
	}
	input := json.RawMessage(`{"n":1}`)
	i := 0
	reportPercentiles(b, func() {
		i++
		// A distinct source each time so nothing is reused from a cache.
		js := bundled.JS + fmt.Sprintf("\n//%d", i)
		prg, err := goja.Parse("cold.js", js, parser.WithSourceMapLoader(refuseSourceMapFile))
		if err != nil {
			b.Fatal(err)
		}
		compiled, err := goja.CompileAST(prg, false)
		if err != nil {
			b.Fatal(err)
		}
		vm, err := e.NewVM(ctx, &Program{Name: "cold.js", JS: js, modules: map[string]*module{"cold.js": {program: compiled}}})
		if err != nil {
			b.Fatal(err)
		}
		if res := vm.Invoke(ctx, InvokeParams{Input: input}); res.Err != nil {
			b.Fatal(res.Err)
		}
	})
}

func BenchmarkFib25(b *testing.B) {
	input := json.RawMessage(`{"n":25}`)
	b.Run("engine", func(b *testing.B) {
		vm := benchVM(b, fibHandler)
		reportPercentiles(b, func() {
			if res := vm.Invoke(context.Background(), InvokeParams{Input: input}); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	})
	b.Run("raw-goja", func(b *testing.B) {
		rt, fn := rawHandler(b, fibHandler)
		arg := rt.ToValue(map[string]any{"n": 25})
		reportPercentiles(b, func() {
			if _, err := fn(goja.Undefined(), arg); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// jsonInput is about 50 KB of JSON.
func jsonInput() json.RawMessage {
	items := make([]map[string]any, 400)
	for i := range items {
		items[i] = map[string]any{"id": i, "name": fmt.Sprintf("item-%d", i), "price": float64(i) * 1.25,
			"tags": []string{"a", "b", "c"}, "active": i%2 == 0, "note": strings.Repeat("x", 40)}
	}
	b, _ := json.Marshal(map[string]any{"items": items})
	return b
}

func BenchmarkJSONRoundTrip50KB(b *testing.B) {
	input := jsonInput()
	b.Run("engine", func(b *testing.B) {
		vm := benchVM(b, jsonHandler)
		reportPercentiles(b, func() {
			if res := vm.Invoke(context.Background(), InvokeParams{Input: input}); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	})
	b.Run("raw-goja", func(b *testing.B) {
		rt, fn := rawHandler(b, jsonHandler)
		parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
		text := rt.ToValue(string(input))
		reportPercentiles(b, func() {
			// The same work the engine does: parse the input, run, no more.
			arg, err := parse(goja.Undefined(), text)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := fn(goja.Undefined(), arg); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkIdleVMMemory reports the heap one idle VM bound to a trivial
// program keeps after one invocation, beside a bare goja runtime that ran
// the same handler.
func BenchmarkIdleVMMemory(b *testing.B) {
	e := setup(b, Config{})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "idle.js", Code: trivialHandler})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		vm := heapPerObject(200, func() any {
			vm, err := e.NewVM(ctx, p)
			if err != nil {
				b.Fatal(err)
			}
			vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(`{"n":1}`)})
			return vm
		})
		raw := heapPerObject(200, func() any {
			rt, fn := rawHandler(b, trivialHandler)
			_, _ = fn(goja.Undefined(), rt.ToValue(map[string]any{"n": 1}))
			return rt
		})
		b.ReportMetric(vm/1024, "KiB/vm")
		b.ReportMetric(raw/1024, "raw-KiB/vm")
	}
}

// heapPerObject returns the live heap each of n objects made by mk holds.
func heapPerObject(n int, mk func() any) float64 {
	keep := make([]any, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = mk()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkWarmInvokeHTTP is a warm invocation of the bench/http handler
// with the HTTP input kiln serve builds for `GET /run/bench/hello?name=Ada`
// from Go's client (its two headers): the engine's share of a request of
// BenchmarkHTTPHello, without the network, for -benchmem and -cpuprofile.
func BenchmarkWarmInvokeHTTP(b *testing.B) {
	vm := benchVM(b, `export default function (req) { return { hello: req.query.name ?? 'world' }; }`)
	in := &kilntype.HTTPInput{Method: "GET", Path: "/hello", Params: map[string]string{},
		Query: map[string]string{"name": "Ada"}, Headers: map[string]string{"user-agent": "Go-http-client/1.1", "accept-encoding": "gzip"}}
	params := InvokeParams{HTTP: in, Meta: Meta{TenantID: "acme", ScriptID: "hello", Version: 3,
		ExecutionID: "0193a1b2c3d4e5f60718293a4b5c6d7e", Trigger: kilntype.TriggerHTTP, Attempt: 1}}
	ctx := context.Background()
	const want = `{"hello":"Ada"}`
	if res := vm.Invoke(ctx, params); res.Err != nil || string(res.Value) != want {
		b.Fatalf("%s %v", res.Value, res.Err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := vm.Invoke(ctx, params); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
