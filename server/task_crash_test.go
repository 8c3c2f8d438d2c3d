package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
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
