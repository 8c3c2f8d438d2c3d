package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// execution returns a pending execution of sc created at the given time.
func execution(sc *kilntype.Script, createdAt time.Time) kilntype.Execution {
	return kilntype.Execution{
		ID: newID(), TenantID: sc.TenantID, ScriptID: sc.ID, Version: sc.Version,
		Trigger: "manual", Attempt: 1, Status: kilntype.ExecPending, CreatedAt: createdAt,
	}
}

func write(t *testing.T, b *bundle, execs ...kilntype.Execution) {
	t.Helper()
	if err := b.s.ExecutionWrite(b.ctx, execs); err != nil {
		t.Fatalf("ExecutionWrite: %v", err)
	}
}

// writer stores finished execution records one of the ways a store takes
// them.
type writer func(t *testing.T, b *bundle, execs ...kilntype.Execution)

func appendExecs(t *testing.T, b *bundle, execs ...kilntype.Execution) {
	t.Helper()
	if err := b.s.ExecutionAppend(b.ctx, execs); err != nil {
		t.Fatalf("ExecutionAppend: %v", err)
	}
}

// mixed writes every other record as a row and appends the rest.
func mixed(t *testing.T, b *bundle, execs ...kilntype.Execution) {
	t.Helper()
	var rows, appended []kilntype.Execution
	for i, e := range execs {
		if i%2 == 0 {
			rows = append(rows, e)
		} else {
			appended = append(appended, e)
		}
	}
	write(t, b, rows...)
	appendExecs(t, b, appended...)
}

// fail fills e in as a failed run created at created that used every
// field of a record: output, error, logs (a NUL among them), limits,
// times.
func fail(e *kilntype.Execution, created time.Time) {
	started, finished := created.Add(time.Millisecond), created.Add(40*time.Millisecond)
	e.Status = kilntype.ExecFailed
	e.Output = json.RawMessage(`{"partial": true}`)
	e.Error = &kilntype.ExecutionError{Code: "TypeError", Message: "x is undefined", Position: "main.ts:3:7", Stack: "at handler"}
	e.Logs = []kilntype.LogLine{
		{Time: started, Level: "info", Message: "start", Fields: map[string]any{"n": 1.5, "tag": "a"}},
		// Scripts can log anything, NUL included; PostgreSQL's JSONB
		// cannot hold U+0000, so a store may substitute it.
		{Time: finished, Level: "error", Message: "nul:\x00:end"},
	}
	e.LogsTruncated = true
	e.DurationMs, e.HostCalls, e.MemoryBytes = 39.25, 3, 1<<20
	e.StartedAt, e.FinishedAt = &started, &finished
}

// finished returns a completed execution of sc created at the given time.
func finished(sc *kilntype.Script, createdAt time.Time) kilntype.Execution {
	e := execution(sc, createdAt)
	e.Status = kilntype.ExecCompleted
	return e
}

func ids(execs []kilntype.Execution) []string {
	out := make([]string, len(execs))
	for i, e := range execs {
		out[i] = e.ID
	}
	return out
}

func testExecutionWrite(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	created := now().Add(-time.Minute)
	e := execution(sc, created)
	e.Input = json.RawMessage(`{"order": 42, "items": [1, 2]}`)
	write(t, b, e)
	got, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	same(t, "pending execution", got, e)

	// The final write replaces the record by ID; created_at stays.
	final := e
	fail(&final, created)
	final.CreatedAt = time.Time{}
	write(t, b, final)

	got, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	if len(got.Logs) == 2 && got.Logs[1].Message != final.Logs[1].Message {
		if got.Logs[1].Message != "nul:\ufffd:end" {
			t.Errorf("log line with NUL read back as %q", got.Logs[1].Message)
		}
		got.Logs[1].Message = final.Logs[1].Message
	}
	want := final
	want.CreatedAt = created
	same(t, "final execution", got, want)

	// A record without a creation time is stamped on insert.
	stamped := execution(sc, time.Time{})
	write(t, b, stamped)
	got, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, stamped.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	recent(t, "CreatedAt of an execution written without one", got.CreatedAt)
}

func testExecutionList(write writer) func(t *testing.T, b *bundle) {
	return func(t *testing.T, b *bundle) {
		a := createScript(t, b, b.tenant.ID, scriptSpec{name: "a"})
		c := createScript(t, b, b.tenant.ID, scriptSpec{name: "c"})
		base := now().Add(-time.Hour)
		var all []kilntype.Execution // oldest first
		for i := range 9 {
			sc := a
			if i%3 == 2 {
				sc = c
			}
			e := execution(sc, base.Add(time.Duration(i)*time.Second))
			e.Status = kilntype.ExecCompleted
			if i%2 == 1 {
				e.Status = kilntype.ExecFailed
				e.Error = &kilntype.ExecutionError{Code: "Error", Message: "boom"}
			}
			if i == 4 {
				e.Trigger = "http"
			}
			e.Input, e.Output = json.RawMessage(`{"i": 1}`), json.RawMessage(`"out"`)
			e.Logs = []kilntype.LogLine{{Time: base, Level: "info", Message: "hi"}}
			all = append(all, e)
		}
		// Written in one batch, out of order: the list orders by created_at.
		shuffled := slices.Clone(all)
		slices.Reverse(shuffled[3:])
		write(t, b, shuffled...)
		other := createScript(t, b, b.other.ID, scriptSpec{name: "other"})
		write(t, b, finished(other, base))

		newest := func(keep func(kilntype.Execution) bool) []string {
			var out []string
			for i := len(all) - 1; i >= 0; i-- {
				if keep(all[i]) {
					out = append(out, all[i].ID)
				}
			}
			return out
		}
		tests := []struct {
			name string
			p    store.ExecutionListParams
			want []string
		}{
			{"all", store.ExecutionListParams{}, newest(func(kilntype.Execution) bool { return true })},
			{"script", store.ExecutionListParams{ScriptID: c.ID}, newest(func(e kilntype.Execution) bool { return e.ScriptID == c.ID })},
			{"status", store.ExecutionListParams{Status: kilntype.ExecFailed}, newest(func(e kilntype.Execution) bool { return e.Status == kilntype.ExecFailed })},
			{"trigger", store.ExecutionListParams{Trigger: "http"}, []string{all[4].ID}},
			{"script and status", store.ExecutionListParams{ScriptID: a.ID, Status: kilntype.ExecCompleted},
				newest(func(e kilntype.Execution) bool { return e.ScriptID == a.ID && e.Status == kilntype.ExecCompleted })},
		}
		for _, tt := range tests {
			// Pages of 2 exercise the cursor under every filter.
			var got []string
			cursor := ""
			for range 10 {
				tt.p.TenantID, tt.p.Limit, tt.p.Cursor = b.tenant.ID, 2, cursor
				page, next, err := b.s.ExecutionList(b.ctx, tt.p)
				if err != nil {
					t.Fatalf("%s: %v", tt.name, err)
				}
				for _, e := range page {
					if e.Input != nil || e.Output != nil || e.Logs != nil {
						t.Errorf("%s: listed execution %s has input, output or logs", tt.name, e.ID)
					}
					if (e.Status == kilntype.ExecFailed) != (e.Error != nil) {
						t.Errorf("%s: listed execution %s: status %s, error %v", tt.name, e.ID, e.Status, e.Error)
					}
				}
				got = append(got, ids(page)...)
				if cursor = next; cursor == "" {
					break
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: got %v\nwant %v", tt.name, got, tt.want)
			}
		}

		page, _, err := b.s.ExecutionList(b.ctx, store.ExecutionListParams{TenantID: b.tenant.ID, Limit: 1})
		if err != nil || len(page) != 1 {
			t.Fatalf("ExecutionList: %v, %v", page, err)
		}
		want := all[len(all)-1]
		want.Input, want.Output, want.Logs = nil, nil, nil
		same(t, "listed execution", page[0], want)
	}
}

func testExecutionDeleteBefore(write writer) func(t *testing.T, b *bundle) {
	return func(t *testing.T, b *bundle) {
		sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
		other := createScript(t, b, b.other.ID, scriptSpec{name: "orders"})
		cutoff := now().Add(-24 * time.Hour)
		old1, old2 := finished(sc, cutoff.Add(-2*time.Hour)), finished(sc, cutoff.Add(-time.Microsecond))
		fresh := finished(sc, cutoff)
		othersOld := finished(other, cutoff.Add(-time.Hour))
		// old2 and fresh are created within a microsecond: appended, they
		// share a batch that the delete has to cut in two.
		write(t, b, old1, old2, fresh, othersOld)

		n, err := b.s.ExecutionDeleteBefore(b.ctx, b.tenant.ID, cutoff)
		if err != nil || n != 2 {
			t.Fatalf("ExecutionDeleteBefore = %d, %v; want 2", n, err)
		}
		for _, e := range []kilntype.Execution{old1, old2} {
			_, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID)
			wantCode(t, "ExecutionGet of a deleted execution", err, kilntype.ENotFound)
		}
		if _, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, fresh.ID); err != nil {
			t.Errorf("execution created at the cutoff was deleted: %v", err)
		}
		if _, err := b.s.ExecutionGet(b.ctx, b.other.ID, othersOld.ID); err != nil {
			t.Errorf("another tenant's execution was deleted: %v", err)
		}
		if n, err := b.s.ExecutionDeleteBefore(b.ctx, b.tenant.ID, cutoff); err != nil || n != 0 {
			t.Errorf("second ExecutionDeleteBefore = %d, %v; want 0", n, err)
		}
	}
}

// badRecord is an edit that makes an execution record invalid, and the
// code a write holding it must fail with.
type badRecord struct {
	name string
	edit func(e *kilntype.Execution)
	code kilntype.Code
}

var badRecords = []badRecord{
	{"no ID", func(e *kilntype.Execution) { e.ID = "" }, kilntype.EInvalidArgument},
	{"no status", func(e *kilntype.Execution) { e.Status = "" }, kilntype.EInvalidArgument},
	{"input not JSON", func(e *kilntype.Execution) { e.Input = json.RawMessage(`{`) }, kilntype.EInvalidArgument},
	{"output not JSON", func(e *kilntype.Execution) { e.Output = json.RawMessage(`nope`) }, kilntype.EInvalidArgument},
	{"missing script", func(e *kilntype.Execution) { e.ScriptID = newID() }, kilntype.ENotFound},
	{"missing tenant", func(e *kilntype.Execution) { e.TenantID = newID() }, kilntype.ENotFound},
}

// writeBadBatches writes each bad record after valid in one call of write
// (named what) and checks the code, and that the batch was all or
// nothing: the valid record is not written.
func writeBadBatches(t *testing.T, b *bundle, what string, write func(context.Context, []kilntype.Execution) error,
	valid kilntype.Execution, bad []badRecord) {
	t.Helper()
	for _, tt := range bad {
		record := valid
		record.ID = newID()
		tt.edit(&record)
		err := write(b.ctx, []kilntype.Execution{valid, record})
		wantCode(t, what+" with "+tt.name, err, tt.code)
		_, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, valid.ID)
		wantCode(t, "ExecutionGet of a record from a failed "+what+" ("+tt.name+")", err, kilntype.ENotFound)
	}
}

func testExecutionErrors(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	writeBadBatches(t, b, "ExecutionWrite", b.s.ExecutionWrite, execution(sc, now()), badRecords)
	if err := b.s.ExecutionWrite(b.ctx, nil); err != nil {
		t.Errorf("ExecutionWrite(nil): %v", err)
	}
	_, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, newID())
	wantCode(t, "ExecutionGet of a missing execution", err, kilntype.ENotFound)
	for _, p := range []store.ExecutionListParams{{Limit: -5}, {Limit: 1000}, {Cursor: "%%%"}} {
		p.TenantID = b.tenant.ID
		_, _, err := b.s.ExecutionList(b.ctx, p)
		wantCode(t, "ExecutionList with a bad limit or cursor", err, kilntype.EInvalidArgument)
		if err != nil && strings.Contains(err.Error(), "cursor") && !strings.Contains(err.Error(), "previous page") {
			t.Errorf("cursor error %q does not say what to do", err)
		}
	}
}

// testExecutionJournal: a kept journal reads back byte for byte, a second
// put replaces it, another tenant cannot read it, and retention deletes it
// with its execution.
func testExecutionJournal(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	cutoff := now().Add(-24 * time.Hour)
	old, fresh := finished(sc, cutoff.Add(-time.Hour)), finished(sc, cutoff)
	write(t, b, old, fresh)
	j1 := json.RawMessage(`[{"index":0,"kind":"clock","value":1700000000000000000,"at":"2026-01-01T00:00:00Z"}]`)
	j2 := json.RawMessage(`[{"index":0,"kind":"random","name":"Math.random","value":0.5,"at":"2026-01-01T00:00:00Z"}]`)
	for _, e := range []kilntype.Execution{old, fresh} {
		if err := b.s.ExecutionJournalPut(b.ctx, b.tenant.ID, e.ID, e.CreatedAt, j1); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.s.ExecutionJournalPut(b.ctx, b.tenant.ID, fresh.ID, fresh.CreatedAt, j2); err != nil {
		t.Fatal(err)
	}
	got, err := b.s.ExecutionJournalGet(b.ctx, b.tenant.ID, fresh.ID)
	if err != nil || string(got) != string(j2) {
		t.Fatalf("ExecutionJournalGet = %s, %v; want the second put", got, err)
	}
	_, err = b.s.ExecutionJournalGet(b.ctx, b.other.ID, fresh.ID)
	wantCode(t, "another tenant's journal", err, kilntype.ENotFound)
	wantCode(t, "a journal that is not JSON", b.s.ExecutionJournalPut(b.ctx, b.tenant.ID, fresh.ID, fresh.CreatedAt, json.RawMessage(`[`)), kilntype.EInvalidArgument)
	if _, err := b.s.ExecutionDeleteBefore(b.ctx, b.tenant.ID, cutoff); err != nil {
		t.Fatal(err)
	}
	_, err = b.s.ExecutionJournalGet(b.ctx, b.tenant.ID, old.ID)
	wantCode(t, "a journal past retention", err, kilntype.ENotFound)
	if _, err := b.s.ExecutionJournalGet(b.ctx, b.tenant.ID, fresh.ID); err != nil {
		t.Fatalf("retention deleted a fresh journal: %v", err)
	}
}
