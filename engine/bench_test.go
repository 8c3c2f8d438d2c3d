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

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
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

func BenchmarkWarmInvoke(b *testing.B) {
	input := json.RawMessage(`{"n":1}`)
	b.Run("engine", func(b *testing.B) {
		vm := benchVM(b, trivialHandler)
		ctx := context.Background()
		reportPercentiles(b, func() {
			if res := vm.Invoke(ctx, InvokeParams{Input: input}); res.Err != nil {
				b.Fatal(res.Err)
			}
		})
	})
	b.Run("raw-goja", func(b *testing.B) {
		rt, fn := rawHandler(b, trivialHandler)
		arg := rt.ToValue(map[string]any{"n": 1})
		reportPercentiles(b, func() {
			if _, err := fn(goja.Undefined(), arg); err != nil {
				b.Fatal(err)
			}
		})
	})
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
		vm, err := e.NewVM(ctx, &Program{Name: "cold.js", JS: js, program: compiled})
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
