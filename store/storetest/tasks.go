package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// taskFixture is a tenant's task script and a helper to start tasks of it.
type taskFixture struct {
	b      *bundle
	script *kilntype.Script
}

func newTaskFixture(t *testing.T, b *bundle) *taskFixture {
	t.Helper()
	return &taskFixture{b: b, script: createScript(t, b, b.tenant.ID, scriptSpec{name: "call", typ: kilntype.TypeManual})}
}

// start creates a task of the fixture's script owned by "node-a".
func (f *taskFixture) start(t *testing.T, mod ...func(*store.TaskCreateParams)) *kilntype.Task {
	t.Helper()
	p := store.TaskCreateParams{TenantID: f.b.tenant.ID, ScriptID: f.script.ID, Owner: "node-a", Params: json.RawMessage(`{"to":"bob"}`)}
	for _, m := range mod {
		m(&p)
	}
	task, err := f.b.s.TaskCreate(f.b.ctx, p)
	if err != nil {
		t.Fatalf("TaskCreate: %v", err)
	}
	return task
}

// appendOK appends and fails the test on an error.
func (f *taskFixture) appendOK(t *testing.T, p store.TaskAppendParams) *kilntype.Task {
	t.Helper()
	if p.TenantID == "" {
		p.TenantID = f.b.tenant.ID
	}
	task, err := f.b.s.TaskAppend(f.b.ctx, p)
	if err != nil {
		t.Fatalf("TaskAppend(%s at %d): %v", p.TaskID, p.First, err)
	}
	return task
}

// get reads a task and fails the test on an error.
func (f *taskFixture) get(t *testing.T, id string) *kilntype.Task {
	t.Helper()
	task, err := f.b.s.TaskGet(f.b.ctx, f.b.tenant.ID, id)
	if err != nil {
		t.Fatalf("TaskGet(%s): %v", id, err)
	}
	return task
}

// journal reads the whole current journal of a task.
func (f *taskFixture) journal(t *testing.T, id string) []kilntype.JournalEntry {
	t.Helper()
	task := f.get(t, id)
	entries, err := f.b.s.TaskJournal(f.b.ctx, f.b.tenant.ID, id, task.Generation, 0, 10000)
	if err != nil {
		t.Fatalf("TaskJournal(%s): %v", id, err)
	}
	return entries
}

// inbox reads a task's inbox, optionally of some types.
func (f *taskFixture) inbox(t *testing.T, id string, types ...string) []kilntype.TaskEvent {
	t.Helper()
	events, err := f.b.s.TaskInbox(f.b.ctx, f.b.tenant.ID, id, types, 1000)
	if err != nil {
		t.Fatalf("TaskInbox(%s): %v", id, err)
	}
	return events
}

func (f *taskFixture) send(t *testing.T, id, typ, payload string) int64 {
	t.Helper()
	seq, err := f.b.s.TaskSend(f.b.ctx, f.b.tenant.ID, id, kilntype.TaskEvent{Type: typ, Payload: json.RawMessage(payload)}, 0)
	if err != nil {
		t.Fatalf("TaskSend(%s, %s): %v", id, typ, err)
	}
	return seq
}

func entry(kind kilntype.JournalKind, value string) kilntype.JournalEntry {
	return kilntype.JournalEntry{Kind: kind, Name: "test." + string(kind), Request: json.RawMessage(`[1, "x"]`), Value: json.RawMessage(value)}
}

func seqs(events []kilntype.TaskEvent) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

func testTaskCreate(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	// Version 2 is current: a task pins it, and keeps it after version 3.
	if _, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: f.script.ID,
		NewVersion: &store.VersionCreateParams{SourceCode: "v2"}}); err != nil {
		t.Fatal(err)
	}
	// Params keep their bytes: key order and spaces (JSONB would lose both).
	params := json.RawMessage(`{"z": 1, "a": [true, null], "m": "\u00e9"}`)
	task := f.start(t, func(p *store.TaskCreateParams) { p.Params = params })
	v2, err := b.s.VersionGet(b.ctx, b.tenant.ID, f.script.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if task.ID == "" || task.TenantID != b.tenant.ID || task.ScriptID != f.script.ID || task.Version != 2 || task.VersionID != v2.ID ||
		task.State != kilntype.TaskRunning || task.Owner != "node-a" || task.Epoch != 1 || task.Generation != 0 ||
		task.JournalLen != 0 || task.InboxDepth != 0 || task.WakeAt != nil || task.EndedAt != nil || task.ParentID != "" {
		t.Fatalf("TaskCreate returned %+v", task)
	}
	recent(t, "CreatedAt", task.CreatedAt)
	if _, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: f.script.ID,
		NewVersion: &store.VersionCreateParams{SourceCode: "v3"}}); err != nil {
		t.Fatal(err)
	}
	got := f.get(t, task.ID)
	same(t, "TaskGet", got, task)
	if string(got.Params) != string(params) {
		t.Errorf("params read back as %s, want the bytes %s", got.Params, params)
	}
	pinned := f.start(t, func(p *store.TaskCreateParams) { p.Version = 1; p.ID = "call-1" })
	if pinned.Version != 1 || pinned.ID != "call-1" {
		t.Errorf("a task created at version 1 with ID call-1: %+v", pinned)
	}

	otherScript := createScript(t, b, b.other.ID, scriptSpec{name: "theirs"})
	errs := []struct {
		name string
		p    func(*store.TaskCreateParams)
		code kilntype.Code
	}{
		{"missing script", func(p *store.TaskCreateParams) { p.ScriptID = newID() }, kilntype.ENotFound},
		{"missing version", func(p *store.TaskCreateParams) { p.Version = 9 }, kilntype.ENotFound},
		{"another tenant's script", func(p *store.TaskCreateParams) { p.ScriptID = otherScript.ID }, kilntype.ENotFound},
		{"missing parent", func(p *store.TaskCreateParams) { p.ParentID = newID() }, kilntype.ENotFound},
		{"params not JSON", func(p *store.TaskCreateParams) { p.Params = json.RawMessage(`{`) }, kilntype.EInvalidArgument},
		{"no owner", func(p *store.TaskCreateParams) { p.Owner = "" }, kilntype.EInvalidArgument},
		{"no script", func(p *store.TaskCreateParams) { p.ScriptID = "" }, kilntype.EInvalidArgument},
		{"taken ID", func(p *store.TaskCreateParams) { p.ID = "call-1" }, kilntype.EConflict},
	}
	for _, e := range errs {
		p := store.TaskCreateParams{TenantID: b.tenant.ID, ScriptID: f.script.ID, Owner: "node-a"}
		e.p(&p)
		_, err := b.s.TaskCreate(b.ctx, p)
		wantCode(t, "TaskCreate with "+e.name, err, e.code)
	}
	_, err = b.s.TaskGet(b.ctx, b.tenant.ID, newID())
	wantCode(t, "TaskGet of a missing task", err, kilntype.ENotFound)
	list, _, err := b.s.TaskList(b.ctx, store.TaskListParams{TenantID: b.tenant.ID})
	if err != nil || len(list) != 2 {
		t.Errorf("after failed creates, %d tasks (%v), want 2", len(list), err)
	}
}

// testTaskLiveCap: the cap counts the tenant's tasks that have not ended,
// for creates and spawns alike, and an ended task frees its place.
func testTaskLiveCap(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	const limit = 3
	capped := func(p *store.TaskCreateParams) { p.MaxLiveTasks = limit }
	var tasks []*kilntype.Task
	for range limit {
		tasks = append(tasks, f.start(t, capped))
	}
	_, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.tenant.ID, ScriptID: f.script.ID, Owner: "n", MaxLiveTasks: limit})
	wantCode(t, "a create past the cap", err, kilntype.EQuotaExceeded)
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: tasks[0].ID, Epoch: 1, First: 0,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSpawn, `"child"`)},
		Spawns:  []store.TaskCreateParams{{ID: "child", ScriptID: f.script.ID, Owner: "n", MaxLiveTasks: limit}}})
	wantCode(t, "a spawn past the cap", err, kilntype.EQuotaExceeded)
	if n := f.get(t, tasks[0].ID).JournalLen; n != 0 {
		t.Errorf("the refused spawn left %d journal entries", n)
	}
	// Another tenant has its own count.
	other := createScript(t, b, b.other.ID, scriptSpec{name: "theirs"})
	if _, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.other.ID, ScriptID: other.ID, Owner: "n", MaxLiveTasks: limit}); err != nil {
		t.Errorf("another tenant's create: %v", err)
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: tasks[1].ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
	f.appendOK(t, store.TaskAppendParams{TaskID: tasks[0].ID, Epoch: 1, First: 0,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSpawn, `"child"`)},
		Spawns:  []store.TaskCreateParams{{ID: "child", ScriptID: f.script.ID, Owner: "n", MaxLiveTasks: limit}}})
	child := f.get(t, "child")
	if child.ParentID != tasks[0].ID || child.TenantID != b.tenant.ID || child.State != kilntype.TaskRunning {
		t.Errorf("spawned child %+v", child)
	}
	_, err = b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.tenant.ID, ScriptID: f.script.ID, Owner: "n", MaxLiveTasks: limit})
	wantCode(t, "a create past the cap after one ended and one spawned", err, kilntype.EQuotaExceeded)
	if _, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.tenant.ID, ScriptID: f.script.ID, Owner: "n"}); err != nil {
		t.Errorf("a create without a cap: %v", err)
	}
}

func testTaskList(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	second := createScript(t, b, b.tenant.ID, scriptSpec{name: "egress", typ: kilntype.TypeManual})
	parent := f.start(t)
	var want []string // newest first
	for i := range 6 {
		task := f.start(t, func(p *store.TaskCreateParams) {
			if i%2 == 1 {
				p.ScriptID = second.ID
			}
			if i%3 == 0 {
				p.ParentID = parent.ID
			}
		})
		want = append([]string{task.ID}, want...)
	}
	want = append(want, parent.ID)
	f.appendOK(t, store.TaskAppendParams{TaskID: want[0], Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskHibernated}})

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := b.s.TaskList(b.ctx, store.TaskListParams{TenantID: b.tenant.ID, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatalf("TaskList: %v", err)
		}
		for _, task := range page {
			got = append(got, task.ID)
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("TaskList does not end")
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages of 3 gave %v, want %v", got, want)
	}
	for _, tt := range []struct {
		name string
		p    store.TaskListParams
		want int
	}{
		{"by state", store.TaskListParams{State: kilntype.TaskHibernated}, 1},
		{"by state running", store.TaskListParams{State: kilntype.TaskRunning}, 6},
		{"by script", store.TaskListParams{ScriptID: second.ID}, 3},
		{"by parent", store.TaskListParams{ParentID: parent.ID}, 2},
		{"by parent and script", store.TaskListParams{ParentID: parent.ID, ScriptID: second.ID}, 1},
		{"another tenant", store.TaskListParams{TenantID: b.other.ID}, 0},
	} {
		if tt.p.TenantID == "" {
			tt.p.TenantID = b.tenant.ID
		}
		list, _, err := b.s.TaskList(b.ctx, tt.p)
		if err != nil || len(list) != tt.want {
			t.Errorf("TaskList %s: %d tasks, %v; want %d", tt.name, len(list), err, tt.want)
		}
	}
	_, _, err := b.s.TaskList(b.ctx, store.TaskListParams{TenantID: b.tenant.ID, State: "sleeping"})
	wantCode(t, "TaskList by an unknown state", err, kilntype.EInvalidArgument)
	_, _, err = b.s.TaskList(b.ctx, store.TaskListParams{TenantID: b.tenant.ID, Cursor: "junk"})
	wantCode(t, "TaskList with a bad cursor", err, kilntype.EInvalidArgument)
}

// testTaskIsolation: another tenant's ID finds nothing, and writes nothing,
// through every method.
func testTaskIsolation(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	seq := f.send(t, task.ID, "digit", `1`)
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `1`)}})
	otherScript := createScript(t, b, b.other.ID, scriptSpec{name: "theirs", typ: kilntype.TypeManual})
	theirs, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.other.ID, ScriptID: otherScript.ID, Owner: "n"})
	if err != nil {
		t.Fatal(err)
	}
	o := b.other.ID
	tests := []struct {
		name string
		call func() error
	}{
		{"TaskGet", func() error { _, err := b.s.TaskGet(b.ctx, o, task.ID); return err }},
		{"TaskClaim", func() error { _, err := b.s.TaskClaim(b.ctx, o, task.ID, "thief"); return err }},
		{"TaskAppend", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: o, TaskID: task.ID, Epoch: 1, First: 1,
				Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `2`)}, Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
			return err
		}},
		{"TaskAppend receiving", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: o, TaskID: task.ID, Epoch: 1, First: 1, Receive: seq})
			return err
		}},
		{"TaskAppend sending to another tenant's task", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: o, TaskID: theirs.ID, Epoch: 1, First: 0,
				Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, `null`)},
				Sends:   []store.TaskMessage{{To: task.ID, Type: "steal"}}})
			return err
		}},
		{"TaskAppend spawning in another tenant's task", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 1,
				Spawns: []store.TaskCreateParams{{ScriptID: otherScript.ID, Owner: "n"}}})
			return err
		}},
		{"TaskCreate under another tenant's parent", func() error {
			_, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: o, ScriptID: otherScript.ID, Owner: "n", ParentID: task.ID})
			return err
		}},
		{"TaskSend", func() error {
			_, err := b.s.TaskSend(b.ctx, o, task.ID, kilntype.TaskEvent{Type: "digit"}, 0)
			return err
		}},
		{"TaskInbox", func() error { _, err := b.s.TaskInbox(b.ctx, o, task.ID, nil, 0); return err }},
		{"TaskJournal", func() error { _, err := b.s.TaskJournal(b.ctx, o, task.ID, 0, 0, 0); return err }},
		{"TaskContinueAsNew", func() error { _, err := b.s.TaskContinueAsNew(b.ctx, o, task.ID, 1, nil); return err }},
	}
	for _, tt := range tests {
		wantCode(t, tt.name+" with the other tenant's ID", tt.call(), kilntype.ENotFound)
	}
	after := f.get(t, task.ID)
	if after.Epoch != 1 || after.Owner != "node-a" || after.JournalLen != 1 || after.InboxDepth != 1 || after.State != kilntype.TaskRunning {
		t.Errorf("the task after the other tenant's attempts: %+v", after)
	}
	if events := f.inbox(t, task.ID); !slices.Equal(seqs(events), []int64{seq}) {
		t.Errorf("inbox after the other tenant's attempts: %v", seqs(events))
	}
	if n := f.get(t, task.ID).InboxDepth; n != 1 {
		t.Errorf("inbox depth %d", n)
	}
	if got, _ := b.s.TaskGet(b.ctx, o, theirs.ID); got == nil || got.JournalLen != 0 {
		t.Errorf("the other tenant's task after its refused send: %+v", got)
	}
}

// testTaskFencing: a claim raises the epoch, and every write with an
// older one is refused as fenced, writing nothing.
func testTaskFencing(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, Entries: []kilntype.JournalEntry{entry(kilntype.JournalClock, `1`)},
		Update: &store.TaskUpdate{State: kilntype.TaskHibernated}})
	claimed, err := b.s.TaskClaim(b.ctx, b.tenant.ID, task.ID, "node-b")
	if err != nil {
		t.Fatalf("TaskClaim: %v", err)
	}
	if claimed.Epoch != 2 || claimed.Owner != "node-b" || claimed.State != kilntype.TaskRunning || claimed.JournalLen != 1 {
		t.Fatalf("claimed %+v", claimed)
	}
	fenced := []struct {
		name string
		call func() error
	}{
		{"TaskAppend", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 1,
				Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `"stale"`)}})
			return err
		}},
		{"TaskAppend that only changes the state", func() error {
			_, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: 1,
				Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
			return err
		}},
		{"TaskContinueAsNew", func() error {
			_, err := b.s.TaskContinueAsNew(b.ctx, b.tenant.ID, task.ID, 1, json.RawMessage(`{}`))
			return err
		}},
	}
	for _, tt := range fenced {
		err := tt.call()
		wantCode(t, tt.name+" with the old epoch", err, kilntype.EConflict)
		if !errors.Is(err, store.ErrFenced) {
			t.Errorf("%s with the old epoch: %v, want it to match store.ErrFenced", tt.name, err)
		}
		var fe *store.FencedError
		if !errors.As(err, &fe) || fe.Current != 2 || fe.Owner != "node-b" {
			t.Errorf("%s: %v, want a FencedError naming epoch 2 and node-b", tt.name, err)
		}
	}
	if got := f.get(t, task.ID); got.JournalLen != 1 || got.State != kilntype.TaskRunning || got.Generation != 0 || got.Epoch != 2 {
		t.Fatalf("after fenced writes: %+v", got)
	}
	// The new owner writes; a stale journal index with the right epoch is
	// a CONFLICT but not fenced.
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 2, First: 1, Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `2`)}})
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 2, First: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalHost, `2`)}})
	wantCode(t, "a stale index", err, kilntype.EConflict)
	if errors.Is(err, store.ErrFenced) {
		t.Errorf("a stale index with the current epoch reads as fenced: %v", err)
	}
	// Ended tasks are not claimed.
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 2, First: 2, Update: &store.TaskUpdate{State: kilntype.TaskCancelled}})
	_, err = b.s.TaskClaim(b.ctx, b.tenant.ID, task.ID, "node-c")
	wantCode(t, "claiming a cancelled task", err, kilntype.EConflict)
	_, err = b.s.TaskClaim(b.ctx, b.tenant.ID, newID(), "node-c")
	wantCode(t, "claiming a missing task", err, kilntype.ENotFound)
	_, err = b.s.TaskClaim(b.ctx, b.tenant.ID, task.ID, "")
	wantCode(t, "claiming without an owner", err, kilntype.EInvalidArgument)
}

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

// testTaskContinueAsNew: the next generation starts with an empty
// journal and new params, and keeps the inbox and the children.
func testTaskContinueAsNew(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalSpawn, `"kid"`), entry(kilntype.JournalHost, `2`)},
		Spawns:  []store.TaskCreateParams{{ID: "kid-" + task.ID, ScriptID: f.script.ID, Owner: "node-a"}}})
	f.send(t, task.ID, "digit", `1`)
	wake := now().Add(time.Minute)
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 2, Update: &store.TaskUpdate{State: kilntype.TaskWaiting, WakeAt: &wake}})

	params := json.RawMessage(`{"round": 2, "carry": [1, 2]}`)
	got, err := b.s.TaskContinueAsNew(b.ctx, b.tenant.ID, task.ID, 1, params)
	if err != nil {
		t.Fatalf("TaskContinueAsNew: %v", err)
	}
	if got.Generation != 1 || got.JournalLen != 0 || got.JournalBytes != 0 || string(got.Params) != string(params) ||
		got.State != kilntype.TaskRunning || got.WakeAt != nil || got.InboxDepth != 1 || got.Epoch != 1 || got.ID != task.ID {
		t.Fatalf("after TaskContinueAsNew: %+v", got)
	}
	if old, err := b.s.TaskJournal(b.ctx, b.tenant.ID, task.ID, 0, 0, 0); err != nil || len(old) != 0 {
		t.Errorf("generation 0 still has %d entries (%v); it is deleted", len(old), err)
	}
	if n := len(f.journal(t, task.ID)); n != 0 {
		t.Errorf("generation 1 starts with %d entries", n)
	}
	if events := f.inbox(t, task.ID); len(events) != 1 || events[0].Type != "digit" {
		t.Errorf("inbox after continueAsNew: %+v", events)
	}
	if kids, _, err := b.s.TaskList(b.ctx, store.TaskListParams{TenantID: b.tenant.ID, ParentID: task.ID}); err != nil || len(kids) != 1 {
		t.Errorf("children after continueAsNew: %d, %v", len(kids), err)
	}
	// The new generation's journal starts at 0 and receives the kept event.
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 0, Receive: 1, Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, `1`)}})
	if entries, err := b.s.TaskJournal(b.ctx, b.tenant.ID, task.ID, 1, 0, 0); err != nil || len(entries) != 1 || entries[0].Index != 0 {
		t.Errorf("generation 1's journal: %+v, %v", entries, err)
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, First: 1, Update: &store.TaskUpdate{State: kilntype.TaskCompleted}})
	_, err = b.s.TaskContinueAsNew(b.ctx, b.tenant.ID, task.ID, 1, nil)
	wantCode(t, "continuing a completed task", err, kilntype.EConflict)
	_, err = b.s.TaskContinueAsNew(b.ctx, b.tenant.ID, task.ID, 1, json.RawMessage(`{`))
	wantCode(t, "continuing with bad params", err, kilntype.EInvalidArgument)
}

// testTasksDue: due tasks are claimed earliest first, once; others stay.
func testTasksDue(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	base := now()
	park := func(state kilntype.TaskState, wake *time.Time) *kilntype.Task {
		task := f.start(t)
		f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, Update: &store.TaskUpdate{State: state, WakeAt: wake}})
		return task
	}
	late := park(kilntype.TaskHibernated, at(base.Add(-time.Second)))
	early := park(kilntype.TaskWaiting, at(base.Add(-time.Minute)))
	park(kilntype.TaskHibernated, at(base.Add(time.Hour))) // not yet
	park(kilntype.TaskHibernated, nil)                     // no timer
	park(kilntype.TaskRunning, at(base.Add(-time.Hour)))   // running: its owner has it
	park(kilntype.TaskCompleted, at(base.Add(-time.Hour))) // ended
	otherScript := createScript(t, b, b.other.ID, scriptSpec{name: "theirs", typ: kilntype.TypeManual})
	theirs, err := b.s.TaskCreate(b.ctx, store.TaskCreateParams{TenantID: b.other.ID, ScriptID: otherScript.ID, Owner: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.other.ID, TaskID: theirs.ID, Epoch: 1,
		Update: &store.TaskUpdate{State: kilntype.TaskHibernated, WakeAt: at(base.Add(-time.Millisecond))}}); err != nil {
		t.Fatal(err)
	}

	due, err := b.s.TasksDue(b.ctx, base, "timer-node", 2)
	if err != nil {
		t.Fatalf("TasksDue: %v", err)
	}
	if len(due) != 2 || due[0].ID != early.ID || due[1].ID != late.ID {
		t.Fatalf("TasksDue(limit 2) = %v, want [early late]", taskIDs(due))
	}
	for _, d := range due {
		if d.Epoch != 2 || d.Owner != "timer-node" || d.State != kilntype.TaskRunning {
			t.Errorf("claimed %+v", d)
		}
	}
	_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: early.ID, Epoch: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalTimer, `null`)}})
	if !errors.Is(err, store.ErrFenced) {
		t.Errorf("the former owner's append after TasksDue: %v, want fenced", err)
	}
	due, err = b.s.TasksDue(b.ctx, base, "timer-node", 10)
	if err != nil || len(due) != 1 || due[0].ID != theirs.ID || due[0].TenantID != b.other.ID {
		t.Fatalf("second TasksDue = %v, %v; want the other tenant's task", taskIDs(due), err)
	}
	if due, err := b.s.TasksDue(b.ctx, base, "timer-node", 10); err != nil || len(due) != 0 {
		t.Errorf("third TasksDue = %v, %v; want none", taskIDs(due), err)
	}
	if due, err := b.s.TasksDue(b.ctx, base.Add(2*time.Hour), "timer-node", 10); err != nil || len(due) != 1 {
		t.Errorf("TasksDue two hours later = %v, %v; want the hour's timer", taskIDs(due), err)
	}
	// A hibernated task that receives an event is due at once.
	sleeper := park(kilntype.TaskHibernated, at(base.Add(24*time.Hour)))
	f.send(t, sleeper.ID, "wake", `1`)
	if due, err := b.s.TasksDue(b.ctx, now(), "timer-node", 10); err != nil || len(due) != 1 || due[0].ID != sleeper.ID {
		t.Errorf("TasksDue after a send to a hibernated task = %v, %v", taskIDs(due), err)
	}
	// Events that arrived while a task ran wake it when it hibernates:
	// the send found it running and left its wake time alone.
	busy := f.start(t)
	f.send(t, busy.ID, "early", `1`)
	f.send(t, busy.ID, "early", `2`)
	hib := f.appendOK(t, store.TaskAppendParams{TaskID: busy.ID, Epoch: 1, First: 0, Receive: 1,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, `1`)},
		Update:  &store.TaskUpdate{State: kilntype.TaskHibernated, WakeAt: at(base.Add(time.Hour))}})
	if hib.WakeAt == nil || hib.WakeAt.After(now()) {
		t.Errorf("a task hibernated with mail waiting: wake at %v, want now", hib.WakeAt)
	}
	if due, err := b.s.TasksDue(b.ctx, now(), "timer-node", 10); err != nil || len(due) != 1 || due[0].ID != busy.ID {
		t.Errorf("TasksDue after hibernating with mail = %v, %v", taskIDs(due), err)
	}
	f.appendOK(t, store.TaskAppendParams{TaskID: busy.ID, Epoch: 2, First: 1, Receive: 2,
		Entries: []kilntype.JournalEntry{entry(kilntype.JournalReceive, `2`)},
		Update:  &store.TaskUpdate{State: kilntype.TaskHibernated, WakeAt: at(base.Add(time.Hour))}})
	if w := f.get(t, busy.ID).WakeAt; w == nil || !w.Equal(base.Add(time.Hour)) {
		t.Errorf("a task hibernated with an empty inbox: wake at %v, want its timer", w)
	}
	_, err = b.s.TasksDue(b.ctx, base, "", 10)
	wantCode(t, "TasksDue without an owner", err, kilntype.EInvalidArgument)
}

func taskIDs(tasks []kilntype.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.ID
	}
	return out
}

// testTasksDueConcurrent: nodes polling at once claim every due task
// exactly once (on PostgreSQL, through SKIP LOCKED).
func testTasksDueConcurrent(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	const tasks, nodes = 60, 6
	past := now().Add(-time.Second)
	want := map[string]bool{}
	for range tasks {
		task := f.start(t)
		f.appendOK(t, store.TaskAppendParams{TaskID: task.ID, Epoch: 1, Update: &store.TaskUpdate{State: kilntype.TaskHibernated, WakeAt: &past}})
		want[task.ID] = true
	}
	var mu sync.Mutex
	claims := map[string][]string{}
	var wg sync.WaitGroup
	for n := range nodes {
		owner := fmt.Sprintf("node-%d", n)
		wg.Go(func() {
			for {
				due, err := b.s.TasksDue(b.ctx, now(), owner, 7)
				if err != nil {
					t.Errorf("%s: TasksDue: %v", owner, err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					claims[d.ID] = append(claims[d.ID], owner)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id := range want {
		if len(claims[id]) != 1 {
			t.Errorf("task %s claimed by %v, want exactly one node", id, claims[id])
		}
	}
	if len(claims) != len(want) {
		t.Errorf("%d tasks claimed, want %d", len(claims), len(want))
	}
	for id, owners := range claims {
		if len(owners) == 1 {
			if got := f.get(t, id); got.Epoch != 2 || got.Owner != owners[0] {
				t.Errorf("task %s: epoch %d owner %s, want 2 and %s", id, got.Epoch, got.Owner, owners[0])
			}
		}
	}
}

// testTaskReceiveTimeoutRace races senders against a task's two writers
// (the same owner, as a timer firing and a receive would), which consume
// the inbox head or, finding it empty, journal a timeout that removes the
// waiter. Every sent event must end up consumed exactly once or still
// queued: never lost, never delivered twice.
func testTaskReceiveTimeoutRace(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	task := f.start(t)
	const senders, perSender, consumers = 3, 30, 2
	var wg sync.WaitGroup
	var sentMu sync.Mutex
	var sent []int64
	for s := range senders {
		wg.Go(func() {
			for i := range perSender {
				seq, err := b.s.TaskSend(b.ctx, b.tenant.ID, task.ID, kilntype.TaskEvent{Type: "digit", Payload: json.RawMessage(fmt.Sprintf(`"%d-%d"`, s, i))}, 0)
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				sentMu.Lock()
				sent = append(sent, seq)
				sentMu.Unlock()
			}
		})
	}
	stop := make(chan struct{})
	var consumed sync.WaitGroup
	for range consumers {
		consumed.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				cur, err := b.s.TaskGet(b.ctx, b.tenant.ID, task.ID)
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				head, err := b.s.TaskInbox(b.ctx, b.tenant.ID, task.ID, nil, 1)
				if err != nil {
					t.Errorf("inbox: %v", err)
					return
				}
				p := store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: task.ID, Epoch: 1, First: cur.JournalLen}
				if len(head) == 1 {
					p.Receive = head[0].Seq
					p.Entries = []kilntype.JournalEntry{{Kind: kilntype.JournalReceive, Value: json.RawMessage(fmt.Sprint(head[0].Seq))}}
					p.Update = &store.TaskUpdate{State: kilntype.TaskRunning}
				} else if cur.State == kilntype.TaskWaiting {
					runtime.Gosched() // no waiter to time out: its timeout is journaled already
					continue
				} else {
					p.Entries = []kilntype.JournalEntry{{Kind: kilntype.JournalTimeout}}
					p.Update = &store.TaskUpdate{State: kilntype.TaskWaiting}
				}
				if _, err := b.s.TaskAppend(b.ctx, p); err != nil && kilntype.ErrorCode(err) != kilntype.EConflict {
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	consumed.Wait()

	seen := map[int64]int{}
	for _, e := range f.journal(t, task.ID) {
		if e.Kind == kilntype.JournalReceive {
			var seq int64
			if err := json.Unmarshal(e.Value, &seq); err != nil {
				t.Fatal(err)
			}
			seen[seq]++
		}
	}
	queued := f.inbox(t, task.ID)
	for _, e := range queued {
		seen[e.Seq]++
	}
	for _, seq := range sent {
		if seen[seq] != 1 {
			t.Errorf("event %d was consumed or queued %d times, want exactly once", seq, seen[seq])
		}
	}
	if len(seen) != len(sent) || len(sent) != senders*perSender {
		t.Errorf("%d events sent, %d accounted for, want %d", len(sent), len(seen), senders*perSender)
	}
	if got := f.get(t, task.ID).InboxDepth; got != len(queued) {
		t.Errorf("inbox depth %d, but %d events queued", got, len(queued))
	}
}

// testTaskSendsCrossed: two tasks sending to each other at the same time,
// over and over, never deadlock (PostgreSQL would abort one) and lose
// nothing.
func testTaskSendsCrossed(t *testing.T, b *bundle) {
	f := newTaskFixture(t, b)
	a, c := f.start(t), f.start(t)
	const rounds = 25
	var wg sync.WaitGroup
	for _, pair := range [][2]*kilntype.Task{{a, c}, {c, a}} {
		from, to := pair[0], pair[1]
		wg.Go(func() {
			for i := 0; i < rounds; {
				cur, err := b.s.TaskGet(b.ctx, b.tenant.ID, from.ID)
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				_, err = b.s.TaskAppend(b.ctx, store.TaskAppendParams{TenantID: b.tenant.ID, TaskID: from.ID, Epoch: 1, First: cur.JournalLen,
					Entries: []kilntype.JournalEntry{entry(kilntype.JournalSend, `null`)},
					Sends:   []store.TaskMessage{{To: to.ID, Type: "ping"}, {To: from.ID, Type: "note"}}})
				if err != nil {
					t.Errorf("append %d from %s: %v", i, from.ID, err)
					return
				}
				i++
			}
		})
	}
	wg.Wait()
	for _, task := range []*kilntype.Task{a, c} {
		got := f.get(t, task.ID)
		if got.JournalLen != rounds || got.InboxDepth != 2*rounds || len(f.inbox(t, task.ID)) != 2*rounds {
			t.Errorf("task %s: journal %d, inbox %d; want %d and %d", task.ID, got.JournalLen, got.InboxDepth, rounds, 2*rounds)
		}
	}
}
