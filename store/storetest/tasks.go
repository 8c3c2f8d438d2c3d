package storetest

import (
	"encoding/json"
	"errors"
	"slices"
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
