package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// testExecutionAppend checks that an appended record reads back whole, that
// a later ExecutionWrite of its ID supersedes it, and that another tenant
// cannot read it.
func testExecutionAppend(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	created := now().Add(-time.Minute)
	full := execution(sc, created)
	fail(&full, created)
	full.Trigger, full.Attempt = "event", 3
	full.Input = json.RawMessage(`{"order":42,"items":[1,2]}`)
	bare := finished(sc, created.Add(time.Second))
	bare.Attempt = 0 // read back as 1, as from the executions table
	stamped := finished(sc, time.Time{})
	appendExecs(t, b, full, bare, stamped)

	got, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, full.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	same(t, "appended execution", got, full)
	got, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, bare.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	bare.Attempt = 1
	same(t, "appended execution without input, output or logs", got, bare)
	got, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, stamped.ID)
	if err != nil {
		t.Fatalf("ExecutionGet: %v", err)
	}
	recent(t, "CreatedAt of an execution appended without one", got.CreatedAt)

	_, err = b.s.ExecutionGet(b.ctx, b.other.ID, full.ID)
	wantCode(t, "ExecutionGet of another tenant's appended execution", err, kilntype.ENotFound)
	page, _, err := b.s.ExecutionList(b.ctx, store.ExecutionListParams{TenantID: b.other.ID})
	if err != nil || len(page) != 0 {
		t.Errorf("another tenant lists %v, %v; want nothing", ids(page), err)
	}

	// A row written later under the same ID wins, in a get and in lists.
	rerun := bare
	rerun.Status, rerun.CreatedAt = kilntype.ExecTimeout, created.Add(time.Hour)
	write(t, b, rerun)
	got, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, bare.ID)
	if err != nil || got.Status != kilntype.ExecTimeout {
		t.Fatalf("ExecutionGet of a superseded record = %v, %v; want the row written later", got, err)
	}
	for _, limit := range []int{1, 2, 50} {
		var listed []string
		cursor := ""
		for range 10 {
			page, next, err := b.s.ExecutionList(b.ctx, store.ExecutionListParams{TenantID: b.tenant.ID, Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("ExecutionList: %v", err)
			}
			for _, e := range page {
				listed = append(listed, fmt.Sprintf("%s:%s", e.ID, e.Status))
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		want := []string{bare.ID + ":timeout", stamped.ID + ":completed", full.ID + ":failed"}
		if !slices.Equal(listed, want) {
			t.Errorf("pages of %d: listed %v\nwant %v", limit, listed, want)
		}
	}
	// IDs are any text: a bucket cut in the middle of a character would
	// not be valid UTF-8.
	for _, id := range []string{"ääääääääää-1", "ääääääääää-2"} {
		e := finished(sc, created)
		e.ID = id
		appendExecs(t, b, e)
		if got, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, id); err != nil || got.ID != id {
			t.Fatalf("ExecutionGet(%q) = %v, %v", id, got, err)
		}
	}
	_, err = b.s.ExecutionGet(b.ctx, b.tenant.ID, "ääääääääää-missing")
	wantCode(t, "ExecutionGet of a missing non-ASCII id", err, kilntype.ENotFound)

}

func testExecutionAppendErrors(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	unfinished := []badRecord{
		{"pending", func(e *kilntype.Execution) { e.Status = kilntype.ExecPending }, kilntype.EInvalidArgument},
		{"running", func(e *kilntype.Execution) { e.Status = kilntype.ExecRunning }, kilntype.EInvalidArgument},
	}
	writeBadBatches(t, b, "ExecutionAppend", b.s.ExecutionAppend, finished(sc, now()), append(unfinished, badRecords...))
	if err := b.s.ExecutionAppend(b.ctx, nil); err != nil {
		t.Errorf("ExecutionAppend(nil): %v", err)
	}
}

// testExecutionAppendPages appends records in many calls, out of order,
// spread over more time than one batch may span and over several id
// buckets, some as rows, and checks every page of every filter against the
// same list computed here.
func testExecutionAppendPages(t *testing.T, b *bundle) {
	scripts := []*kilntype.Script{
		createScript(t, b, b.tenant.ID, scriptSpec{name: "a"}),
		createScript(t, b, b.tenant.ID, scriptSpec{name: "b"}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := now().Add(-time.Hour)
	statuses := []kilntype.ExecutionStatus{kilntype.ExecCompleted, kilntype.ExecCompleted, kilntype.ExecFailed, kilntype.ExecTimeout}
	triggers := []kilntype.Trigger{"http", "http", "event", "cron", "webhook"}
	var all []kilntype.Execution
	for call := range 12 {
		var rows, appended []kilntype.Execution
		for range 40 {
			e := finished(scripts[rng.IntN(2)], base.Add(time.Duration(rng.Int64N(int64(3*time.Minute)))).Truncate(time.Microsecond))
			if len(all) > 0 && rng.IntN(20) == 0 {
				e.CreatedAt = all[len(all)-1].CreatedAt // same instant: the ID breaks the tie
			}
			// IDs from several time buckets, unrelated to created_at, as
			// event deliveries have.
			e.ID = fmt.Sprintf("%012x%020x", base.Add(time.Duration(rng.IntN(5))*time.Minute).UnixMilli(), len(all))
			e.Status = statuses[rng.IntN(len(statuses))]
			e.Trigger = triggers[rng.IntN(len(triggers))]
			all = append(all, e)
			if call%4 == 3 {
				rows = append(rows, e)
			} else {
				appended = append(appended, e)
			}
		}
		if len(rows) > 0 {
			write(t, b, rows...)
		}
		appendExecs(t, b, appended...)
	}
	slices.SortFunc(all, func(x, y kilntype.Execution) int {
		if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
			return c
		}
		if x.ID < y.ID {
			return 1
		}
		return -1
	})
	for _, e := range all[:40] {
		got, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID)
		if err != nil || got.ID != e.ID || got.ScriptID != e.ScriptID || !got.CreatedAt.Equal(e.CreatedAt) {
			t.Fatalf("ExecutionGet(%s) = %v, %v\nwant %v", e.ID, got, err, e)
		}
	}
	filters := []store.ExecutionListParams{
		{}, {ScriptID: scripts[1].ID}, {Status: kilntype.ExecFailed}, {Trigger: "event"}, {Trigger: "webhook"},
		{ScriptID: scripts[0].ID, Status: kilntype.ExecCompleted, Trigger: "http"}, {Status: kilntype.ExecRunning},
	}
	for _, p := range filters {
		var want []string
		for _, e := range all {
			if (p.ScriptID == "" || e.ScriptID == p.ScriptID) && (p.Status == "" || e.Status == p.Status) &&
				(p.Trigger == "" || e.Trigger == p.Trigger) {
				want = append(want, e.ID)
			}
		}
		for _, limit := range []int{7, 200} {
			p.TenantID, p.Limit = b.tenant.ID, limit
			got := ids(listAll(t, b, p))
			if !slices.Equal(got, want) {
				t.Errorf("filter %+v, pages of %d: listed %d records, want %d\ngot  %v\nwant %v", p, limit, len(got), len(want), got, want)
			}
		}
	}

	cutoff := base.Add(90 * time.Second)
	wantDeleted := 0
	for _, e := range all {
		if e.CreatedAt.Before(cutoff) {
			wantDeleted++
		}
	}
	n, err := b.s.ExecutionDeleteBefore(b.ctx, b.tenant.ID, cutoff)
	if err != nil || n != int64(wantDeleted) {
		t.Fatalf("ExecutionDeleteBefore = %d, %v; want %d", n, err, wantDeleted)
	}
	page := listAll(t, b, store.ExecutionListParams{TenantID: b.tenant.ID, Limit: 200})
	if len(page) != len(all)-wantDeleted {
		t.Errorf("after the delete %d records are listed, want %d", len(page), len(all)-wantDeleted)
	}
	for _, e := range page {
		if e.CreatedAt.Before(cutoff) {
			t.Errorf("record %s created %v survived the delete before %v", e.ID, e.CreatedAt, cutoff)
		}
	}
}

// listAll returns every page of a list.
func listAll(t *testing.T, b *bundle, p store.ExecutionListParams) []kilntype.Execution {
	t.Helper()
	var out []kilntype.Execution
	for range 1000 {
		page, next, err := b.s.ExecutionList(b.ctx, p)
		if err != nil {
			t.Fatalf("ExecutionList(%+v): %v", p, err)
		}
		out = append(out, page...)
		if p.Cursor = next; next == "" {
			return out
		}
	}
	t.Fatalf("ExecutionList(%+v): more than 1000 pages", p)
	return nil
}
