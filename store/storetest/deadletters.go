package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

func testDeadLetters(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "on-order", typ: kilntype.TypeEvent})
	at := now().Add(-time.Minute)
	d := kilntype.DeadLetter{ID: newID(), TenantID: b.tenant.ID, DeliveryID: "ev1:" + sc.ID, EventID: "ev1", EventType: "order.created",
		Payload: json.RawMessage(`{"total": 12}`), OccurredAt: at, ScriptID: sc.ID, Version: 1,
		Attempts: []kilntype.DeliveryAttempt{
			{Attempt: 1, At: at, Error: &kilntype.ExecutionError{Code: kilntype.ERuntimeError, Message: "boom"}, ExecutionID: "x1"},
			{Attempt: 2, At: at.Add(time.Second), Error: &kilntype.ExecutionError{Code: kilntype.ETimeout, Message: "slow"}, ExecutionID: "x2"},
		}}
	got, err := b.s.DeadLetterPut(b.ctx, d)
	if err != nil {
		t.Fatalf("DeadLetterPut: %v", err)
	}
	if got.Status != kilntype.DeadLetterDead || len(got.Attempts) != 2 || got.Attempts[1].Error.Code != kilntype.ETimeout || !got.OccurredAt.Equal(at) {
		t.Fatalf("stored %+v", got)
	}
	recent(t, "createdAt", got.CreatedAt)
	same(t, "payload", got.Payload, d.Payload)

	// The sink may run twice for one delivery: one record.
	again := d
	again.ID = newID()
	if g, err := b.s.DeadLetterPut(b.ctx, again); err != nil || g.ID != d.ID {
		t.Fatalf("second put of one delivery: %v, %+v", err, g)
	}
	wantCode(t, "put without delivery", func() error { x := d; x.DeliveryID = ""; _, err := b.s.DeadLetterPut(b.ctx, x); return err }(), kilntype.EInvalidArgument)
	wantCode(t, "put with bad payload", func() error {
		x := d
		x.ID, x.DeliveryID, x.Payload = newID(), "ev2:"+sc.ID, json.RawMessage(`{`)
		_, err := b.s.DeadLetterPut(b.ctx, x)
		return err
	}(), kilntype.EInvalidArgument)

	// Lists and gets are the tenant's own.
	list, next, err := b.s.DeadLetterList(b.ctx, store.DeadLetterListParams{TenantID: b.tenant.ID})
	if err != nil || len(list) != 1 || next != "" {
		t.Fatalf("list: %v %d %q", err, len(list), next)
	}
	if list, _, _ := b.s.DeadLetterList(b.ctx, store.DeadLetterListParams{TenantID: b.other.ID}); len(list) != 0 {
		t.Fatalf("another tenant lists %d dead letters", len(list))
	}
	_, err = b.s.DeadLetterGet(b.ctx, b.other.ID, d.ID)
	wantCode(t, "get from another tenant", err, kilntype.ENotFound)
	_, err = b.s.DeadLetterResolve(b.ctx, b.other.ID, d.ID, kilntype.DeadLetterDiscarded, "")
	wantCode(t, "resolve from another tenant", err, kilntype.ENotFound)

	// Resolved once only.
	r, err := b.s.DeadLetterResolve(b.ctx, b.tenant.ID, d.ID, kilntype.DeadLetterReplayed, "ev1:"+sc.ID+":r1")
	if err != nil || r.Status != kilntype.DeadLetterReplayed || r.ReplayDeliveryID != "ev1:"+sc.ID+":r1" {
		t.Fatalf("replay: %v %+v", err, r)
	}
	_, err = b.s.DeadLetterResolve(b.ctx, b.tenant.ID, d.ID, kilntype.DeadLetterDiscarded, "")
	wantCode(t, "discard after replay", err, kilntype.EConflict)
	_, err = b.s.DeadLetterResolve(b.ctx, b.tenant.ID, d.ID, kilntype.DeadLetterDead, "")
	wantCode(t, "back to dead", err, kilntype.EInvalidArgument)
	if list, _, _ := b.s.DeadLetterList(b.ctx, store.DeadLetterListParams{TenantID: b.tenant.ID, Status: kilntype.DeadLetterDead}); len(list) != 0 {
		t.Fatalf("status filter: %d dead", len(list))
	}
}

// An execution keeps its attempt number; other triggers read as attempt 1.
func testExecutionAttempt(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "retried", typ: kilntype.TypeEvent})
	execs := []kilntype.Execution{
		{ID: newID(), TenantID: b.tenant.ID, ScriptID: sc.ID, Version: 1, Trigger: "event", Attempt: 3, Status: kilntype.ExecFailed},
		{ID: newID(), TenantID: b.tenant.ID, ScriptID: sc.ID, Version: 1, Trigger: "manual", Status: kilntype.ExecCompleted},
	}
	if err := b.s.ExecutionWrite(b.ctx, execs); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{3, 1} {
		e, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, execs[i].ID)
		if err != nil || e.Attempt != want {
			t.Fatalf("execution %d: attempt %v, err %v; want %d", i, e, err, want)
		}
	}
}
