package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Retries, dead letters, stopping and redelivery.

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		rec := newRecorder()
		rec.fail = func(d Delivery) error {
			if d.Attempt < 3 {
				return fmt.Errorf("flaky %d", d.Attempt)
			}
			return nil
		}
		backoff := []time.Duration{150 * time.Millisecond, 300 * time.Millisecond}
		router := RouterFunc(func(context.Context, Event) ([]Target, error) {
			return []Target{{ID: "s", Retry: Retry{Retries: 5, Backoff: backoff}}}, nil
		})
		start(t, q, router, rec)
		id := publish(t, q, "acme", "thing.happened", nil) + ":s"
		rec.waitFor(t, "the third attempt", 10*time.Second, func() bool { return len(rec.runsOf(id)) >= 3 })
		time.Sleep(200 * time.Millisecond)

		rec.mu.Lock()
		runs := rec.runsOf(id)
		rec.mu.Unlock()
		if len(runs) != 3 {
			t.Fatalf("%d runs, want 3", len(runs))
		}
		for i, r := range runs {
			if r.d.Attempt != i+1 || r.d.MaxAttempts != 6 {
				t.Errorf("run %d: attempt %d of %d", i, r.d.Attempt, r.d.MaxAttempts)
			}
		}
		for i, want := range backoff {
			if gap := runs[i+1].at.Sub(runs[i].at); gap < want {
				t.Errorf("retry %d came after %s, before its backoff %s", i+1, gap, want)
			}
		}
		waitEmpty(t, q.stream)
		if _, err := q.attempts.Get(context.Background(), attemptKey(tenantKey("acme", id))); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("attempt history kept after success: %v", err)
		}
		if s := q.Stats(); s.Failed != 2 || s.Succeeded != 1 || s.DeadLettered != 0 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b)) // 2 retries, 50ms apart
		rec := newRecorder()
		replaying := false
		rec.fail = func(d Delivery) error {
			if replaying {
				return nil
			}
			return fmt.Errorf("boom %d", d.Attempt)
		}
		start(t, q, targets("s"), rec)
		id := publish(t, q, "acme", "thing.happened", nil) + ":s"
		rec.waitFor(t, "the dead letter", 10*time.Second, func() bool { return len(rec.dead) >= 1 })
		time.Sleep(300 * time.Millisecond) // room for a wrong extra attempt or sink call

		rec.mu.Lock()
		runs, dead := rec.runsOf(id), rec.dead
		if len(runs) != 3 {
			t.Errorf("%d attempts, want 1+2 retries", len(runs))
		}
		if len(dead) != 1 {
			t.Fatalf("sink called %d times, want once", len(dead))
		}
		dl := dead[0]
		if dl.d.ID != id || dl.d.Attempt != 3 || len(dl.attempts) != 3 {
			t.Fatalf("dead letter %+v with %d attempts", dl.d, len(dl.attempts))
		}
		for i, a := range dl.attempts {
			if a.Attempt != i+1 || a.Message != fmt.Sprintf("boom %d", i+1) || a.At.IsZero() {
				t.Errorf("attempt %d recorded as %+v", i+1, a)
			}
		}
		replaying = true
		rec.mu.Unlock()
		waitEmpty(t, q.stream)
		if _, err := q.attempts.Get(context.Background(), attemptKey(tenantKey("acme", id))); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("attempt history kept after dead-lettering: %v", err)
		}

		newID, err := q.Replay(context.Background(), dl.d)
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if !strings.HasPrefix(newID, id+":r") {
			t.Errorf("replayed id %q does not extend %q", newID, id)
		}
		rec.waitFor(t, "the replayed run", 10*time.Second, func() bool { return len(rec.runsOf(newID)) == 1 })
		rec.mu.Lock()
		if r := rec.runsOf(newID)[0]; r.d.Attempt != 1 || r.d.Target != "s" || r.d.Event.ID != dl.d.Event.ID {
			t.Errorf("replayed delivery %+v", r.d)
		}
		rec.mu.Unlock()
		waitEmpty(t, q.stream)
		if s := q.Stats(); s.DeadLettered != 1 || s.Replayed != 1 || s.Succeeded != 1 || s.Failed != 3 {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestGiveUpAndSinkFailure(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		rec := newRecorder()
		rec.fail = func(Delivery) error { return GiveUp(errors.New("bad input")) }
		// The sink fails once: it is called again, the handler is not.
		rec.sinkFail = func(n int) error {
			if n == 0 {
				return errors.New("sink down")
			}
			return nil
		}
		start(t, q, targets("s"), rec)
		id := publish(t, q, "acme", "thing.happened", nil) + ":s"
		rec.waitFor(t, "the second sink call", 10*time.Second, func() bool { return len(rec.dead) >= 2 })
		time.Sleep(300 * time.Millisecond)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if n := len(rec.runsOf(id)); n != 1 {
			t.Errorf("handler ran %d times, want once (GiveUp skips the retries)", n)
		}
		if len(rec.dead) != 2 || len(rec.dead[1].attempts) != 1 || rec.dead[1].attempts[0].Message != "give up: bad input" {
			t.Errorf("sink calls %+v", rec.dead)
		}
	})
}

func TestRouterErrorRedispatches(t *testing.T) {
	t.Parallel()
	q := openQueue(t, testConfig(t, backend{name: "embedded"}))
	rec := newRecorder()
	var mu sync.Mutex
	calls := 0
	router := RouterFunc(func(context.Context, Event) ([]Target, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return nil, errors.New("scripts unavailable")
		}
		return []Target{{ID: "s"}}, nil
	})
	start(t, q, router, rec)
	publish(t, q, "acme", "thing.happened", nil)
	rec.waitFor(t, "the delivery after a routing error", 10*time.Second, func() bool { return len(rec.runs) == 1 })
}

func TestStopDrains(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		started := make(chan struct{}, 1)
		var ctxErr error
		handler := func(ctx context.Context, d Delivery) error {
			started <- struct{}{}
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			}
			ctxErr = ctx.Err()
			return nil
		}
		rec := newRecorder()
		if err := q.Start(context.Background(), targets("s"), handler, rec.sink); err != nil {
			t.Fatal(err)
		}
		publish(t, q, "acme", "thing.happened", nil)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		begin := time.Now()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if ctxErr != nil || time.Since(begin) > 2*time.Second {
			t.Errorf("handler saw %v; Stop took %s", ctxErr, time.Since(begin))
		}
		waitEmpty(t, q.stream)
		if q.Stats().Succeeded != 1 {
			t.Errorf("stats %+v", q.Stats())
		}
	})
}

func TestStopDeadlineCancelsAndRedelivers(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		started := make(chan struct{}, 1)
		handler := func(ctx context.Context, d Delivery) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}
		rec := newRecorder()
		if err := q.Start(context.Background(), targets("s"), handler, rec.sink); err != nil {
			t.Fatal(err)
		}
		publish(t, q, "acme", "thing.happened", nil)
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := q.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want the deadline", err)
		}
		// Started again, the interrupted delivery runs as attempt 1: an
		// interruption is not a failed attempt.
		start(t, q, targets("s"), rec)
		rec.waitFor(t, "the redelivery", 10*time.Second, func() bool { return len(rec.runs) == 1 })
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if a := rec.runs[0].d.Attempt; a != 1 {
			t.Errorf("attempt %d after an interruption, want 1", a)
		}
	})
}

// TestLongHandlerNotRedelivered: a handler running 4x AckWait is kept alive
// by heartbeats (every AckWait/3). AckWait is 1 s, so a heartbeat may come
// up to 600 ms late on a loaded machine before the server redelivers.
func TestLongHandlerNotRedelivered(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, backend{name: "embedded"})
	cfg.AckWait = time.Second
	q := openQueue(t, cfg)
	rec := newRecorder()
	rec.fail = func(Delivery) error { time.Sleep(4 * cfg.AckWait); return nil }
	start(t, q, targets("s"), rec)
	publish(t, q, "acme", "thing.happened", nil)
	rec.waitFor(t, "the run", 10*time.Second, func() bool { return len(rec.runs) == 1 })
	time.Sleep(cfg.AckWait + 500*time.Millisecond) // room for a wrong redelivery
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.runs) != 1 {
		t.Errorf("a handler running 4x AckWait ran %d times", len(rec.runs))
	}
}

// TestRestartMarksEarlierMessages: on the embedded server, events stored
// before the process opened the queue reach the handler as deliveries that
// may have run — a killed process can lose the server's latest consumer
// state, so a handled event can come back as a first delivery — and events
// published afterwards do not.
func TestRestartMarksEarlierMessages(t *testing.T) {
	cfg := testConfig(t, backend{name: "embedded"})
	before := openQueue(t, cfg) // never started: nothing consumes
	early := publish(t, before, "acme", "order.created", 1)
	if err := before.Close(); err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, cfg)
	rec := newRecorder()
	start(t, q, targets("s1"), rec)
	late := publish(t, q, "acme", "order.created", 2)
	rec.waitFor(t, "both events", 10*time.Second, func() bool {
		return len(rec.runsOf(early+":s1")) > 0 && len(rec.runsOf(late+":s1")) > 0
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if d := rec.runsOf(early + ":s1")[0].d; !d.MayHaveRun {
		t.Errorf("event stored before the restart: MayHaveRun false, want true")
	}
	if d := rec.runsOf(late + ":s1")[0].d; d.MayHaveRun {
		t.Errorf("event published after the restart: MayHaveRun true, want false")
	}
}
