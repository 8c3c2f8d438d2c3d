package kiln

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
)

// tracerName names Kiln's spans' instrumentation scope.
const tracerName = "github.com/kiln-run/kiln"

// The attributes of Kiln's spans (docs/server.md, "Tracing").
const (
	attrTenantID     = attribute.Key("kiln.tenant.id")
	attrTenantSlug   = attribute.Key("kiln.tenant.slug")
	attrScriptID     = attribute.Key("kiln.script.id")
	attrScriptName   = attribute.Key("kiln.script.name")
	attrVersion      = attribute.Key("kiln.script.version")
	attrTrigger      = attribute.Key("kiln.trigger")
	attrExecutionID  = attribute.Key("kiln.execution.id")
	attrAttempt      = attribute.Key("kiln.execution.attempt")
	attrStatus       = attribute.Key("kiln.execution.status")
	attrErrorCode    = attribute.Key("kiln.error.code")
	attrHostCallName = attribute.Key("kiln.host_call.name")
)

// tracing makes the OpenTelemetry spans of runs: one per execution and a
// child per host call. A nil *tracing is tracing off, and every method of
// it returns at once without allocating.
type tracing struct {
	tracer trace.Tracer
	// propagate: W3C trace context comes in with RunParams.TraceParent and
	// goes out on scripts' requests (OTEL_PROPAGATORS may turn it off).
	propagate bool
	// own is the provider Kiln made from the environment, shut down (and
	// so flushed) by Stop; nil when the host gave its provider.
	own *sdktrace.TracerProvider
}

// newTracing returns the host's tracing (cfg.TracerProvider) if it gave a
// provider, else tracing exported over OTLP/HTTP as the OTEL_* environment
// describes, else nil: tracing off.
func newTracing(ctx context.Context, cfg Config, getenv func(string) string) (*tracing, error) {
	propagate := propagatesTraceContext(getenv("OTEL_PROPAGATORS"))
	if tp := cfg.TracerProvider; tp != nil {
		if _, ok := tp.(noop.TracerProvider); ok {
			return nil, nil
		}
		return &tracing{tracer: tp.Tracer(tracerName), propagate: propagate}, nil
	}
	tp, err := providerFromEnv(ctx, getenv)
	if tp == nil || err != nil {
		return nil, err
	}
	return &tracing{tracer: tp.Tracer(tracerName), propagate: propagate, own: tp}, nil
}

// providerFromEnv builds a tracer provider that batches spans to the
// OTLP/HTTP exporter, which reads the rest of the OTEL_EXPORTER_OTLP_*
// variables (headers, timeout, compression, certificates, http/protobuf or
// http/json). It returns nil when no OTLP endpoint is set, when
// OTEL_SDK_DISABLED is true or when OTEL_TRACES_EXPORTER is "none".
func providerFromEnv(ctx context.Context, getenv func(string) string) (*sdktrace.TracerProvider, error) {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, nil
	}
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, nil
	}
	switch exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exporter {
	case "", "otlp":
	case "none":
		return nil, nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: Kiln exports traces over OTLP only; set it to otlp or none, or unset it — or, embedding Kiln, give it your own TracerProvider (kiln.Config.TracerProvider)", exporter)
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol != "" && protocol != "http/protobuf" && protocol != "http/json" {
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: Kiln exports traces over OTLP/HTTP; use http/protobuf (the default) or http/json, with the collector's HTTP endpoint (port 4318) — or, embedding Kiln, give it your own TracerProvider (kiln.Config.TracerProvider)", protocol)
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default
	// service name: later detectors win.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(attribute.String("service.name", "kiln")), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		_ = exporter.Shutdown(ctx)
		return nil, fmt.Errorf("tracing resource (OTEL_RESOURCE_ATTRIBUTES?): %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res)), nil
}

// propagatesTraceContext reads OTEL_PROPAGATORS: unset means the default
// ("tracecontext,baggage"); otherwise W3C trace context is propagated only
// when the list names tracecontext.
func propagatesTraceContext(v string) bool {
	if strings.TrimSpace(v) == "" {
		return true
	}
	for p := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(p) == "tracecontext" {
			return true
		}
	}
	return false
}

// shutdown flushes and stops the provider Kiln made; a host's is the
// host's to stop.
func (t *tracing) shutdown(ctx context.Context) error {
	if t == nil || t.own == nil {
		return nil
	}
	return t.own.Shutdown(ctx)
}

// startRun starts an execution's span, as a child of the span in ctx (an
// embedding host's) or of the W3C trace context the request came with.
// Off, it returns ctx and a nil span; unsampled, a nil span too.
func (t *tracing) startRun(ctx context.Context, req *runRequest) (context.Context, *runSpan) {
	if t == nil {
		return ctx, nil
	}
	if t.propagate && req.TraceParent != "" {
		carrier := propagation.MapCarrier{"traceparent": req.TraceParent}
		if req.TraceState != "" {
			carrier["tracestate"] = req.TraceState
		}
		ctx = propagation.TraceContext{}.Extract(ctx, carrier)
	}
	kind := trace.SpanKindInternal
	switch req.Trigger {
	case kilntype.TriggerHTTP:
		kind = trace.SpanKindServer
	case kilntype.TriggerEvent:
		kind = trace.SpanKindConsumer
	}
	ctx, span := t.tracer.Start(ctx, runSpanName(req.Trigger), trace.WithSpanKind(kind))
	if !span.IsRecording() {
		// Unsampled: ctx carries the span for the trace context of the
		// host calls and of scripts' requests; there is nothing to end.
		return ctx, nil
	}
	return ctx, &runSpan{span: span, tenant: req.Tenant, scriptID: req.ScriptID, trigger: req.Trigger}
}

// runSpanName is "kiln.run <trigger>", without building the string.
func runSpanName(t kilntype.Trigger) string {
	switch t {
	case kilntype.TriggerHTTP:
		return "kiln.run http"
	case kilntype.TriggerEvent:
		return "kiln.run event"
	case kilntype.TriggerCron:
		return "kiln.run cron"
	case kilntype.TriggerManual:
		return "kiln.run manual"
	case kilntype.TriggerEmbedded:
		return "kiln.run embedded"
	}
	return "kiln.run " + string(t)
}

// hostCall is the engine's OnHostCall: a span per host call, a child of
// the run's. A call outside a recorded run's span makes none.
func (t *tracing) hostCall(ctx context.Context, _ engine.Meta, name string) (context.Context, func(engine.Code)) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	kind := trace.SpanKindInternal
	if name == "fetch" || strings.HasPrefix(name, "iota.http.") {
		kind = trace.SpanKindClient
	}
	ctx, span := t.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrHostCallName.String(name)))
	return ctx, func(code engine.Code) {
		if code != "" {
			span.SetAttributes(attrErrorCode.String(string(code)))
			span.SetStatus(codes.Error, string(code))
		}
		span.End()
	}
}

// injectHeaders is outbound's InjectHeaders: scripts' requests carry the
// host call's trace context (traceparent, and tracestate if any), unless
// the script set a traceparent of its own.
func (t *tracing) injectHeaders(ctx context.Context, h http.Header) {
	if h.Get("Traceparent") != "" {
		return
	}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(h))
}

// runSpan is a recorded execution's span. A nil *runSpan (tracing off, or
// the run not sampled) does nothing. Its attributes are set at once when
// it ends: one copy of them, no garbage before.
type runSpan struct {
	span     trace.Span
	tenant   *kilntype.Tenant
	scriptID string
	trigger  kilntype.Trigger
	script   *kilntype.Script // nil until looked up
	version  *kilntype.Version
}

// ran names the script and version that run.
func (s *runSpan) ran(sc *kilntype.Script, v *kilntype.Version) {
	if s != nil {
		s.script, s.version = sc, v
	}
}

// end ends the span with the execution's outcome, or with err when the
// run did not start (or its record was not written).
func (s *runSpan) end(exec *kilntype.Execution, err error) {
	if s == nil {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 10)
	attrs = append(attrs, attrTenantID.String(s.tenant.ID), attrTenantSlug.String(s.tenant.Slug),
		attrScriptID.String(s.scriptID), attrTrigger.String(string(s.trigger)))
	if s.script != nil {
		attrs = append(attrs, attrScriptName.String(s.script.Name), attrVersion.Int(s.version.Number))
	}
	var code kilntype.Code
	if exec != nil {
		attrs = append(attrs, attrExecutionID.String(exec.ID), attrAttempt.Int(exec.Attempt), attrStatus.String(string(exec.Status)))
		if exec.Error != nil {
			code = exec.Error.Code
		}
	}
	if err != nil && code == "" {
		code = kilntype.ErrorCode(err)
	}
	if code != "" {
		attrs = append(attrs, attrErrorCode.String(string(code)))
		s.span.SetStatus(codes.Error, string(code))
	}
	s.span.SetAttributes(attrs...)
	s.span.End()
}
