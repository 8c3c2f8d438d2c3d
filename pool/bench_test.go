package pool

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/internal/goja"
)

// BenchmarkWarmInvoke is an invocation through the pool on a warm VM — the
// fair slot, the CPU turn, the idle list, the engine's limits — beside raw
// goja calling the same handler in the same run. It reports p50 and p99.
func BenchmarkWarmInvoke(b *testing.B) {
	e, err := engine.New(engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	p, err := New(e, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	const src = `export default function (input) { return { hello: input.name }; }`
	job := Job{Key: Key{"t", "s", 1}, Compile: func(ctx context.Context) (*engine.Program, error) {
		return e.Compile(ctx, engine.Source{Name: "s.js", Code: src})
	}, Params: engine.InvokeParams{Input: json.RawMessage(`{"name":"Ada"}`)}}
	ctx := context.Background()
	if _, err := p.Run(ctx, job); err != nil {
		b.Fatal(err)
	}
	rt := goja.New()
	v, err := rt.RunString(`(function () { return function (input) { return { hello: input.name }; }; })()`)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := goja.AssertFunction(v)
	stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))

	pooled := make([]time.Duration, 0, b.N)
	bare := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		res, err := p.Run(ctx, job)
		if err != nil || res.Err != nil {
			b.Fatal(err, res.Err)
		}
		pooled = append(pooled, time.Since(start))
		start = time.Now()
		in, _ := parse(goja.Undefined(), rt.ToValue(`{"name":"Ada"}`))
		out, _ := raw(goja.Undefined(), in)
		_, _ = stringify(goja.Undefined(), out)
		bare = append(bare, time.Since(start))
	}
	slices.Sort(pooled)
	slices.Sort(bare)
	b.ReportMetric(float64(pooled[len(pooled)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(pooled[len(pooled)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(bare[len(bare)/2].Nanoseconds()), "raw-p50-ns")
}
