package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// memTaskHost is a TaskHost in memory with the store's rules that the
// engine relies on: appends at the journal's length, an inbox consumed
// only by the append that journals it. The store's own guarantees are
// tested against SQLite and PostgreSQL (store/storetest); this host lets
// the engine's replay be tested at every journal index.
type memTaskHost struct {
	mu      sync.Mutex
	journal []kilntype.JournalEntry
	inbox   []kilntype.TaskEvent
	seq     int64
	sends   []TaskMessage
	spawns  []TaskSpawn
	appends int
	refuse  string // a send to this task ID is refused with NOT_FOUND
}

func (h *memTaskHost) Append(_ context.Context, s *TaskStep) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range s.Entries {
		if e.Index != int64(len(h.journal)+i) {
			return fmt.Errorf("append at index %d, journal has %d entries", e.Index, len(h.journal))
		}
	}
	for _, m := range s.Sends {
		if m.To == h.refuse {
			return &TaskEffectError{Err: kilntype.Errorf(kilntype.ENotFound, "no task %s", m.To)}
		}
	}
	if s.Receive != 0 {
		i := slices.IndexFunc(h.inbox, func(e kilntype.TaskEvent) bool { return e.Seq == s.Receive })
		if i < 0 {
			return kilntype.Errorf(kilntype.EConflict, "event %d consumed already", s.Receive)
		}
		h.inbox = slices.Delete(h.inbox, i, i+1)
	}
	h.journal = append(h.journal, s.Entries...)
	h.sends = append(h.sends, s.Sends...)
	h.spawns = append(h.spawns, s.Spawns...)
	h.appends++
	return nil
}

func (h *memTaskHost) NextEvent(_ context.Context, types []string) (*kilntype.TaskEvent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.inbox {
		if len(types) == 0 || slices.Contains(types, e.Type) {
			return &e, nil
		}
	}
	return nil, nil
}

func (h *memTaskHost) send(typ, payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	h.inbox = append(h.inbox, kilntype.TaskEvent{Seq: h.seq, Type: typ, Payload: json.RawMessage(payload), At: time.Unix(1700000000, 0)})
}

// clone returns a host holding the first n entries of h's journal and the
// inbox as it was then: h's events not consumed by those entries.
func (h *memTaskHost) clone(n int, events []kilntype.TaskEvent) *memTaskHost {
	c := &memTaskHost{journal: slices.Clone(h.journal[:n]), seq: h.seq}
	consumed := map[int64]bool{}
	for _, e := range c.journal {
		if e.Kind == kilntype.JournalReceive {
			var ev struct{ Seq int64 }
			_ = json.Unmarshal(e.Value, &ev)
			consumed[ev.Seq] = true
		}
	}
	for _, ev := range events {
		if !consumed[ev.Seq] {
			c.inbox = append(c.inbox, ev)
		}
	}
	return c
}

// echoCalls counts the calls iota.test.echo performed.
var echoCalls atomic.Int64

// taskTestEngine has the host functions the task tests call: echo returns
// its argument after a delay it names, so that Promise.race has a winner
// that does not depend on the scheduler.
func taskTestEngine(t testing.TB) *Engine {
	return setup(t, Config{Modules: []Module{{Name: "iota.test", Funcs: []HostFunc{
		{Name: "iota.test.echo", Async: true, Fn: func(ctx context.Context, call HostCall) (any, error) {
			echoCalls.Add(1)
			if m, ok := call.Args[0].(map[string]any); ok {
				if ms, ok := m["delayMs"].(float64); ok {
					time.Sleep(time.Duration(ms) * time.Millisecond)
				}
			}
			return call.Args[0], nil
		}},
		{Name: "iota.test.key", Async: true, Fn: func(ctx context.Context, call HostCall) (any, error) {
			return call.IdempotencyKey, nil
		}},
		{Name: "iota.test.fail", Async: true, Fn: func(ctx context.Context, call HostCall) (any, error) {
			return nil, Errorf(kilntype.ENotFound, "nothing here")
		}},
		{Name: "iota.test.counter", Fn: func(ctx context.Context, call HostCall) (any, error) {
			return map[string]any{"b": 2, "a": 1}, nil
		}},
	}}}})
}

func compileTask(t *testing.T, e *Engine, src string) *Program {
	t.Helper()
	p, err := e.Compile(context.Background(), Source{Name: "task.js", Code: src, Files: fstest.MapFS{"task.js": {Data: []byte(src)}}})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// runTask runs p as a task on host, from the journal host holds.
func runTask(t *testing.T, e *Engine, p *Program, host *memTaskHost, hibernate time.Duration) (*Result, TaskOutcome) {
	t.Helper()
	n := 0
	task := Task{ID: "tsk_1", ParentID: "tsk_0", Host: host, Journal: slices.Clone(host.journal), Started: time.Unix(1700000000, 0),
		HibernateAfter: hibernate, NewID: func() string { n++; return fmt.Sprintf("tsk_child%d", n) }}
	vm, h, err := e.NewTaskVM(context.Background(), p, task)
	if err != nil {
		t.Fatalf("NewTaskVM: %v", err)
	}
	res := h.Run(context.Background(), vm, json.RawMessage(`{"to":"tsk_peer"}`), Meta{TenantID: "ten_1", ScriptID: "scr_1"}, 0)
	return res, h.Outcome()
}

// determinismHost is the host determinismScript runs on: a send to
// tsk_gone is refused, and the inbox holds two events the script takes
// without a filter and one it waits for by type.
func determinismHost() *memTaskHost {
	host := &memTaskHost{refuse: "tsk_gone"}
	host.send("noise", `1`)
	host.send("noise2", `2`)
	host.send("digit", `{"d":5}`)
	return host
}

// determinismScript uses every source of values a task journals.
const determinismScript = `
let atLoad = Date.now();
export default async function (params) {
  const out = [typeof atLoad, Math.random(), crypto.randomUUID(), new Date().getTime(), performance.now() >= 0];
  const [a, b] = await Promise.all([iota.test.echo({ n: 1, delayMs: 3 }), iota.test.echo({ n: 2 })]);
  out.push(a.n, b.n);
  out.push(await Promise.race([iota.test.echo({ w: 'slow', delayMs: 40 }), iota.test.echo({ w: 'fast' })]));
  await new Promise(r => setTimeout(r, 2));
  const o = await iota.test.echo({ z: 1, a: 2, m: { q: 1, b: 2 } });
  for (const k in o) out.push(k);
  out.push(JSON.stringify(o), JSON.stringify(iota.test.counter()));
  try { await iota.test.fail(); } catch (e) { out.push(e.code); }
  out.push(await iota.test.key());
  out.push(await iota.tasks.receive({ timeout: 0.01 }));
  const ev = await iota.tasks.receive({ types: ['digit'], timeout: 60 });
  out.push(ev.type, ev.payload, ev.seq);
  const child = await iota.tasks.spawn('egress', { dest: params.to });
  await iota.tasks.send(child, 'bridge', { from: iota.tasks.self(), parent: iota.tasks.parent() });
  try { await iota.tasks.send('tsk_gone', 'x'); } catch (e) { out.push(e.code); }
  out.push(child, Math.random(), Date.now());
  return out;
}`

// TestTaskReplayReproduces runs a task live, then replays its whole
// journal in a fresh VM: the result is the same, byte for byte, and
// nothing is performed or written again.
func TestTaskReplayReproduces(t *testing.T) {
	e := taskTestEngine(t)
	p := compileTask(t, e, determinismScript)
	host := determinismHost()
	res, out := runTask(t, e, p, host, 0)
	if res.Err != nil {
		t.Fatalf("live run: %v", res.Err)
	}
	if out.Hibernated || out.Lost != nil {
		t.Fatalf("outcome %+v", out)
	}
	var got []any
	_ = json.Unmarshal(res.Value, &got)
	if len(got) < 20 || got[len(got)-7] != "digit" || !strings.Contains(string(res.Value), `"type":"noise"`) {
		t.Fatalf("live result %s", res.Value)
	}
	if !strings.Contains(string(res.Value), `"fast"`) || !strings.Contains(string(res.Value), `"tsk_1:`) {
		t.Fatalf("race winner or idempotency key missing: %s", res.Value)
	}
	if len(host.spawns) != 1 || len(host.sends) != 1 || host.sends[0].To != "tsk_child1" {
		t.Fatalf("effects: spawns %+v sends %+v", host.spawns, host.sends)
	}
	if len(host.inbox) != 1 || host.inbox[0].Type != "noise2" {
		t.Fatalf("the filtered receive must leave noise queued: %+v", host.inbox)
	}

	replay := &memTaskHost{journal: slices.Clone(host.journal)}
	res2, out2 := runTask(t, e, p, replay, 0)
	if res2.Err != nil {
		t.Fatalf("replay: %v", res2.Err)
	}
	if !bytes.Equal(res.Value, res2.Value) {
		t.Fatalf("replay differs:\nlive   %s\nreplay %s", res.Value, res2.Value)
	}
	if replay.appends != 0 || len(replay.spawns) != 0 || out2.JournalLen != int64(len(host.journal)) {
		t.Fatalf("replay wrote %d steps (%d spawns); journal %d of %d", replay.appends, len(replay.spawns), out2.JournalLen, len(host.journal))
	}
}

// TestTaskResumeAtEveryIndex cuts the journal at every index — a crash
// after that many entries were durable — and resumes from there: the run
// replays the prefix without divergence, goes on live, and ends with the
// same journal shape (kinds and names) and a result of the same shape.
func TestTaskResumeAtEveryIndex(t *testing.T) {
	e := taskTestEngine(t)
	p := compileTask(t, e, determinismScript)
	host := determinismHost()
	events := slices.Clone(host.inbox)
	res, _ := runTask(t, e, p, host, 0)
	if res.Err != nil {
		t.Fatalf("live run: %v", res.Err)
	}
	shape := func(j []kilntype.JournalEntry) string {
		var b strings.Builder
		for _, x := range j {
			fmt.Fprintf(&b, "%s:%s ", x.Kind, x.Name)
		}
		return b.String()
	}
	want := shape(host.journal)
	for n := 0; n <= len(host.journal); n++ {
		t.Logf("resume at %d", n)
		h := host.clone(n, events)
		h.refuse = "tsk_gone"
		r, out := runTask(t, e, p, h, 0)
		if r.Err != nil || out.Lost != nil {
			t.Fatalf("resumed at %d: %v %v", n, r.Err, out.Lost)
		}
		if !bytes.Equal(mustJSON(h.journal[:n]), mustJSON(host.journal[:n])) {
			t.Fatalf("resumed at %d: the prefix changed", n)
		}
		if got := shape(h.journal); got != want {
			t.Fatalf("resumed at %d: journal\n%s\nwant\n%s", n, got, want)
		}
		var a, b []any
		_ = json.Unmarshal(r.Value, &a)
		_ = json.Unmarshal(res.Value, &b)
		if len(a) != len(b) {
			t.Fatalf("resumed at %d: result %s, live %s", n, r.Value, res.Value)
		}
	}
}

// TestTaskDivergence edits the script so that it asks for effects in
// another order: replaying the old journal stops with NONDETERMINISM
// naming the index, and writes nothing.
func TestTaskDivergence(t *testing.T) {
	e := taskTestEngine(t)
	host := &memTaskHost{}
	res, _ := runTask(t, e, compileTask(t, e, `export default async () => {
		const a = await iota.test.echo({ n: 1 });
		const r = Math.random();
		const b = await iota.test.echo({ n: 2 });
		return [a, r, b];
	}`), host, 0)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, c := range []struct{ name, src, at string }{
		{"swapped calls", `export default async () => [await iota.test.echo({ n: 2 }), await iota.test.echo({ n: 1 })]`, "index 0"},
		{"other argument", `export default async () => [await iota.test.echo({ n: 1 }), Math.random(), await iota.test.echo({ n: 3 })]`, "index 3"},
		{"random dropped", `export default async () => [await iota.test.echo({ n: 1 }), await iota.test.echo({ n: 2 })]`, "index 2"},
		{"returns early", `export default async () => [await iota.test.echo({ n: 1 })]`, "index 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &memTaskHost{journal: slices.Clone(host.journal)}
			r, _ := runTask(t, e, compileTask(t, e, c.src), h, 0)
			if r.Err == nil || r.Err.Code != kilntype.ENondeterminism || !strings.Contains(r.Err.Message, c.at) {
				t.Fatalf("got %v, want NONDETERMINISM at %s", r.Err, c.at)
			}
			if h.appends != 0 {
				t.Fatalf("a diverged task wrote %d steps", h.appends)
			}
		})
	}
}

// TestTaskHibernateAndResume lets a task wait past HibernateAfter: its run
// ends hibernated with its timer as the wake time, and a fresh VM resumes
// it by replay when an event arrives — in both styles.
func TestTaskHibernateAndResume(t *testing.T) {
	e := taskTestEngine(t)
	for _, c := range []struct{ name, src string }{
		{"async", `export default async function () {
			const seen = [];
			for (;;) {
				const ev = await iota.tasks.receive({ timeout: 3600 });
				if (!ev || ev.type === 'hangup') break;
				seen.push(ev.payload, Math.random() < 1);
			}
			return seen;
		}`},
		{"blocking", `function Main() {
			var seen = [];
			for (;;) {
				var ev = ReadInput(3600);
				if (ev === null || ev.type === 'hangup') break;
				seen.push(ev.payload, Math.random() < 1);
			}
			return seen;
		}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := compileTask(t, e, c.src)
			host := &memTaskHost{}
			start := time.Now()
			res, out := runTask(t, e, p, host, 20*time.Millisecond)
			if !out.Hibernated || out.WakeAt == nil || out.WakeAt.Sub(start) < 3599*time.Second {
				t.Fatalf("want hibernated with a wake time an hour on: %+v %v", out, res.Err)
			}
			for i := range 3 {
				host.send("digit", fmt.Sprint(i))
				res, out = runTask(t, e, p, host, 20*time.Millisecond)
				if !out.Hibernated {
					t.Fatalf("event %d: want hibernated again, got %+v %v", i, out, res.Err)
				}
			}
			host.send("hangup", "null")
			res, out = runTask(t, e, p, host, 20*time.Millisecond)
			if res.Err != nil || out.Hibernated {
				t.Fatalf("final: %v %+v", res.Err, out)
			}
			if string(res.Value) != `[0,true,1,true,2,true]` {
				t.Fatalf("result %s", res.Value)
			}
			if len(host.inbox) != 0 {
				t.Fatalf("inbox left %+v", host.inbox)
			}
		})
	}
}

// TestTaskReceiveTimeout: a receive that times out journals the timeout,
// and an event that arrives after it waits for the next receive.
func TestTaskReceiveTimeout(t *testing.T) {
	e := taskTestEngine(t)
	p := compileTask(t, e, `export default async () => {
		const a = await iota.tasks.receive({ timeout: 0.02 });
		const b = await iota.tasks.receive({ timeout: 5 });
		return [a, b && b.type];
	}`)
	host := &memTaskHost{}
	go func() {
		time.Sleep(100 * time.Millisecond)
		host.send("late", "1")
	}()
	n := 0
	vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "t", Host: host, NewID: func() string { n++; return fmt.Sprint(n) }})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		h.Notify()
	}()
	res := h.Run(context.Background(), vm, nil, Meta{}, 0)
	if res.Err != nil || string(res.Value) != `[null,"late"]` {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
}

// TestTaskActivationTimeout: a task that computes without waiting is
// stopped after its activation timeout, though its lifetime is long.
func TestTaskActivationTimeout(t *testing.T) {
	e := taskTestEngine(t)
	p := compileTask(t, e, `export default async () => { await iota.tasks.receive({ timeout: 0 }); for (;;) {} }`)
	vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "t", Host: &memTaskHost{}, ActivationTimeout: 50 * time.Millisecond, NewID: func() string { return "x" }})
	if err != nil {
		t.Fatal(err)
	}
	res := h.Run(context.Background(), vm, nil, Meta{}, 0)
	if res.Err == nil || res.Err.Code != CodeTimeout {
		t.Fatalf("got %v", res.Err)
	}
}

// BenchmarkTaskResident measures what one resident waiting task costs:
// its VM, goroutine, loop and pending receive (the goal is 64
// KiB). It reports bytes/task of live heap after a GC, over b.N tasks.
func BenchmarkTaskResident(b *testing.B) {
	for _, c := range []struct{ name, src string }{
		{"async", `export default async () => { const e = await iota.tasks.receive(); return e.payload; }`},
		{"blocking", `function Main() { var e = ReadInput(); return e.payload; }`},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := setup(b, Config{})
			p, err := e.Compile(context.Background(), Source{Name: "t.js", Code: c.src, Files: fstest.MapFS{"t.js": {Data: []byte(c.src)}}})
			if err != nil {
				b.Fatal(err)
			}
			n := max(b.N, 200)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			hosts := make([]*memTaskHost, n)
			handles := make([]*TaskHandle, n)
			done := make(chan struct{}, n)
			for i := range n {
				hosts[i] = &memTaskHost{}
				vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: fmt.Sprint(i), Host: hosts[i], NewID: func() string { return "x" }})
				if err != nil {
					b.Fatal(err)
				}
				handles[i] = h
				go func() {
					h.Run(context.Background(), vm, nil, Meta{}, 0)
					done <- struct{}{}
				}()
			}
			time.Sleep(200 * time.Millisecond) // all waiting
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heapB/task")
			b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(n), "stackB/task")
			for i := range n {
				hosts[i].send("x", "1")
				handles[i].Notify()
			}
			for range n {
				<-done
			}
		})
	}
}

// BenchmarkTaskReplay replays a journal of a task that made 10,000 calls
// and read the clock and randomness between them: journal entries
// replayed per second.
func BenchmarkTaskReplay(b *testing.B) {
	e := taskTestEngine(&testing.T{})
	src := `export default async () => { let s = 0; for (let i = 0; i < 2500; i++) { s += (await iota.test.echo(i)) + Math.random() + Date.now() * 0; } return s > 0; }`
	p, err := e.Compile(context.Background(), Source{Name: "t.js", Code: src, Files: fstest.MapFS{"t.js": {Data: []byte(src)}}})
	if err != nil {
		b.Fatal(err)
	}
	live := &memTaskHost{}
	vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "t", Host: live, NewID: func() string { return "x" }})
	if err != nil {
		b.Fatal(err)
	}
	if res := h.Run(context.Background(), vm, nil, Meta{}, 0); res.Err != nil {
		b.Fatal(res.Err)
	}
	entries := len(live.journal)
	b.ResetTimer()
	for range b.N {
		vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "t", Host: &memTaskHost{journal: live.journal}, Journal: live.journal, NewID: func() string { return "x" }})
		if err != nil {
			b.Fatal(err)
		}
		if res := h.Run(context.Background(), vm, nil, Meta{}, 0); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	b.ReportMetric(float64(entries)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(entries), "entries")
}

// TestTaskReplayOnly replays journals without performing anything: a
// completed task's journal reproduces its result, entry by entry; a cut
// journal stops where the script asks for more; a waiting task's stops
// where it waits. Nothing is written.
func TestTaskReplayOnly(t *testing.T) {
	e := taskTestEngine(t)
	p := compileTask(t, e, determinismScript)
	host := &memTaskHost{refuse: "tsk_gone"}
	host.send("noise", `1`)
	host.send("digit", `{"d":5}`)
	live, _ := runTask(t, e, p, host, 0)
	if live.Err != nil {
		t.Fatal(live.Err)
	}
	replay := func(journal []kilntype.JournalEntry) (*Result, TaskOutcome, int) {
		served := 0
		refusing := &memTaskHost{refuse: "*"}
		vm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "tsk_1", ParentID: "tsk_0", Host: refusing, Journal: journal,
			ReplayOnly: true, OnServe: func(*kilntype.JournalEntry) { served++ }, NewID: func() string { return "never" }})
		if IsJournalEnd(err) { // the module's own code asked for more
			return &Result{Err: asError(err)}, TaskOutcome{JournalEnd: true}, served
		}
		if err != nil {
			t.Fatal(err)
		}
		res := h.Run(context.Background(), vm, json.RawMessage(`{"to":"tsk_peer"}`), Meta{}, 0)
		if refusing.appends != 0 {
			t.Fatalf("a replay wrote %d steps", refusing.appends)
		}
		return res, h.Outcome(), served
	}
	res, out, served := replay(host.journal)
	if res.Err != nil || !bytes.Equal(res.Value, live.Value) || out.JournalEnd || served != len(host.journal) {
		t.Fatalf("full replay: %s %v %+v served %d of %d", res.Value, res.Err, out, served, len(host.journal))
	}
	for cut := range len(host.journal) {
		before := echoCalls.Load()
		res, out, served = replay(host.journal[:cut])
		if !out.JournalEnd || served != cut || res.Err == nil || !strings.Contains(res.Err.Message, fmt.Sprintf("ends at index %d", cut)) {
			t.Fatalf("replay cut at %d: %v %+v served %d", cut, res.Err, out, served)
		}
		time.Sleep(time.Millisecond) // a call wrongly dispatched would have started
		if n := echoCalls.Load() - before; n != 0 {
			t.Fatalf("replay cut at %d performed %d calls", cut, n)
		}
	}

	waiting := compileTask(t, e, `export default async () => { const a = await iota.test.echo(1); const ev = await iota.tasks.receive(); return [a, ev]; }`)
	wh := &memTaskHost{}
	if _, o := runTask(t, e, waiting, wh, 10*time.Millisecond); !o.Hibernated {
		t.Fatalf("want hibernated: %+v", o)
	}
	vm, h, err := e.NewTaskVM(context.Background(), waiting, Task{ID: "w", Host: &memTaskHost{}, Journal: wh.journal, ReplayOnly: true, NewID: func() string { return "x" }})
	if err != nil {
		t.Fatal(err)
	}
	res = h.Run(context.Background(), vm, nil, Meta{}, 0)
	if o := h.Outcome(); !o.JournalEnd || res.Err == nil || !strings.Contains(res.Err.Message, "waits for an event") {
		t.Fatalf("waiting replay: %v %+v", res.Err, o)
	}
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Errorf(CodeInternal, "%v", err)
}

// TestRecordedExecution records an ordinary invocation's journal and
// replays it: the replay reproduces the failure at the same line, after
// the same values, performing nothing.
func TestRecordedExecution(t *testing.T) {
	e := taskTestEngine(t)
	src := "export default async (input) => {\n" +
		"  const a = await iota.test.echo({ n: input.n, r: Math.random() });\n" +
		"  await new Promise(r => setTimeout(r, 1));\n" +
		"  const c = iota.test.counter();\n" +
		"  if (a.r < 2) throw new Error('failed with ' + a.r + ' ' + c.a + ' ' + Date.now());\n" +
		"};\n"
	p := compileTask(t, e, src)
	vm, err := e.NewVM(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	live := vm.Invoke(context.Background(), InvokeParams{Input: json.RawMessage(`{"n":3}`), Record: true})
	if live.Err == nil || live.Err.Position != "task.js:5:22" || live.JournalTruncated || len(live.Journal) < 5 {
		t.Fatalf("live: %v %d entries", live.Err, len(live.Journal))
	}
	// The VM goes on unrecorded, as any pooled VM.
	if again := vm.Invoke(context.Background(), InvokeParams{Input: json.RawMessage(`{"n":3}`)}); again.Journal != nil {
		t.Fatal("an unrecorded invocation kept a journal")
	}
	before := echoCalls.Load()
	rvm, h, err := e.NewTaskVM(context.Background(), p, Task{ID: "exec", Host: &memTaskHost{}, Journal: live.Journal, ReplayOnly: true, ForExecution: true, NewID: func() string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	res := h.Run(context.Background(), rvm, json.RawMessage(`{"n":3}`), Meta{}, 0)
	if res.Err == nil || res.Err.Message != live.Err.Message || res.Err.Position != live.Err.Position {
		t.Fatalf("replay: %v, live: %v", res.Err, live.Err)
	}
	if echoCalls.Load() != before {
		t.Fatal("the replay performed a call")
	}
}
