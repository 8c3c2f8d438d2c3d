package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
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
		app, err := New(context.Background(), Config{Addr: "127.0.0.1:0", DataDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
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
	time.Sleep(50 * time.Millisecond) // let it start running
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

// TestRetentionDeletesOldExecutions: records older than the retention go.
func TestRetentionDeletesOldExecutions(t *testing.T) {
	h := setup(t, "sqlite", func(c *Config) { c.Retention = 24 * time.Hour })
	_, dev, viewer := h.tenant("acme")
	id := h.script(dev, map[string]any{"name": "s", "type": "manual", "source": "export default () => 1"})
	h.expect(h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{}), 200, "")
	r := h.do("GET", "/api/executions", viewer, nil)
	var list struct{ Executions []kilntype.Execution }
	r.json(t, &list)
	if len(list.Executions) != 1 {
		t.Fatalf("want one execution, got %s", r.Body)
	}
	old := list.Executions[0]
	old.ID = "old-execution"
	old.CreatedAt = time.Now().Add(-48 * time.Hour)
	if err := h.app.store.ExecutionWrite(context.Background(), []kilntype.Execution{old}); err != nil {
		t.Fatal(err)
	}
	h.app.applyRetention()
	r = h.do("GET", "/api/executions", viewer, nil)
	r.json(t, &list)
	if len(list.Executions) != 1 || list.Executions[0].ID == "old-execution" {
		t.Fatalf("retention must delete only the old record: %s", r.Body)
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
		{"bad db", Config{DB: "mysql://x"}, "postgres:// URL"},
		{"short operator key", Config{OperatorKey: "short"}, "at least 16"},
		{"timeout over max", Config{Timeout: time.Hour}, "at most the max timeout"},
		{"tiny body cap", Config{MaxBodyBytes: 10}, "too small"},
		{"bad missed runs", Config{MissedRuns: "sometimes"}, `missedRuns "sometimes" must be "run-once" or "skip"`},
	}
	for _, tt := range tests {
		err := tt.cfg.WithDefaults().Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: Validate() = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestTenantSettings: the operator's caps bound scripts' limits and apply
// to runs; a tenant's retention overrides the server's.
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
		var ex kilntype.Execution
		r.json(t, &ex)
		ex.ID, ex.CreatedAt = "two-days-old", time.Now().Add(-48*time.Hour)
		if err := h.app.store.ExecutionWrite(context.Background(), []kilntype.Execution{ex}); err != nil {
			t.Fatal(err)
		}
		h.app.applyRetention()
		if _, err := h.app.store.ExecutionGet(context.Background(), ex.TenantID, "two-days-old"); kilntype.ErrorCode(err) != kilntype.ENotFound {
			t.Fatalf("the tenant's 1-day retention must delete a 2-day-old record: %v", err)
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
		for h.app.pool.Stats().Busy+h.app.pool.Stats().Waiting < 1 {
			time.Sleep(time.Millisecond)
		}
	}
	for h.app.pool.Stats().Waiting < 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	r := h.do("GET", "/run/acme/slow", "", nil)
	h.expect(r, http.StatusTooManyRequests, "OVERLOADED")
	if r.Header.Get("Retry-After") == "" || time.Since(start) > 200*time.Millisecond {
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
	r = h.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(r.Body), "kiln_pool_refusals_total 1") || !strings.Contains(string(r.Body), "kiln_pool_vms_live") {
		t.Fatalf("pool metrics missing: %.300s", r.Body)
	}
}

// writeLog is the real SQLite store, noting every record it is asked to
// write.
type writeLog struct {
	store.Store
	mu      sync.Mutex
	written []writeEntry
}

func (w *writeLog) ExecutionWrite(ctx context.Context, execs []kilntype.Execution) error {
	w.log("row", execs)
	return w.Store.ExecutionWrite(ctx, execs)
}

func (w *writeLog) ExecutionAppend(ctx context.Context, execs []kilntype.Execution) error {
	w.log("appended", execs)
	return w.Store.ExecutionAppend(ctx, execs)
}

func (w *writeLog) log(how string, execs []kilntype.Execution) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range execs {
		w.written = append(w.written, writeEntry{id: e.ID, what: how + " " + string(e.Status)})
	}
}

type writeEntry struct{ id, what string }

// writes lists how the records of id were written, e.g. "row pending".
func (w *writeLog) writes(id string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.written {
		if e.id == id {
			out = append(out, e.what)
		}
	}
	return out
}

// TestRecorderPendingOnlyWhenRunning: a run that ends soon is written once,
// final, appended; a run still going at a flush pendingAfter after it began
// gets its pending record first, and its final record replaces it as a
// row; waiting callers learn when their batch is durable.
func TestRecorderPendingOnlyWhenRunning(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenant, err := st.TenantCreate(ctx, store.TenantCreateParams{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := st.ScriptCreate(ctx, store.ScriptCreateParams{TenantID: tenant.ID, Name: "s", Type: kilntype.TypeManual, Status: kilntype.StatusActive})
	if err != nil {
		t.Fatal(err)
	}
	log := &writeLog{Store: st}
	// Flushes happen when the test calls flush.
	rec := newRecorder(log, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	defer rec.close()
	rec.pendingAfter = 50 * time.Millisecond
	run := func(id string) *kilntype.Execution {
		e := &kilntype.Execution{ID: id, TenantID: tenant.ID, ScriptID: sc.ID, Version: 1, Trigger: "manual", Attempt: 1,
			Status: kilntype.ExecPending, Input: []byte(`{"n":1}`), CreatedAt: time.Now().UTC()}
		rec.begin(e)
		return e
	}
	finish := func(e *kilntype.Execution, wait bool) <-chan error {
		queued := rec.end(e)
		now := time.Now().UTC()
		e.Status, e.StartedAt, e.FinishedAt, e.Output = kilntype.ExecCompleted, &now, &now, []byte(`1`)
		return rec.record(e, wait, !queued)
	}

	fast, slow := run("fast"), run("slow")
	if ch := finish(fast, false); ch != nil {
		t.Fatal("record without wait returned a channel")
	}
	rec.flush()
	if got := log.writes("slow"); len(got) != 0 {
		t.Errorf("run written as %v at a flush before pendingAfter; want nothing yet", got)
	}
	time.Sleep(rec.pendingAfter)
	rec.flush()
	if got := log.writes("fast"); !slices.Equal(got, []string{"appended completed"}) {
		t.Errorf("fast run written as %v; want only its final record, appended", got)
	}
	if got := log.writes("slow"); !slices.Equal(got, []string{"row pending"}) {
		t.Errorf("running run written as %v; want its pending record", got)
	}
	rec.flush() // a second flush does not write the pending record again
	done := finish(slow, true)
	rec.flush()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := log.writes("slow"); !slices.Equal(got, []string{"row pending", "row completed"}) {
		t.Errorf("slow run written as %v; want pending, then completed, both as rows", got)
	}
	for _, id := range []string{"fast", "slow"} {
		got, err := st.ExecutionGet(ctx, tenant.ID, id)
		if err != nil || got.Status != kilntype.ExecCompleted || string(got.Input) != `{"n":1}` {
			t.Fatalf("stored %s run = %+v, %v", id, got, err)
		}
	}
}
