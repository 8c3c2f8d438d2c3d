package server

import (
	"bytes"
	"context"
	"github.com/kiln-run/kiln"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

// TestOperatorKeyGeneratedOnce: with no configured key, the first start
// prints a key that works, and later starts print nothing and keep it.
func TestOperatorKeyGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	start := func() (*App, string) {
		var out bytes.Buffer
		app, err := New(context.Background(), Config{Addr: "127.0.0.1:0", Config: kiln.Config{DataDir: dir}}, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return app, out.String()
	}
	app, out := start()
	key := regexp.MustCompile(`kiln_[A-Za-z0-9_-]{43}`).FindString(out)
	if key == "" {
		t.Fatalf("no operator key printed: %q", out)
	}
	h := &harness{t: t, app: app, base: "http://" + app.Addr()}
	h.expect(h.do("GET", "/api/tenants", key, nil), 200, "")
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	app, out = start()
	defer func() { _ = app.Stop(context.Background()) }()
	if strings.Contains(out, "kiln_") {
		t.Fatalf("the key must be printed only once, got %q", out)
	}
	h = &harness{t: t, app: app, base: "http://" + app.Addr()}
	h.expect(h.do("GET", "/api/tenants", key, nil), 200, "")
}

// TestBusyPortKeepsTheKey: on a port another process holds, Start fails
// with an error that suggests --addr, before any operator key is made — so
// the key that is shown only once is shown by the start that works.
func TestBusyPortKeepsTheKey(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	var out bytes.Buffer
	app, err := New(context.Background(), Config{Addr: busy.Addr().String(), Config: kiln.Config{DataDir: dir}}, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	if err != nil {
		t.Fatal(err)
	}
	err = app.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Fatalf("Start on a busy port: %v; want an error that suggests --addr", err)
	}
	if out.Len() != 0 {
		t.Fatalf("a failed start printed %q; the key must wait for a start that works", out.String())
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	app, err = New(context.Background(), Config{Addr: "127.0.0.1:0", Config: kiln.Config{DataDir: dir}}, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = app.Stop(context.Background()) }()
	if !regexp.MustCompile(`kiln_[A-Za-z0-9_-]{43}`).MatchString(out.String()) {
		t.Fatalf("the first start that listens must print the key, got %q", out.String())
	}
}

// TestShutdownRecordsRunningExecutions: an async execution's pending record
// is durable when it is accepted; a stop past its deadline cancels the
// running execution and records it as cancelled; nothing accepted is lost.
func TestShutdownRecordsRunningExecutions(t *testing.T) {
	dir := t.TempDir()
	h := setup(t, "sqlite", func(c *Config) { c.DataDir = dir; c.ShutdownTimeout = 300 * time.Millisecond })
	_, dev, _ := h.tenant("acme")
	id := h.script(dev, map[string]any{"name": "slow", "type": "manual",
		"source": "export default () => new Promise((r) => setTimeout(r, 60000))"})
	r := h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{"async": true})
	h.expect(r, 202, "")
	var ex struct{ ID, TenantID string }
	r.json(t, &ex)
	// Accepted means recorded: the pending record is there at once.
	var accepted kilntype.Execution
	h.do("GET", "/api/executions/"+ex.ID, dev, nil).json(t, &accepted)
	if accepted.Status != kilntype.ExecPending {
		t.Fatalf("right after the 202 the record is %+v; want it pending", accepted)
	}
	// Let it start running: it holds a pool slot (a long deadline, for a
	// loaded machine; the shutdown records it as cancelled either way).
	for deadline := time.Now().Add(30 * time.Second); h.app.Client().Pool().Busy == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	got, err := st.ExecutionGet(context.Background(), ex.TenantID, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != kilntype.ExecCancelled || got.FinishedAt == nil {
		t.Fatalf("want a cancelled record, got %+v", got)
	}
}

// TestShutdownCancelsHTTPRuns: a synchronous HTTP run whose request's
// context derives from the client's (http.Server.BaseContext, so the run
// sets up no watch of its own) is still cancelled when a stop passes its
// deadline: the caller gets its answer and the record says cancelled.
func TestShutdownCancelsHTTPRuns(t *testing.T) {
	dir := t.TempDir()
	h := setup(t, "sqlite", func(c *Config) { c.DataDir = dir; c.ShutdownTimeout = 300 * time.Millisecond })
	_, dev, _ := h.tenant("acme")
	tenant, err := h.app.Client().TenantGetBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	h.script(dev, map[string]any{"name": "spin", "type": "http", "status": "active", "source": "export default () => { for (;;) {} }",
		"limits": map[string]any{"timeoutMs": 120000}, "trigger": map[string]any{"http": map[string]any{"path": "/spin"}}})
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get(h.base + "/run/acme/spin")
		if err != nil {
			answered <- 0
			return
		}
		_ = resp.Body.Close()
		answered <- resp.StatusCode
	}()
	for deadline := time.Now().Add(30 * time.Second); h.app.Client().Pool().Busy == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stopped := time.Now()
	// The error says the request and the run outlived the deadline.
	_ = h.app.Stop(context.Background())
	if d := time.Since(stopped); d > 60*time.Second {
		t.Fatalf("Stop took %v: the running loop was not cancelled", d)
	}
	select {
	case <-answered:
	case <-time.After(30 * time.Second):
		t.Fatal("the HTTP caller got no answer after the stop")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	page, _, err := st.ExecutionList(context.Background(), store.ExecutionListParams{TenantID: tenant.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Status != kilntype.ExecCancelled || page[0].FinishedAt == nil {
		t.Fatalf("want one cancelled record, got %+v", page)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{}, ""},
		{"bad addr", Config{Addr: "8080"}, "host:port"},
		{"bad metrics addr", Config{MetricsAddr: "9091"}, "--metrics-addr"},
		{"metrics addr without a port number", Config{MetricsAddr: "10.0.0.5:metrics"}, "not host:port"},
		{"metrics on the main addr", Config{Addr: "127.0.0.1:8080", MetricsAddr: "127.0.0.1:8080"}, "an address of its own"},
		{"metrics on another port", Config{MetricsAddr: "127.0.0.1:9091"}, ""},
		{"bad db", Config{Config: kiln.Config{DB: "mysql://x"}}, "postgres:// URL"},
		{"short operator key", Config{Config: kiln.Config{OperatorKey: "short"}}, "at least 16"},
		{"timeout over max", Config{Config: kiln.Config{Timeout: time.Hour}}, "at most the max timeout"},
		{"tiny body cap", Config{MaxBodyBytes: 10}, "too small"},
		{"bad missed runs", Config{Config: kiln.Config{MissedRuns: "sometimes"}}, `missedRuns "sometimes" must be "run-once" or "skip"`},
	}
	for _, tt := range tests {
		err := tt.cfg.WithDefaults().Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestTenantSettings: the operator's caps bound scripts' limits and apply
// to runs. (A tenant's retention is TestRetention in the root package.)
func TestTenantSettings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, _ := h.tenant("acme")
		h.expect(h.do("PUT", "/api/tenants/acme", dev, map[string]any{"name": "x"}), 403, "FORBIDDEN")
		h.expect(h.do("PUT", "/api/tenants/acme", testOperatorKey, map[string]any{"settings": map[string]any{"retentionDays": -1}}), 400, "INVALID_ARGUMENT")
		r := h.do("PUT", "/api/tenants/acme", testOperatorKey, map[string]any{"settings": map[string]any{"retentionDays": 1, "caps": map[string]any{"timeoutMs": 100}}})
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `"timeoutMs":100`) {
			t.Fatalf("settings not returned: %s", r.Body)
		}
		h.expect(h.do("POST", "/api/scripts", dev, map[string]any{"name": "greedy", "type": "manual", "source": "export default () => 1",
			"limits": map[string]any{"timeoutMs": 5000}}), 400, "INVALID_ARGUMENT")
		id := h.script(dev, map[string]any{"name": "spin", "type": "manual", "source": "export default () => { for (;;) {} }"})
		start := time.Now()
		r = h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{})
		if !strings.Contains(string(r.Body), `"status":"timeout"`) || time.Since(start) > 5*time.Second {
			t.Fatalf("the tenant's 100ms cap must bound an unconfigured script: %s", r.Body)
		}
	})
}

// TestOverloadedAnswers429: when the pool's queue is full, HTTP scripts
// answer 429 with Retry-After at once instead of hanging.
func TestOverloadedAnswers429(t *testing.T) {
	h := setup(t, "sqlite", func(c *Config) {
		c.Pool = pool.Config{MaxVMs: 4, MaxConcurrent: 1, TenantConcurrent: 1, QueueLimit: 1, MaxWait: 2 * time.Second}
	})
	_, dev, _ := h.tenant("acme")
	h.script(dev, map[string]any{"name": "slow", "type": "http", "status": "active",
		"source": "export default () => new Promise((r) => setTimeout(() => r('done'), 500))", "trigger": map[string]any{"http": map[string]any{"path": "/slow"}}})
	results := make(chan int, 2)
	for range 2 {
		go func() { results <- h.do("GET", "/run/acme/slow", "", nil).Status }()
		for h.app.Client().Pool().Busy+h.app.Client().Pool().Waiting < 1 {
			time.Sleep(time.Millisecond)
		}
	}
	for h.app.Client().Pool().Waiting < 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	r := h.do("GET", "/run/acme/slow", "", nil)
	h.expect(r, http.StatusTooManyRequests, "OVERLOADED")
	// Immediate means well before the pool's 2 s MaxWait, with room for a
	// loaded machine.
	if r.Header.Get("Retry-After") == "" || time.Since(start) > time.Second {
		t.Fatalf("a refusal must be immediate with Retry-After: %v after %s", r.Header, time.Since(start))
	}
	for range 2 {
		if s := <-results; s != 200 {
			t.Fatalf("the running and the queued request must succeed, got %d", s)
		}
	}
	r = h.do("GET", "/api/pool", testOperatorKey, nil)
	if !strings.Contains(string(r.Body), `"refusals":1`) {
		t.Fatalf("pool state: %s", r.Body)
	}
	h.expect(h.do("GET", "/api/pool", dev, nil), 403, "FORBIDDEN")
	r = h.do("GET", "/metrics", testOperatorKey, nil)
	if !strings.Contains(string(r.Body), "kiln_pool_refusals_total 1") || !strings.Contains(string(r.Body), "kiln_pool_vms_live") {
		t.Fatalf("pool metrics missing: %.300s", r.Body)
	}
}

// TestMetricsListener: with MetricsAddr, a second listener serves
// /metrics without a key (labelled by tenant slug) and nothing else; the
// main listener's /metrics still answers only the operator key. A busy
// metrics port fails Start with a hint, before any operator key is made.
func TestMetricsListener(t *testing.T) {
	h := setup(t, "sqlite", func(c *Config) { c.MetricsAddr = "127.0.0.1:0" })
	_, dev, _ := h.tenant("acme")
	id := h.script(dev, map[string]any{"name": "one", "type": "manual", "source": "export default () => 1"})
	h.expect(h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{}), 200, "")

	metrics := &harness{t: t, base: "http://" + h.app.MetricsAddr()}
	if h.app.MetricsAddr() == "" || h.app.MetricsAddr() == h.app.Addr() {
		t.Fatalf("metrics listener at %q, main at %q", h.app.MetricsAddr(), h.app.Addr())
	}
	r := metrics.do("GET", "/metrics", "", nil)
	h.expect(r, 200, "")
	if !strings.Contains(string(r.Body), `kiln_executions_total{status="completed",tenant="acme",trigger="manual"} 1`) {
		t.Fatalf("the metrics listener: %.400s", r.Body)
	}
	for _, path := range []string{"/api/tenants", "/run/acme/x", "/"} {
		h.expect(metrics.do("GET", path, testOperatorKey, nil), 404, "NOT_FOUND")
	}
	h.expect(h.do("GET", "/metrics", "", nil), 401, "UNAUTHORIZED")
	h.expect(h.do("GET", "/metrics", dev, nil), 403, "FORBIDDEN")
	h.expect(h.do("GET", "/metrics", testOperatorKey, nil), 200, "")

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out bytes.Buffer
	app, err := New(context.Background(), Config{Addr: "127.0.0.1:0", MetricsAddr: busy.Addr().String(), Config: kiln.Config{DataDir: t.TempDir()}},
		slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "--metrics-addr") {
		t.Fatalf("Start with a busy metrics port: %v; want an error that suggests --metrics-addr", err)
	}
	if out.Len() != 0 {
		t.Fatalf("a failed start printed %q", out.String())
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
