package kiln

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/kiln-run/kiln/kilntype"
)

// noOTELEnv clears the variables that would turn tracing on from the
// environment, whatever the machine running the tests has set.
func noOTELEnv(t *testing.T) {
	for _, v := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED",
		"OTEL_TRACES_EXPORTER", "OTEL_PROPAGATORS", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SERVICE_NAME"} {
		t.Setenv(v, "")
	}
}

// tracedClient is a started client whose spans go to a recorder.
func tracedClient(t *testing.T, mutate ...func(*Config)) (*Client, *tracetest.SpanRecorder) {
	t.Helper()
	noOTELEnv(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	c := newTestClient(t, append([]func(*Config){func(c *Config) { c.TracerProvider = tp }}, mutate...)...)
	return c, rec
}

// deploy creates the tenant (once) and saves a script for it.
func deploy(t *testing.T, c *Client, tenant string, p ScriptSaveParams) *ScriptDetail {
	t.Helper()
	ctx := context.Background()
	if _, err := c.TenantCreate(ctx, TenantCreateParams{Slug: tenant, Name: tenant}); err != nil && kilntype.ErrorCode(err) != kilntype.EConflict {
		t.Fatalf("TenantCreate: %v", err)
	}
	p.TenantSlug = tenant
	if p.Language == "" {
		p.Language = "javascript"
	}
	s, err := c.ScriptSave(ctx, p)
	if err != nil {
		t.Fatalf("ScriptSave: %v", err)
	}
	return s
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, a := range s.Attributes() {
		m[a.Key] = a.Value
	}
	return m
}

// byName returns the ended spans named name.
func byName(rec *tracetest.SpanRecorder, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// TestTracingRunSpans: a manual run is one span with the run's attributes
// and a child per host call, the failing call's with its code.
func TestTracingRunSpans(t *testing.T) {
	c, rec := tracedClient(t)
	s := deploy(t, c, "acme", ScriptSaveParams{Name: "traced", Source: `export default async function () {
		await iota.cache.set('k', 1, 60);
		await iota.db.query('orders', { limit: 1 });
		await iota.secrets.get('MISSING');
	}`})
	res, err := c.Run(context.Background(), RunParams{TenantSlug: "acme", ScriptName: "traced", Trigger: kilntype.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	exec := res.Execution
	if exec.Status != kilntype.ExecFailed || exec.Error.Code != kilntype.ENotFound {
		t.Fatalf("execution %s %+v, want failed with NOT_FOUND", exec.Status, exec.Error)
	}
	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans, want 4", len(spans))
	}
	runs := byName(rec, "kiln.run manual")
	if len(runs) != 1 {
		t.Fatalf("run spans: %d, want 1", len(runs))
	}
	run := runs[0]
	a := attrs(run)
	want := map[attribute.Key]attribute.Value{
		attrTenantID: attribute.StringValue(s.TenantID), attrTenantSlug: attribute.StringValue("acme"),
		attrScriptID: attribute.StringValue(s.ID), attrScriptName: attribute.StringValue("traced"),
		attrVersion: attribute.IntValue(1), attrTrigger: attribute.StringValue("manual"),
		attrExecutionID: attribute.StringValue(exec.ID), attrAttempt: attribute.IntValue(1),
		attrStatus: attribute.StringValue("failed"), attrErrorCode: attribute.StringValue("NOT_FOUND"),
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("run span %s = %v, want %v", k, a[k].String(), v.String())
		}
	}
	if st := run.Status(); st.Code != codes.Error || st.Description != "NOT_FOUND" {
		t.Errorf("run span status %+v", st)
	}
	if run.Parent().IsValid() || run.SpanKind() != trace.SpanKindInternal {
		t.Errorf("run span parent %v kind %v, want a root internal span", run.Parent(), run.SpanKind())
	}

	var names []string
	for _, sp := range spans {
		if sp == run {
			continue
		}
		names = append(names, sp.Name())
		if sp.Parent().SpanID() != run.SpanContext().SpanID() || sp.SpanContext().TraceID() != run.SpanContext().TraceID() {
			t.Errorf("%s is not a child of the run span", sp.Name())
		}
		code := attrs(sp)[attrErrorCode].AsString()
		if sp.Name() == "iota.secrets.get" {
			if code != "NOT_FOUND" || sp.Status().Code != codes.Error || sp.Status().Description != "NOT_FOUND" {
				t.Errorf("iota.secrets.get: code %q status %+v", code, sp.Status())
			}
		} else if code != "" || sp.Status().Code == codes.Error {
			t.Errorf("%s: code %q status %+v, want success", sp.Name(), code, sp.Status())
		}
	}
	if want := []string{"iota.cache.set", "iota.db.query", "iota.secrets.get"}; !slices.Equal(names, want) {
		t.Errorf("child spans %v, want %v", names, want)
	}
}

// TestTracingParents: the run span is a child of the span in ctx (a
// host's), or of the W3C trace context the run was given; a run that is
// refused before it starts still ends its span with the code.
func TestTracingParents(t *testing.T) {
	c, rec := tracedClient(t)
	deploy(t, c, "acme", ScriptSaveParams{Name: "hello", Source: `export default () => 'hi'`})
	ctx := context.Background()

	host := sdktrace.NewTracerProvider().Tracer("host")
	hostCtx, hostSpan := host.Start(ctx, "host request")
	if _, err := c.Run(hostCtx, RunParams{TenantSlug: "acme", ScriptName: "hello", Trigger: kilntype.TriggerEmbedded}); err != nil {
		t.Fatal(err)
	}
	hostSpan.End()
	run := byName(rec, "kiln.run embedded")
	if len(run) != 1 || run[0].Parent().SpanID() != hostSpan.SpanContext().SpanID() || run[0].SpanContext().TraceID() != hostSpan.SpanContext().TraceID() {
		t.Fatalf("the run span is not the host span's child: %v", run)
	}

	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	if _, err := c.Run(ctx, RunParams{TenantSlug: "acme", ScriptName: "hello", Trigger: kilntype.TriggerManual,
		TraceParent: parent, TraceState: "vendor=x"}); err != nil {
		t.Fatal(err)
	}
	run = byName(rec, "kiln.run manual")
	if len(run) != 1 || run[0].Parent().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		run[0].Parent().SpanID().String() != "00f067aa0ba902b7" || !run[0].Parent().IsRemote() ||
		run[0].SpanContext().TraceState().Get("vendor") != "x" {
		t.Fatalf("the run span is not the traceparent's child: %+v", run)
	}

	_, err := c.Run(ctx, RunParams{TenantSlug: "acme", ScriptName: "hello", Trigger: kilntype.TriggerCron})
	if kilntype.ErrorCode(err) != kilntype.EConflict {
		t.Fatalf("cron run of an embedded script: %v, want CONFLICT", err)
	}
	run = byName(rec, "kiln.run cron")
	if len(run) != 1 || run[0].Status().Description != "CONFLICT" || attrs(run[0])[attrExecutionID].AsString() != "" {
		t.Fatalf("refused run's span: %+v", run)
	}
}

// TestTracingOutboundPropagation: fetch and iota.http requests carry the
// traceparent of their host call's span, unless the script set one.
func TestTracingOutboundPropagation(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Traceparent"))
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c, rec := tracedClient(t, func(c *Config) { c.HTTPAllow = []string{"127.0.0.1:" + port} })
	deploy(t, c, "acme", ScriptSaveParams{Name: "out", Source: `export default async function (url) {
		await fetch(url);
		await iota.http.get(url);
		await fetch(url, { headers: { traceparent: 'mine' } });
	}`})
	input, _ := json.Marshal(srv.URL)
	res, err := c.Run(context.Background(), RunParams{TenantSlug: "acme", ScriptName: "out", Trigger: kilntype.TriggerManual, Input: input})
	if err != nil || res.Execution.Error != nil {
		t.Fatalf("run: %v %+v", err, res.Execution.Error)
	}
	fetches, gets := byName(rec, "fetch"), byName(rec, "iota.http.get")
	if len(fetches) != 2 || len(gets) != 1 {
		t.Fatalf("spans: %d fetch, %d iota.http.get", len(fetches), len(gets))
	}
	traceparent := func(s sdktrace.ReadOnlySpan) string {
		return "00-" + s.SpanContext().TraceID().String() + "-" + s.SpanContext().SpanID().String() + "-01"
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{traceparent(fetches[0]), traceparent(gets[0]), "mine"}
	if !slices.Equal(seen, want) {
		t.Fatalf("the server saw traceparents %q, want %q", seen, want)
	}
	if gets[0].SpanKind() != trace.SpanKindClient {
		t.Errorf("iota.http.get span kind %v, want client", gets[0].SpanKind())
	}
}

// TestTracingHostFuncContext: a host function's ctx carries its call's
// span, so the host's own spans nest under it.
func TestTracingHostFuncContext(t *testing.T) {
	seen := make(chan trace.SpanContext, 1)
	c, rec := tracedClient(t, func(c *Config) {
		c.HostFuncs = []HostFunc{{Name: "probe", Fn: func(ctx context.Context, _ string, _ []any) (any, error) {
			seen <- trace.SpanFromContext(ctx).SpanContext()
			return nil, nil
		}}}
	})
	deploy(t, c, "acme", ScriptSaveParams{Name: "probe", Source: `export default () => iota.host.probe()`})
	if _, err := c.Run(context.Background(), RunParams{TenantSlug: "acme", ScriptName: "probe", Trigger: kilntype.TriggerEmbedded}); err != nil {
		t.Fatal(err)
	}
	calls := byName(rec, "iota.host.probe")
	if len(calls) != 1 || !(<-seen).Equal(calls[0].SpanContext()) {
		t.Fatalf("the host function's ctx does not carry its call's span (%d spans)", len(calls))
	}
}

// TestTracingOff: with no provider and no OTEL_* endpoint nothing is
// traced — no hook, no span in a host call's context — and the tracing
// steps of a run allocate nothing.
func TestTracingOff(t *testing.T) {
	noOTELEnv(t)
	sawSpan := make(chan bool, 1)
	c := newTestClient(t, func(c *Config) {
		c.HostFuncs = []HostFunc{{Name: "probe", Fn: func(ctx context.Context, _ string, _ []any) (any, error) {
			sawSpan <- trace.SpanFromContext(ctx).SpanContext().IsValid()
			return nil, nil
		}}}
	})
	if c.tracing != nil || c.engine.Config().OnHostCall != nil || c.outbound.Config().InjectHeaders != nil {
		t.Fatal("tracing is on with no provider and no OTEL_* endpoint")
	}
	deploy(t, c, "acme", ScriptSaveParams{Name: "probe", Source: `export default () => iota.host.probe()`})
	res, err := c.Run(context.Background(), RunParams{TenantSlug: "acme", ScriptName: "probe", Trigger: kilntype.TriggerEmbedded,
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
	if err != nil || res.Execution.Error != nil {
		t.Fatalf("run: %v %+v", err, res.Execution.Error)
	}
	if <-sawSpan {
		t.Error("a host call's context holds a span with tracing off")
	}

	ctx := context.Background()
	req := runRequest{Tenant: &kilntype.Tenant{ID: "t", Slug: "acme"}, ScriptID: "s", Trigger: kilntype.TriggerHTTP,
		TraceParent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
	exec := &kilntype.Execution{ID: "e", Status: kilntype.ExecCompleted}
	script, version := &kilntype.Script{}, &kilntype.Version{}
	allocs := testing.AllocsPerRun(100, func() {
		runCtx, span := c.tracing.startRun(ctx, &req)
		span.ran(script, version)
		span.end(exec, nil)
		if runCtx != ctx {
			t.Fatal("startRun changed the context with tracing off")
		}
	})
	if allocs != 0 {
		t.Errorf("tracing off allocates %.0f times per run", allocs)
	}
}

// TestTracingConfig: which configurations trace, and how.
func TestTracingConfig(t *testing.T) {
	ctx := context.Background()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	host := sdktrace.NewTracerProvider()
	tests := []struct {
		name      string
		host      trace.TracerProvider
		env       func(string) string
		on, own   bool
		propagate bool
		err       string
	}{
		{name: "nothing set", env: env()},
		{name: "endpoint", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"), on: true, own: true, propagate: true},
		{name: "traces endpoint", env: env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces"), on: true, own: true, propagate: true},
		{name: "SDK disabled", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_SDK_DISABLED", "TRUE")},
		{name: "SDK not disabled", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_SDK_DISABLED", "false"), on: true, own: true, propagate: true},
		{name: "exporter none", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_TRACES_EXPORTER", "none")},
		{name: "exporter zipkin", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_TRACES_EXPORTER", "zipkin"), err: "OTLP only"},
		{name: "grpc", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), err: "OTLP/HTTP"},
		{name: "http/json", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"), on: true, own: true, propagate: true},
		{name: "no tracecontext propagator", env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318", "OTEL_PROPAGATORS", "baggage"), on: true, own: true},
		{name: "host's provider wins", host: host, env: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://x:4318"), on: true, propagate: true},
		{name: "host's provider without env", host: host, env: env(), on: true, propagate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := newTracing(ctx, Config{TracerProvider: tt.host}, tt.env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tr.shutdown(ctx) })
			if (tr != nil) != tt.on || tr != nil && ((tr.own != nil) != tt.own || tr.propagate != tt.propagate) {
				t.Fatalf("tracing %+v, want on %v own %v propagate %v", tr, tt.on, tt.own, tt.propagate)
			}
		})
	}
}

// TestTracingFromEnv: with OTEL_EXPORTER_OTLP_ENDPOINT set, a run's spans
// reach the collector over OTLP/HTTP by Stop at the latest, under the
// service name kiln.
func TestTracingFromEnv(t *testing.T) {
	noOTELEnv(t)
	type export struct {
		path, contentType string
		services, spans   []string
	}
	got := make(chan export, 16)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e := export{path: r.URL.Path, contentType: r.Header.Get("Content-Type")}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err == nil {
			for _, rs := range req.GetResourceSpans() {
				for _, a := range rs.GetResource().GetAttributes() {
					if a.GetKey() == "service.name" {
						e.services = append(e.services, a.GetValue().GetStringValue())
					}
				}
				for _, ss := range rs.GetScopeSpans() {
					for _, s := range ss.GetSpans() {
						e.spans = append(e.spans, s.GetName())
					}
				}
			}
		}
		got <- e
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)

	c, err := New(Config{DataDir: t.TempDir(), ShutdownTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if c.tracing == nil || c.tracing.own == nil {
		t.Fatal("tracing is off with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	deploy(t, c, "acme", ScriptSaveParams{Name: "log", Source: `export default () => iota.log.info('hi')`})
	if _, err := c.Run(ctx, RunParams{TenantSlug: "acme", ScriptName: "log", Trigger: kilntype.TriggerManual}); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	collector.Close() // waits for the requests in flight
	close(got)
	var spans []string
	n := 0
	for e := range got {
		n++
		if e.path != "/v1/traces" || e.contentType != "application/x-protobuf" {
			t.Errorf("export to %s as %q, want /v1/traces as application/x-protobuf", e.path, e.contentType)
		}
		if len(e.services) == 0 || slices.ContainsFunc(e.services, func(s string) bool { return s != "kiln" }) {
			t.Errorf("service names %q, want kiln", e.services)
		}
		spans = append(spans, e.spans...)
	}
	if n == 0 {
		t.Fatal("no export request reached the collector")
	}
	slices.Sort(spans)
	if want := []string{"iota.log.info", "kiln.run manual"}; !slices.Equal(spans, want) {
		t.Errorf("exported spans %q, want %q", spans, want)
	}
}

// BenchmarkRunTraced: BenchmarkRun with tracing off, on (every run
// sampled, spans batched to an exporter that drops them) and on with no
// run sampled, in one invocation for ratios.
func BenchmarkRunTraced(b *testing.B) {
	provider := func(sampler sdktrace.Sampler) func(*Config) {
		return func(c *Config) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			c.TracerProvider = tp
		}
	}
	b.Run("off", func(b *testing.B) { benchmarkRun(b) })
	b.Run("sampled", func(b *testing.B) { benchmarkRun(b, provider(sdktrace.AlwaysSample())) })
	b.Run("unsampled", func(b *testing.B) { benchmarkRun(b, provider(sdktrace.NeverSample())) })
}
