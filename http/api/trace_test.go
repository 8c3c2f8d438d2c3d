package api

import (
	"context"
	"net/http"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// TestRunTraceParent: an HTTP script's run span is a child of the W3C
// trace context its request came with.
func TestRunTraceParent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, _, srv := newTestAPI(t, kiln.WithTracerProvider(tp))
	ctx := context.Background()
	if _, err := c.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: "acme", Name: "hello", Language: "javascript",
		Type: kilntype.TypeHTTP, Source: `export default () => ({ hello: 'world' })`,
		Trigger: &kilntype.TriggerConfig{HTTP: &kilntype.HTTPTrigger{Path: "/hello", Methods: []string{"GET"}}}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/run/acme/hello", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	req.Header.Set("Tracestate", "vendor=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want the run's", len(spans))
	}
	run := spans[0]
	if run.Name() != "kiln.run http" || run.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want kiln.run http, server", run.Name(), run.SpanKind())
	}
	parent := run.Parent()
	if !parent.IsRemote() || parent.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		parent.SpanID().String() != "00f067aa0ba902b7" || run.SpanContext().TraceState().Get("vendor") != "x" {
		t.Fatalf("the run span's parent is %+v (trace state %q), not the request's traceparent", parent, run.SpanContext().TraceState())
	}
}
