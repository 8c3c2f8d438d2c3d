package storetest

// The one-transaction append of durable tasks: the journal, the inbox
// events a receive consumes, the sends to other tasks, and the journal's
// caps (tasks.go has the fixture and the task's lifecycle).

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// testTaskAppend: entries go at contiguous indexes, byte for byte; a stale
// index writes nothing; an ended task's journal is closed.
func testTaskAppend(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	at := now().Add(-time.Hour)
	first := []kilntype.JournalEntry{
		{Kind: kilntype.JournalHost, Name: "iota.db.query", Request: json.RawMessage(`{"collection": "calls", "where": {"b": 1, "a": 2}}`),
			Value: json.RawMessage(`[{"z": 1, "a": 2}]`), At: at},
		{Kind: kilntype.JournalHost, Name: "iota.http.get", Request: json.RawMessage(`["https://x"]`),
			Error: &kilntype.ExecutionError{Code: kilntype.ENetworkError, Message: "connection refused"}, At: at},
		{Kind: kilntype.JournalRandom, Value: json.RawMessage(`0.25`)},
	}
	got := f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 0, Entries: first})
	var bytes int64
	for _, e := range first {
		bytes += int64(len(e.Kind) + len(e.Name) + len(e.Request) + len(e.Value))
		if e.Error != nil {
			b, _ := json.Marshal(e.Error)
			bytes += int64(len(b))
		}
	}
	if got.JournalLen != 3 || got.JournalBytes != bytes {
		t.Errorf("after 3 entries: len %d bytes %d, want 3 and %d", got.JournalLen, got.JournalBytes, bytes)
	}
	for _, stale := range []int64{0, 2, 4} {
		_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: stale,
			Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `"stale"`)}, Update: &store.TaskUpdate{State: kilntype.TaskWaiting}})
		wantCode(t, fmt.Sprintf("append at %d to a journal of 3", stale), err, kilntype.EConflict)
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 3, Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `1700000000000`)}})

	entries := f.journal(t, task.ID)
	if len(entries) != 4 {
		t.Fatalf("journal has %d entries, want 4: %+v", len(entries), entries)
	}
	for i, e := range entries {
		if e.Index != int64(i) {
			t.Errorf("entry %d has index %d", i, e.Index)
		}
		if i < 3 {
			w := first[i]
			if e.Kind != w.Kind || e.Name != w.Name || string(e.Request) != string(w.Request) || string(e.Value) != string(w.Value) {
				t.Errorf("entry %d read back as %+v, want the bytes of %+v", i, e, w)
			}
			same(t, fmt.Sprintf("entry %d error", i), e.Error, w.Error)
		}
	}
	if !entries[0].At.Equal(at) {
		t.Errorf("entry 0 at %v, want %v", entries[0].At, at)
	}
	recent(t, "an entry without At", entries[2].At)
	if string(entries[3].Value) != "1700000000000" || entries[1].Value != nil {
		t.Errorf("values: %s, %s", entries[3].Value, entries[1].Value)
	}

	// Pages.
	page, err := b.s.TaskJournal(b.ctx, b.tenant.ID, task.ID, 0, 1, 2)
	if err != nil || len(page) != 2 || page[0].Index != 1 || page[1].Index != 2 {
		t.Errorf("TaskJournal from 1, limit 2: %+v, %v", page, err)
	}
	_, err = b.s.TaskJournal(b.ctx, b.tenant.ID, task.ID, 0, 0, -1)
	wantCode(t, "TaskJournal with a negative limit", err, kilntype.EInvalidArgument)

	// Invalid entries write nothing.
	for name, e := range map[string]kilntype.JournalEntry{
		"no kind":       {Value: json.RawMessage(`1`)},
		"bad value":     {Kind: kilntype.JournalHost, Value: json.RawMessage(`{"a":`)},
		"bad request":   {Kind: kilntype.JournalHost, Request: json.RawMessage(`nope`)},
		"invalid UTF-8": {Kind: kilntype.JournalHost, Value: json.RawMessage("\"\xff\"")},
	} {
		_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 4,
			Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `1`), e}})
		wantCode(t, "an entry with "+name, err, kilntype.EInvalidArgument)
	}
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 4,
		Update: &store.TaskUpdate{State: kilntype.TaskWaiting, Result: json.RawMessage(`1`)}})
	wantCode(t, "a result without a terminal state", err, kilntype.EInvalidArgument)
	if n := len(f.journal(t, task.ID)); n != 4 {
		t.Errorf("refused appends left %d entries, want 4", n)
	}

	// Many entries in one append (more than one INSERT's worth).
	many := make([]kilntype.JournalEntry, 450)
	for i := range many {
		many[i] = entry(kilntype.JournalRandom, fmt.Sprint(i))
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 4, Entries: many})
	entries = f.journal(t, task.ID)
	if len(entries) != 454 || entries[453].Index != 453 || string(entries[453].Value) != "449" {
		t.Fatalf("after 450 more: %d entries", len(entries))
	}

	// A wake time comes and goes with the state.
	wake := now().Add(time.Hour)
	got = f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 454,
		Update: &store.TaskUpdate{State: kilntype.TaskWaiting, WakeAt: &wake}})
	if got.State != kilntype.TaskWaiting || got.WakeAt == nil || !got.WakeAt.Equal(wake) {
		t.Errorf("waiting with a timer: %+v", got)
	}
	result := json.RawMessage(`{"done": true, "b": 1, "a": 0}`)
	got = f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 454,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, `null`)},
		Update:  &store.TaskUpdate{State: kilntype.TaskCompleted, Result: result, WakeAt: &wake}})
	if got.State != kilntype.TaskCompleted || got.WakeAt != nil || got.EndedAt == nil || string(got.Result) != string(result) || got.JournalLen != 455 {
		t.Errorf("completed: %+v", got)
	}
	same(t, "TaskGet after completion", f.get(t, task.ID), got)
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 455,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `1`)}})
	wantCode(t, "appending to a completed task", err, kilntype.EConflict)

	failed := f.start(t)
	got = f.appendOK(t, store.TaskAppendParams{TaskID: failed.ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskFailed,
		Error: &kilntype.ExecutionError{Code: kilntype.ERuntimeError, Message: "boom"}}})
	if got.Error == nil || got.Error.Code != kilntype.ERuntimeError || got.Result != nil {
		t.Errorf("failed: %+v", got)
	}
	same(t, "TaskGet after failure", f.get(t, failed.ID), got)
}

// testTaskReceive: a receive consumes exactly its event, once, together
// with its journal entry; type filters leave the other events in order.
func testTaskReceive(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	payload := `{"key": "5", "at": 12}`
	var sent []int64
	for _, typ := range []string{"digit", "hangup", "digit", "dtmf", "digit"} {
		sent = append(sent, f.send(t, task.ID, typ, payload))
	}
	if !slices.Equal(sent, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("seqs %v, want 1..5", sent)
	}
	all := f.inbox(t, task.ID)
	if !slices.Equal(seqs(all), sent) || string(all[0].Payload) != payload || all[0].TaskID != task.ID || all[0].From != "" {
		t.Fatalf("inbox %+v", all)
	}
	recent(t, "event At", all[0].At)
	if got := seqs(f.inbox(t, task.ID, "digit")); !slices.Equal(got, []int64{1, 3, 5}) {
		t.Errorf("digits: %v", got)
	}
	if got := seqs(f.inbox(t, task.ID, "hangup", "dtmf")); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("hangup and dtmf: %v", got)
	}
	if got, err := b.s.TaskInbox(b.ctx, b.tenant.ID, task.ID, []string{"digit"}, 1); err != nil || !slices.Equal(seqs(got), []int64{1}) {
		t.Errorf("first digit: %v, %v", seqs(got), err)
	}
	if got := f.get(t, task.ID).InboxDepth; got != 5 {
		t.Errorf("inbox depth %d, want 5", got)
	}

	got := f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 0, Receive: 3,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, payload)}})
	if got.InboxDepth != 4 || got.JournalLen != 1 {
		t.Errorf("after a receive: %+v", got)
	}
	if got := seqs(f.inbox(t, task.ID, "digit")); !slices.Equal(got, []int64{1, 5}) {
		t.Errorf("digits after consuming 3: %v", got)
	}
	// Consuming it again fails and writes nothing, whatever the index.
	_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 1, Receive: 3,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, payload)}})
	wantCode(t, "consuming event 3 twice", err, kilntype.EConflict)
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 1, Receive: 99,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, payload)}})
	wantCode(t, "consuming an event never sent", err, kilntype.EConflict)
	// A stale index fails and leaves the event queued.
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 0, Receive: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, payload)}})
	wantCode(t, "a receive at a stale index", err, kilntype.EConflict)
	if got := f.get(t, task.ID); got.JournalLen != 1 || got.InboxDepth != 4 {
		t.Errorf("after refused receives: %+v", got)
	}
	if got := seqs(f.inbox(t, task.ID)); !slices.Equal(got, []int64{1, 2, 4, 5}) {
		t.Errorf("inbox after refused receives: %v", got)
	}
	// Seqs are not reused after a consume.
	if seq := f.send(t, task.ID, "digit", `1`); seq != 6 {
		t.Errorf("the next seq is %d, want 6", seq)
	}
	errs := []struct {
		name string
		e    kilntype.TaskEvent
	}{
		{"no type", kilntype.TaskEvent{Payload: json.RawMessage(`1`)}},
		{"bad payload", kilntype.TaskEvent{Type: "x", Payload: json.RawMessage(`{`)}},
	}
	for _, e := range errs {
		_, err := b.s.TaskSend(b.ctx, b.tenant.ID, task.ID, e.e, 0)
		wantCode(t, "TaskSend with "+e.name, err, kilntype.EInvalidArgument)
	}
	_, err = b.s.TaskSend(b.ctx, b.tenant.ID, newID(), kilntype.TaskEvent{Type: "x"}, 0)
	wantCode(t, "TaskSend to a missing task", err, kilntype.ENotFound)
}

// testTaskSend: sends between tasks land in the same transaction as the
// sender's entry; terminal receivers and full inboxes refuse; a
// hibernated receiver becomes due.
func testTaskSend(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	ingress, egress := f.start(t), f.start(t)
	f.appendOK(t, store.TaskAppendParams{TaskID: egress.ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskHibernated}})
	before := now()
	got := f.appendOK(t, store.TaskAppendParams{TaskID: ingress.ID, Epoch: 1, First: 0,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, `null`)},
		Sends:   []store.TaskMessage{{To: egress.ID, Type: "bridge", Payload: json.RawMessage(`{"from": "ingress"}`)}, {To: ingress.ID, Type: "self"}}})
	if got.InboxDepth != 1 || got.JournalLen != 1 {
		t.Errorf("the sender after sending to itself: %+v", got)
	}
	same(t, "the task TaskAppend returned after a send to itself", got, f.get(t, ingress.ID))
	in := f.inbox(t, egress.ID)
	if len(in) != 1 || in[0].From != ingress.ID || in[0].Type != "bridge" || string(in[0].Payload) != `{"from": "ingress"}` {
		t.Fatalf("egress inbox %+v", in)
	}
	eg := f.get(t, egress.ID)
	if eg.InboxDepth != 1 || eg.WakeAt == nil || eg.WakeAt.Before(before) || eg.WakeAt.After(now()) {
		t.Errorf("a hibernated receiver: %+v, want it due now", eg)
	}
	// A later send keeps the earlier wake time.
	f.send(t, egress.ID, "again", `2`)
	if w := f.get(t, egress.ID).WakeAt; w == nil || !w.Equal(*eg.WakeAt) {
		t.Errorf("wake time after a second send: %v, want %v", w, eg.WakeAt)
	}
	// Waiting receivers are resident: a send does not touch their wake time.
	later := now().Add(time.Hour)
	f.appendOK(t, store.TaskAppendParams{TaskID: ingress.ID, Epoch: 1, First: 1, Update: &store.TaskUpdate{State: kilntype.TaskWaiting, WakeAt: &later}})
	f.send(t, ingress.ID, "x", `1`)
	if w := f.get(t, ingress.ID).WakeAt; w == nil || !w.Equal(later) {
		t.Errorf("a waiting receiver's wake time: %v, want %v", w, later)
	}

	// Depth caps.
	_, err := b.s.TaskSend(b.ctx, b.tenant.ID, egress.ID, kilntype.TaskEvent{Type: "x"}, 2)
	wantCode(t, "TaskSend to a full inbox", err, kilntype.EQuotaExceeded)
	if _, err := b.s.TaskSend(b.ctx, b.tenant.ID, egress.ID, kilntype.TaskEvent{Type: "x"}, 3); err != nil {
		t.Errorf("TaskSend under the cap: %v", err)
	}
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: ingress.ID, Epoch: 1, First: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, `null`)}, MaxInboxDepth: 3,
		Sends: []store.TaskMessage{{To: ingress.ID, Type: "fits"}, {To: egress.ID, Type: "overflow"}}})
	wantCode(t, "TaskAppend sending to a full inbox", err, kilntype.EQuotaExceeded)
	if got := f.get(t, ingress.ID); got.JournalLen != 1 || got.InboxDepth != 2 {
		t.Errorf("the sender after a refused send: %+v (its entry and its send to itself must be undone)", got)
	}
	if got := f.get(t, egress.ID).InboxDepth; got != 3 {
		t.Errorf("the full receiver's depth %d, want 3", got)
	}
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: ingress.ID, Epoch: 1, First: 1,
		Sends: []store.TaskMessage{{To: newID(), Type: "lost"}}})
	wantCode(t, "TaskAppend sending to a missing task", err, kilntype.ENotFound)

	// Ended receivers refuse.
	f.appendOK(t, store.TaskAppendParams{TaskID: egress.ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
	_, err = b.s.TaskSend(b.ctx, b.tenant.ID, egress.ID, kilntype.TaskEvent{Type: "x"}, 0)
	wantCode(t, "TaskSend to a completed task", err, kilntype.EConflict)
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: ingress.ID, Epoch: 1, First: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, `null`)}, Sends: []store.TaskMessage{{To: egress.ID, Type: "late"}}})
	wantCode(t, "TaskAppend sending to a completed task", err, kilntype.EConflict)
	if got := f.get(t, ingress.ID).JournalLen; got != 1 {
		t.Errorf("the refused send left the sender's journal at %d, want 1", got)
	}
}

// testTaskJournalCaps: the caps refuse an append that would pass them,
// naming the cap, and write nothing.
func testTaskJournalCaps(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, MaxJournalEntries: 3,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `1`), entry(kilntype.JournalClock, `2`)}})
	_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 2, MaxJournalEntries: 3,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `3`), entry(kilntype.JournalClock, `4`)}})
	wantCode(t, "an append past the entry cap", err, kilntype.EQuotaExceeded)
	if err != nil && !strings.Contains(err.Error(), "3 entries") {
		t.Errorf("the entry cap's error does not name the cap: %v", err)
	}
	got := f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 2, MaxJournalEntries: 3,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `3`)}})
	if got.JournalLen != 3 {
		t.Fatalf("journal at the cap: %d", got.JournalLen)
	}
	big := kilntype.JournalEntry{Kind: kilntype.JournalHost, Value: json.RawMessage(`"` + strings.Repeat("x", 1000) + `"`)}
	limit := got.JournalBytes + 1000
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 3,
		MaxJournalBytes: limit, Entries: []kilntype.JournalEntry{big}})
	wantCode(t, "an append past the byte cap", err, kilntype.EQuotaExceeded)
	if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%d bytes", limit)) {
		t.Errorf("the byte cap's error does not name the cap: %v", err)
	}
	if got := f.get(t, task.ID); got.JournalLen != 3 || len(f.journal(t, task.ID)) != 3 {
		t.Errorf("refused appends changed the journal: %+v", got)
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 3, MaxJournalBytes: limit + 100, Entries: []kilntype.JournalEntry{big}})
}

// testTaskAppendBatch: a batch applies each task's append as TaskAppend
// would, in one transaction, and a refused one (a stale length, a send to
// an ended task, a fenced epoch, a spawn whose ID is taken) writes nothing
// of itself and leaves the others.
func testTaskAppendBatch(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	a, c, d, done := f.start(t), f.start(t), f.start(t), f.start(t)
	f.appendOK(t, store.TaskAppendParams{TaskID: done.ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
	seq := f.send(t, c.ID, "digit", `1`)
	taken := f.start(t)
	ps := []store.TaskAppendParams{
		{TenantID: b.tenant.ID, TaskID: a.ID, Epoch: 1, First: 0, Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `1`), entry(kilntype.JournalSend, ``)},
			Sends: []store.TaskMessage{{To: c.ID, Type: "bridge", Payload: json.RawMessage(`{"from":"a"}`)}}},
		{TenantID: b.tenant.ID, TaskID: c.ID, Epoch: 1, First: 5, Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `2`)}}, // stale length
		{TenantID: b.tenant.ID, TaskID: d.ID, Epoch: 1, First: 0, Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, ``)}, // to an ended task
			Sends: []store.TaskMessage{{To: done.ID, Type: "x"}}},
		{TenantID: b.tenant.ID, TaskID: c.ID, Epoch: 1, First: 0, Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, `1`)}, Receive: seq},
		{TenantID: b.tenant.ID, TaskID: taken.ID, Epoch: 1, First: 0, Entries: []kilntype.JournalEntry{entry(kilntype.JournalSpawn, `"x"`)},
			Spawns: []store.TaskCreateParams{{ID: a.ID, ScriptID: f.script.ID, Owner: "node-a"}}}, // the ID is taken
		{TenantID: b.tenant.ID, TaskID: "nope", Epoch: 1},
	}
	res := b.s.TaskAppendBatch(b.ctx, ps)
	if len(res) != len(ps) {
		t.Fatalf("%d results for %d appends", len(res), len(ps))
	}
	for i, want := range []kilntype.Code{"", kilntype.EConflict, kilntype.EConflict, "", kilntype.EConflict, kilntype.ENotFound} {
		if want == "" {
			if res[i].Err != nil || res[i].Task == nil {
				t.Errorf("append %d: %v", i, res[i].Err)
			}
			continue
		}
		wantCode(t, fmt.Sprintf("append %d", i), res[i].Err, want)
	}
	if n := len(f.journal(t, a.ID)); n != 2 {
		t.Errorf("a's journal has %d entries, want 2", n)
	}
	if got := f.journal(t, c.ID); len(got) != 1 || got[0].Kind != kilntype.JournalReceive {
		t.Errorf("c's journal: %+v", got)
	}
	if in := f.inbox(t, c.ID); len(in) != 1 || in[0].Type != "bridge" {
		t.Errorf("c's inbox: the digit consumed, the bridge delivered: %+v", in)
	}
	for _, id := range []string{d.ID, taken.ID} {
		if got := f.get(t, id); got.JournalLen != 0 {
			t.Errorf("refused append to %s wrote %d entries", id, got.JournalLen)
		}
	}
	if in := f.inbox(t, done.ID); len(in) != 0 {
		t.Errorf("the ended task got %d events", len(in))
	}
}

// testTaskAppendShapesConcurrently appends steps of new shapes (entry
// counts, receives, state changes) from several goroutines at once, some
// alone and some in batches: statements prepared while transactions run
// must not wait on each other (a deadlock of the statement cache hung a
// node once).
func testTaskAppendShapesConcurrently(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		task := f.start(t)
		wg.Go(func() {
			first := int64(0)
			for i := range 12 {
				entries := make([]kilntype.JournalEntry, 1+(i+g)%9)
				for j := range entries {
					entries[j] = entry(kilntype.JournalRandom, `0.5`)
				}
				p := store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: first, Entries: entries,
					MaxJournalEntries: int64(1000 + i%3), MaxJournalBytes: int64(i%2) << 20}
				var err error
				if g%2 == 0 {
					_, err = b.s.TaskAppend(b.ctx, p)
				} else {
					err = b.s.TaskAppendBatch(b.ctx, []store.TaskAppendParams{p})[0].Err
				}
				if err != nil {
					errs <- err
					return
				}
				first += int64(len(entries))
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("concurrent appends of new shapes did not finish in 30s: a deadlock")
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
