package storetest

// Durable tasks' timers and the races several nodes or goroutines run:
// due tasks claimed once, a receive racing its timeout, sends that cross
// (tasks.go has the fixture and the task's lifecycle).

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

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
