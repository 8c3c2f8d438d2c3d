package kiln

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// BenchmarkRun: warm runs through Client.Run on the HTTP trigger (which
// returns before the record is durable: no group-commit wait), of a
// handler that makes no host call and of one that makes one
// (iota.log.info). With -benchmem it counts a run's allocations;
// cpu-ns/op is the process's CPU time per run.
func BenchmarkRun(b *testing.B) { benchmarkRun(b) }

func benchmarkRun(b *testing.B, mutate ...func(*Config)) {
	scripts := []struct{ name, src string }{
		{"hello", `export default (req) => ({ hello: req.query.name })`},
		{"hostcall", `export default (req) => { iota.log.info('hi'); return { hello: req.query.name }; }`},
	}
	for _, sc := range scripts {
		b.Run(sc.name, func(b *testing.B) {
			c := newTestClient(b, mutate...)
			ctx := context.Background()
			if _, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "acme", Name: "Acme"}); err != nil {
				b.Fatal(err)
			}
			s, err := c.ScriptSave(ctx, ScriptSaveParams{TenantSlug: "acme", Name: sc.name, Language: "javascript",
				Type: kilntype.TypeHTTP, Source: sc.src,
				Trigger: &kilntype.TriggerConfig{HTTP: &kilntype.HTTPTrigger{Path: "/" + sc.name, Methods: []string{"GET"}}}})
			if err != nil {
				b.Fatal(err)
			}
			// By IDs, as the HTTP door runs it: a script name is looked up
			// in the store.
			p := RunParams{TenantID: s.TenantID, ScriptID: s.ID, Trigger: kilntype.TriggerHTTP,
				Input: json.RawMessage(`{"method":"GET","path":"/x","params":{},"query":{"name":"Ada"},"headers":{},"body":null}`)}
			run := func() {
				res, err := c.Run(ctx, p)
				if err != nil || res.Execution.Error != nil {
					b.Fatal(err, res.Execution.Error)
				}
			}
			run() // warm: compile, bind a VM, fill the catalog
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				run()
			}
			// The process's CPU time per run, background work (the
			// recorder's group commits) included: on a shared machine
			// steadier than the wall clock.
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkRunEmbedded: runs through Client.Run that wait until their
// record is durable (group commit), as embedded, manual, cron and event
// runs do, with 64 callers at once so that batches fill.
//
//	go test -run XXX -bench BenchmarkRunEmbedded -benchtime 20000x -count 3 .
func BenchmarkRunEmbedded(b *testing.B) {
	ctx := context.Background()
	c := newTestClient(b)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	emb, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "embedded", Type: kilntype.TypeEmbedded, Status: kilntype.StatusActive,
		Language: "javascript", Source: `export default (x) => ({ n: x.n + 1 })`})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetParallelism(32) // 64 callers on 2 cores
	input := json.RawMessage(`{"n":1}`)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptID: emb.ID, Trigger: kilntype.TriggerEmbedded, Input: input})
			if err != nil || res.Execution.Status != kilntype.ExecCompleted {
				b.Errorf("%+v %v", res, err)
				return
			}
		}
	})
}
