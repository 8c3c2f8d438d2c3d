package kiln

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// BenchmarkRun is a run through the core — tenant and script from the
// catalog, MayRun, the pool, the engine, the record — beside the engine's
// warm invoke (BenchmarkWarmInvoke in ./engine). http returns without
// waiting for its record (as the HTTP trigger does); embedded waits until
// the record is durable (group commit), with 64 callers at once so that
// batches fill.
//
//	go test -run XXX -bench BenchmarkRun -benchtime 20000x -count 3 .
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	c := newTestClient(b)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "hello", Type: kilntype.TypeHTTP, Status: kilntype.StatusActive,
		Language: "javascript", Source: `export default (req) => ({ hello: req.query.name ?? 'world' })`,
		Trigger: kilntype.TriggerConfig{HTTP: &kilntype.HTTPTrigger{Path: "/hello", Methods: []string{"GET"}}}}); err != nil {
		b.Fatal(err)
	}
	emb, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "embedded", Type: kilntype.TypeEmbedded, Status: kilntype.StatusActive,
		Language: "javascript", Source: `export default (x) => ({ n: x.n + 1 })`})
	if err != nil {
		b.Fatal(err)
	}
	route, err := c.RouteHTTP(ctx, "bench", "GET", "/hello")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := kilntype.HTTPInput{Method: "GET", Path: "/hello", Params: route.Params,
				Query: map[string]string{"name": "Ada"}, Headers: map[string]string{"accept": "*/*"}}
			res, err := c.Run(ctx, RunParams{TenantID: route.TenantID, ScriptID: route.ScriptID, Trigger: kilntype.TriggerHTTP, HTTP: &in})
			if err != nil || res.Execution.Status != kilntype.ExecCompleted {
				b.Fatalf("%+v %v", res, err)
			}
		}
	})
	b.Run("embedded", func(b *testing.B) {
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
	})
}
