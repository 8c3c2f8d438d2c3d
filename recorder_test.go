package kiln

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

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
	// The flushes' clock is the test's: a loaded machine cannot make the
	// first flush late.
	clock := time.Now()
	rec.now = func() time.Time { return clock }
	run := func(id string) *kilntype.Execution {
		e := &kilntype.Execution{ID: id, TenantID: tenant.ID, ScriptID: sc.ID, Version: 1, Trigger: kilntype.TriggerManual, Attempt: 1,
			Status: kilntype.ExecPending, Input: []byte(`{"n":1}`), CreatedAt: clock.UTC()}
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
	clock = clock.Add(rec.pendingAfter)
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

// TestWrittenOnce pins when a final record is appended rather than
// written as a row (the contract above the recorder type).
func TestWrittenOnce(t *testing.T) {
	fresh := runRequest{Trigger: kilntype.TriggerHTTP}
	eventFirst := runRequest{Trigger: kilntype.TriggerEvent, ExecutionID: "e1", FirstRun: true}
	eventAgain := runRequest{Trigger: kilntype.TriggerEvent, ExecutionID: "e1"}
	for _, tt := range []struct {
		name          string
		pendingQueued bool
		req           runRequest
		status        kilntype.ExecutionStatus
		want          bool
	}{
		{"a fresh ID, completed", false, fresh, kilntype.ExecCompleted, true},
		{"a fresh ID, failed", false, fresh, kilntype.ExecFailed, true},
		{"a fresh ID after its pending record", true, fresh, kilntype.ExecCompleted, false},
		{"an event attempt's first run, completed", false, eventFirst, kilntype.ExecCompleted, true},
		{"an event attempt's first run, failed (redelivered, it writes the ID again)", false, eventFirst, kilntype.ExecFailed, false},
		{"an event attempt's first run after its pending record", true, eventFirst, kilntype.ExecCompleted, false},
		{"an event attempt that may have run before", false, eventAgain, kilntype.ExecCompleted, false},
	} {
		if got := writtenOnce(tt.pendingQueued, tt.req, tt.status); got != tt.want {
			t.Errorf("%s: writtenOnce = %v, want %v", tt.name, got, tt.want)
		}
	}
}
