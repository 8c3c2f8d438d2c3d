package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

// The seed call of docs/tasks.md, made checkable: the ingress (async
// style) forwards every digit it receives to its egress (call-control
// style) and returns them; the egress returns what it got. A digit's
// payload is {"d": its index in the call, "k": the sender's attempt
// number}, so a digit sent twice (a send the kill left unanswered, then
// sent again) is two events that can be told apart.
const (
	crashIngress = `export default async function (params) {
  const peer = await iota.tasks.spawn('egress', { dest: params.to });
  await iota.tasks.send(peer, 'bridge', { from: iota.tasks.self() });
  const digits = [];
  for (;;) {
    const evt = await iota.tasks.receive({ timeout: 3600, types: ['digit', 'hangup'] });
    if (!evt || evt.type === 'hangup') break;
    digits.push(evt.payload);
    await iota.tasks.send(peer, 'digit', evt.payload);
  }
  await iota.tasks.send(peer, 'hangup', null);
  return { peer, digits };
}`
	crashEgress = `function Main(params) {
  var bridge = ReadInput(600);
  var got = [];
  while (true) {
    var evt = ReadInput(3600);
    if (evt === null || evt.type === 'hangup') break;
    got.push(evt.payload);
  }
  return { from: bridge.payload.from, got: got };
}`
	// crashDigits is how many digits each call gets.
	crashDigits = 6
	// crashHibernateAfter is the child's Tasks.HibernateAfter: short
	// enough that the calls sent to first sleep in the store before the
	// kill, long enough that the calls sent to last are still resident.
	crashHibernateAfter = 2 * time.Second
)

// TestTaskCrashHelper is not a test: TestTaskCrashLosesNothing runs the
// test binary again with KILN_TASK_CRASH_DATA set, and this runs a server
// in that process until it is killed.
func TestTaskCrashHelper(t *testing.T) {
	data := os.Getenv("KILN_TASK_CRASH_DATA")
	if data == "" {
		t.Skip("runs only as TestTaskCrashLosesNothing's child process")
	}
	cfg := Config{Addr: os.Getenv("KILN_TASK_CRASH_ADDR"), Config: kiln.Config{DataDir: data, OperatorKey: testOperatorKey}}
	cfg.Tasks.HibernateAfter = crashHibernateAfter
	cfg.Tasks.PollInterval = 10 * time.Millisecond
	ctx := context.Background()
	app, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	<-stop // or SIGKILL, which never arrives here
	_ = app.Stop(ctx)
}

// crashCall is one ingress/egress pair and what the test sent it.
type crashCall struct {
	group   int // 0: hibernated at the kill, 1: resident, 2: being sent to
	ingress string
	// attempts are the digit sends, in the order they were made; an
	// attempt's k is its index here.
	attempts []crashAttempt
}

type crashAttempt struct {
	D     int `json:"d"`
	K     int `json:"k"`
	acked bool
}

// acked counts the digits whose send was answered 202.
func (c *crashCall) acked() int {
	n := 0
	for _, a := range c.attempts {
		if a.acked {
			n = max(n, a.D+1)
		}
	}
	return n
}

// TestTaskCrashLosesNothing is issue 15's crash proof. It starts a server
// in a child process, starts many ingress/egress calls over the HTTP API
// and sends them digits so that, when it kill -9s the server, some calls
// sleep in the store (hibernated), some wait resident and some are being
// sent to. It starts the server again on the same data, sends the rest
// of the digits and a hangup to every call, and checks that every task
// completed, every acknowledged digit reached the egress exactly once and
// in order, nothing else did, and every journal is contiguous and has the
// shape of a call that ran without a crash.
func TestTaskCrashLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	calls := 1000
	if raceEnabled {
		calls = 100
	}
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := []string{"KILN_TASK_CRASH_DATA=" + data, "KILN_TASK_CRASH_ADDR=" + addr}
	server := startCrashChild(t, "TestTaskCrashHelper", addr, env)
	t.Cleanup(func() { _ = server.Process.Kill(); _, _ = server.Process.Wait() })

	h := &harness{t: t, base: "http://" + addr}
	_, dev, viewer := h.tenant("pbx")
	h.script(dev, map[string]any{"name": "ingress", "type": "task", "source": crashIngress})
	h.script(dev, map[string]any{"name": "egress", "type": "task", "language": "javascript", "source": crashEgress})
	api := &crashAPI{base: h.base, client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	t.Cleanup(api.client.CloseIdleConnections)

	// A call that runs without a crash, for its journals' shape.
	control := &crashCall{group: -1}
	control.ingress = api.start(t, dev, "control")
	for d := range crashDigits {
		if !api.sendDigit(t, dev, control, d) {
			t.Fatal("the control call's digit was not acknowledged")
		}
	}
	api.mustSend(t, dev, control.ingress, "hangup", nil)
	waitCrash(t, "the control call ends", func() bool { return len(api.list(t, viewer, "state=completed")) == 2 })

	// Start the calls, and send the first group half of its digits: once
	// they have had them, they hibernate.
	all := make([]*crashCall, calls)
	parallel(calls, func(i int) {
		all[i] = &crashCall{group: i % 3}
		all[i].ingress = api.start(t, dev, fmt.Sprint("+49", i))
	})
	if t.Failed() {
		return
	}
	group := func(g int) []*crashCall {
		var out []*crashCall
		for _, c := range all {
			if c.group == g {
				out = append(out, c)
			}
		}
		return out
	}
	sendRounds := func(cs []*crashCall, rounds int, stop func() bool) {
		for d := range rounds {
			parallel(len(cs), func(i int) {
				if !stop() && cs[i].acked() == d {
					api.sendDigit(t, dev, cs[i], d)
				}
			})
		}
	}
	never := func() bool { return false }
	sendRounds(group(0), crashDigits/2, never)
	if t.Failed() {
		return
	}
	asleep := map[string]bool{}
	for _, c := range group(0) {
		asleep[c.ingress] = true
	}
	waitCrash(t, "the first group hibernates", func() bool {
		n := 0
		for _, task := range api.list(t, viewer, "state=hibernated") {
			if task.InboxDepth == 0 && (asleep[task.ID] || asleep[task.ParentID]) {
				n++
			}
		}
		return n == 2*len(asleep)
	})

	// The third group gets half its digits, then the second group, then
	// the third the rest, round after round, and the server is killed
	// half way through the first of these rounds: the second group has
	// just been served and waits resident, the third is in mid-call.
	busy := group(2)
	sendRounds(busy, crashDigits/2, never)
	sendRounds(group(1), crashDigits/2, never)
	var sentBusy atomic.Int64
	var killed atomic.Bool
	var killOnce sync.Once
	var killedAt time.Time
	kill := func() {
		killOnce.Do(func() {
			killedAt = time.Now()
			killed.Store(true)
			_ = server.Process.Signal(syscall.SIGKILL)
		})
	}
	for d := crashDigits / 2; d < crashDigits; d++ {
		parallel(len(busy), func(i int) {
			if killed.Load() || busy[i].acked() != d {
				return
			}
			if api.sendDigit(t, dev, busy[i], d) && sentBusy.Add(1) == int64(len(busy)/2) {
				kill()
			}
		})
	}
	kill()
	_, _ = server.Process.Wait()
	unanswered := 0
	for _, c := range all {
		for _, a := range c.attempts {
			if !a.acked {
				unanswered++
			}
		}
	}
	groups := map[string]string{}
	for _, c := range all {
		groups[c.ingress] = []string{"1 (hibernating)", "2 (served last)", "3 (in mid-call)"}[c.group]
	}
	snapshot := crashSnapshot(t, data, groups)
	t.Logf("at the kill: %d digit sends unanswered; %s", unanswered, snapshot)

	// Start again on the same data; send every call what it has not had.
	restart := time.Now()
	server = startCrashChild(t, "TestTaskCrashHelper", addr, env)
	ready := time.Since(restart)
	parallel(len(all), func(i int) {
		c := all[i]
		for d := c.acked(); d < crashDigits; d++ {
			if !api.sendDigit(t, dev, c, d) {
				t.Errorf("call %s: digit %d was not acknowledged after the restart", c.ingress, d)
				return
			}
		}
		api.mustSend(t, dev, c.ingress, "hangup", nil)
	})
	if t.Failed() {
		return
	}
	waitCrash(t, "every task ends", func() bool {
		if failed := api.list(t, viewer, "state=failed"); len(failed) > 0 {
			t.Fatalf("%d tasks failed, the first: %s", len(failed), failed[0].Error.Message)
		}
		return len(api.list(t, viewer, "state=completed")) == 2*(calls+1)
	})
	t.Logf("recovery: the server was ready %s after its restart (%s after the kill); every call completed %s after the restart",
		ready.Round(time.Millisecond), restart.Add(ready).Sub(killedAt).Round(time.Millisecond), time.Since(restart).Round(time.Millisecond))

	var stored atomic.Int64 // unanswered sends that the egress got
	want := checkCrashCall(t, api, viewer, control, nil, &stored)
	parallel(len(all), func(i int) { checkCrashCall(t, api, viewer, all[i], want, &stored) })
	t.Logf("%d of the %d unanswered digit sends had been stored before the kill", stored.Load(), unanswered)
	if all := api.list(t, viewer, ""); len(all) != 2*(calls+1) {
		t.Errorf("%d tasks, want %d", len(all), 2*(calls+1))
	}
}

// journalShape is a journal's kinds and names, without values.
type journalShape struct{ ingress, egress []string }

// checkCrashCall checks a completed call: both tasks completed, the
// egress got what the ingress received, which is every acknowledged digit
// once, in order, and at most the unanswered ones besides; both journals
// run from 0 without a gap and, when want is not nil, have the shape of
// the control call's for the same number of digits. It returns the
// call's shape per digit received. It adds the unanswered sends that
// were received to stored.
func checkCrashCall(t *testing.T, api *crashAPI, key string, c *crashCall, want *journalShape, stored *atomic.Int64) *journalShape {
	t.Helper()
	var in struct {
		kilntype.Task
		Children []string
	}
	if err := api.get(key, "/api/tasks/"+c.ingress, &in); err != nil {
		t.Error(err)
		return nil
	}
	var res struct {
		Peer   string
		Digits []crashAttempt
	}
	_ = json.Unmarshal(in.Result, &res)
	if in.State != kilntype.TaskCompleted || res.Peer == "" || !slices.Equal(in.Children, []string{res.Peer}) {
		t.Errorf("ingress %s: %s, result %s, error %+v, children %v", c.ingress, in.State, in.Result, in.Error, in.Children)
		return nil
	}
	var kids struct{ Tasks []kilntype.Task }
	if err := api.get(key, "/api/tasks?parent="+c.ingress, &kids); err != nil || len(kids.Tasks) != 1 || kids.Tasks[0].ID != res.Peer {
		t.Errorf("ingress %s: children %+v (%v), want only %s", c.ingress, kids.Tasks, err, res.Peer)
		return nil
	}
	var out kilntype.Task
	if err := api.get(key, "/api/tasks/"+res.Peer, &out); err != nil {
		t.Error(err)
		return nil
	}
	var got struct {
		From string
		Got  []crashAttempt
	}
	_ = json.Unmarshal(out.Result, &got)
	if out.State != kilntype.TaskCompleted || got.From != c.ingress || out.ParentID != c.ingress {
		t.Errorf("egress %s of %s: %s, result %s, error %+v", res.Peer, c.ingress, out.State, out.Result, out.Error)
		return nil
	}
	if in.InboxDepth != 0 || out.InboxDepth != 0 {
		t.Errorf("call %s: events left in the inboxes: %d and %d", c.ingress, in.InboxDepth, out.InboxDepth)
	}

	// Every acknowledged attempt once, in the order sent; an unanswered
	// one at most once; nothing else.
	received := map[int]bool{}
	last := -1
	for _, a := range res.Digits {
		if a.K <= last || a.K >= len(c.attempts) || c.attempts[a.K].D != a.D {
			t.Errorf("call %s: received %+v out of order, twice or never sent (attempts %+v, received %+v)", c.ingress, a, c.attempts, res.Digits)
			return nil
		}
		last = a.K
		received[a.K] = true
		if !c.attempts[a.K].acked {
			stored.Add(1)
		}
	}
	for k, a := range c.attempts {
		if a.acked && !received[k] {
			t.Errorf("call %s: acknowledged digit %+v lost (received %+v)", c.ingress, a, res.Digits)
		}
	}
	if !slices.Equal(got.Got, res.Digits) {
		t.Errorf("call %s: the egress got %+v, the ingress forwarded %+v", c.ingress, got.Got, res.Digits)
	}

	// Contiguous journals, with the control call's shape.
	inJournal, err := api.journal(key, c.ingress, in.JournalLen)
	if err != nil {
		t.Errorf("ingress %s: %v", c.ingress, err)
		return nil
	}
	outJournal, err := api.journal(key, res.Peer, out.JournalLen)
	if err != nil {
		t.Errorf("egress %s: %v", res.Peer, err)
		return nil
	}
	shape := &journalShape{ingress: shapeOf(inJournal), egress: shapeOf(outJournal)}
	// The digits as the journals hold them: received and sent by the
	// ingress, received by the egress, each the same list.
	var inGot, inSent, outGot []crashAttempt
	for _, e := range inJournal {
		switch {
		case e.Kind == kilntype.JournalReceive && e.Name == "digit":
			var ev struct{ Payload crashAttempt }
			_ = json.Unmarshal(e.Value, &ev)
			inGot = append(inGot, ev.Payload)
		case e.Kind == kilntype.JournalSend && e.Name == "digit":
			var req struct{ Payload crashAttempt }
			_ = json.Unmarshal(e.Request, &req)
			inSent = append(inSent, req.Payload)
		}
	}
	for _, e := range outJournal {
		if e.Kind == kilntype.JournalReceive && e.Name == "digit" {
			var ev struct {
				Payload crashAttempt
				From    string
			}
			_ = json.Unmarshal(e.Value, &ev)
			if ev.From != c.ingress {
				t.Errorf("egress %s: a digit from %q", res.Peer, ev.From)
			}
			outGot = append(outGot, ev.Payload)
		}
	}
	if !slices.Equal(inGot, res.Digits) || !slices.Equal(inSent, res.Digits) || !slices.Equal(outGot, res.Digits) {
		t.Errorf("call %s: the journals hold received %+v, forwarded %+v, got %+v; the results %+v", c.ingress, inGot, inSent, outGot, res.Digits)
	}
	if want != nil {
		wantShape := want.forDigits(len(res.Digits))
		if !slices.Equal(shape.ingress, wantShape.ingress) || !slices.Equal(shape.egress, wantShape.egress) {
			t.Errorf("call %s (%d digits): journals\n  %v\n  %v\nwant, as the uninterrupted call's,\n  %v\n  %v",
				c.ingress, len(res.Digits), shape.ingress, shape.egress, wantShape.ingress, wantShape.egress)
		}
		return nil
	}
	// The control call: the shape must be what its scripts make, so
	// that forDigits can scale it to any number of digits.
	if len(res.Digits) != crashDigits {
		t.Fatalf("the control call received %+v", res.Digits)
	}
	if e := (&journalShape{ingress: shape.ingress, egress: shape.egress}).forDigits(crashDigits); !slices.Equal(e.ingress, shape.ingress) || !slices.Equal(e.egress, shape.egress) {
		t.Fatalf("the control call's journals are not made of a prefix, one block per digit and a suffix:\n  %v\n  %v", shape.ingress, shape.egress)
	}
	return shape
}

// The control call's journals: a prefix (spawn, bridge), a block per
// digit, a suffix (hangup). These are the block lengths, in entries.
const (
	ingressPrefix, ingressBlock = 2, 3 // spawn, send bridge | clock wait, receive digit, send digit
	egressPrefix, egressBlock   = 2, 2 // clock wait, receive bridge | clock wait, receive digit
)

// forDigits scales the control call's shape to n digits.
func (s *journalShape) forDigits(n int) *journalShape {
	scale := func(j []string, prefix, block int) []string {
		if len(j) < prefix+block {
			return nil
		}
		out := slices.Clone(j[:prefix])
		for range n {
			out = append(out, j[prefix:prefix+block]...)
		}
		return append(out, j[prefix+crashDigits*block:]...)
	}
	return &journalShape{ingress: scale(s.ingress, ingressPrefix, ingressBlock), egress: scale(s.egress, egressPrefix, egressBlock)}
}

func shapeOf(j []kilntype.JournalEntry) []string {
	out := make([]string, len(j))
	for i, e := range j {
		out[i] = string(e.Kind) + ":" + e.Name
	}
	return out
}

// crashSnapshot reads the killed server's data: how many calls were in
// which state when it died.
func crashSnapshot(t *testing.T, data string, groups map[string]string) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tenants, err := st.TenantList(ctx)
	if err != nil || len(tenants) != 1 {
		t.Fatalf("tenants %+v: %v", tenants, err)
	}
	var tasks []kilntype.Task
	for cursor := ""; ; {
		page, next, err := st.TaskList(ctx, store.TaskListParams{TenantID: tenants[0].ID, Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	states := map[kilntype.TaskState]int{}
	egress := map[string]kilntype.Task{}
	for _, task := range tasks {
		states[task.State]++
		if task.ParentID != "" {
			egress[task.ParentID] = task
		}
	}
	pairs := map[string]map[string]int{}
	for _, in := range tasks {
		if in.ParentID != "" {
			continue
		}
		var state string
		out, ok := egress[in.ID]
		switch {
		case !ok:
			state = "egress not spawned"
		case in.State.Terminal() && out.State.Terminal():
			state = "ended"
		case in.InboxDepth > 0 || out.InboxDepth > 0:
			state = "mid-conversation (events queued)"
		case in.State == kilntype.TaskHibernated && out.State == kilntype.TaskHibernated:
			state = "hibernated"
		case in.State != kilntype.TaskHibernated && out.State != kilntype.TaskHibernated:
			state = "resident, nothing queued"
		default:
			state = "one resident, one hibernated"
		}
		g := groups[in.ID]
		if g == "" {
			g = "control"
		}
		if pairs[g] == nil {
			pairs[g] = map[string]int{}
		}
		pairs[g][state]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d tasks %v; calls by group:", len(tasks), states)
	for _, g := range slices.Sorted(maps.Keys(pairs)) {
		fmt.Fprintf(&b, "\n    %s: %v", g, pairs[g])
	}
	return b.String()
}

// waitCrash polls cond until it holds, for at most a minute.
func waitCrash(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > time.Minute {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

// startCrashChild runs the test binary's helper test as a server child
// process and waits until it is ready.
func startCrashChild(t *testing.T, helper, addr string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the server did not get ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parallel runs f(0..n-1) on 16 goroutines and waits for them.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(n, 16) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// crashAPI is a client of the server that survives its death: errors are
// returned, never fatal, so goroutines may use it.
type crashAPI struct {
	base   string
	client *http.Client
}

func (a *crashAPI) call(method, path, key string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, b, err)
		}
	}
	return resp.StatusCode, nil
}

func (a *crashAPI) get(key, path string, out any) error {
	_, err := a.call("GET", path, key, nil, out)
	return err
}

// start starts an ingress task and returns its ID.
func (a *crashAPI) start(t *testing.T, key, to string) string {
	var task kilntype.Task
	if _, err := a.call("POST", "/api/tasks", key, map[string]any{"script": "ingress", "params": map[string]string{"to": to}}, &task); err != nil {
		t.Error(err)
	}
	return task.ID
}

// sendDigit sends digit d to c as a new attempt, and reports whether the
// server acknowledged it. A send that got no answer (the server died) may
// or may not be stored; any answer but 202 fails the test.
func (a *crashAPI) sendDigit(t *testing.T, key string, c *crashCall, d int) bool {
	at := crashAttempt{D: d, K: len(c.attempts)}
	c.attempts = append(c.attempts, at)
	status, err := a.call("POST", "/api/tasks/"+c.ingress+"/events", key, map[string]any{"type": "digit", "payload": at}, nil)
	if status != 0 && status != http.StatusAccepted {
		t.Errorf("send digit %d to %s: %v", d, c.ingress, err)
	}
	c.attempts[at.K].acked = err == nil && status == http.StatusAccepted
	return c.attempts[at.K].acked
}

func (a *crashAPI) mustSend(t *testing.T, key, task, typ string, payload any) {
	if status, err := a.call("POST", "/api/tasks/"+task+"/events", key, map[string]any{"type": typ, "payload": payload}, nil); status != http.StatusAccepted {
		t.Errorf("send %s to %s: %d %v", typ, task, status, err)
	}
}

// list returns every task of the key's tenant that the query selects.
func (a *crashAPI) list(t *testing.T, key, query string) []kilntype.Task {
	t.Helper()
	var all []kilntype.Task
	for cursor := ""; ; {
		var page struct {
			Tasks      []kilntype.Task
			NextCursor string
		}
		if err := a.get(key, "/api/tasks?limit=200&"+query+"&cursor="+cursor, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Tasks...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// journal reads a task's journal page by page and checks that its
// indexes run from 0 to n-1.
func (a *crashAPI) journal(key, task string, n int64) ([]kilntype.JournalEntry, error) {
	var all []kilntype.JournalEntry
	for from := int64(0); ; {
		var page struct {
			Entries []kilntype.JournalEntry
			Next    *int64
		}
		if err := a.get(key, fmt.Sprintf("/api/tasks/%s/journal?from=%d&limit=10", task, from), &page); err != nil {
			return nil, err
		}
		for _, e := range page.Entries {
			if e.Index != int64(len(all)) {
				return nil, fmt.Errorf("journal entry %d at position %d", e.Index, len(all))
			}
			all = append(all, e)
		}
		if page.Next == nil {
			break
		}
		from = *page.Next
	}
	if int64(len(all)) != n {
		return nil, fmt.Errorf("the journal has %d entries, the task says %d: %s", len(all), n, strings.Join(shapeOf(all), " "))
	}
	return all, nil
}
