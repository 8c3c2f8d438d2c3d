package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// Batch messages: their encoding, and how publishing forms them and
// workers settle them.

func testEvents(n int, tenant string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		e := Event{ID: fmt.Sprintf("e%d", i), Tenant: tenant, Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i)),
			PublishedAt: time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC)}
		out[i] = appendEvent(nil, &e)
	}
	return out
}

func TestBatchEncoding(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, maxBatchEvents} {
		raws := testEvents(n, "acme")
		data := appendBatch(nil, raws)
		size := 0
		for _, r := range raws {
			size += len(r)
		}
		if len(data) > batchSize(n, size) {
			t.Errorf("%d events: %d bytes, batchSize says at most %d", n, len(data), batchSize(n, size))
		}
		got, err := decodeBatch(data, "acme")
		if err != nil {
			t.Fatalf("%d events: %v", n, err)
		}
		if len(got) != n {
			t.Fatalf("%d events decoded, want %d", len(got), n)
		}
		for i, e := range got {
			if e.event.ID != fmt.Sprintf("e%d", i) || string(e.event.Payload) != strconv.Itoa(i) || string(e.raw) != string(raws[i]) ||
				e.event.PublishedAt.Nanosecond() != i {
				t.Errorf("event %d: %+v", i, e.event)
			}
		}
	}

	good := testEvents(2, "acme")
	withCount := func(count uint64, rest ...byte) []byte {
		return append(binary.AppendUvarint([]byte{batchVersion}, count), rest...)
	}
	other := Event{ID: "x", Tenant: "other", Type: "a.b", Payload: json.RawMessage("1")}
	noID := Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage("1")}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown version", append([]byte{2}, appendBatch(nil, good)[1:]...), "unknown version 2"},
		{"no count", []byte{batchVersion}, "count"},
		{"zero events", withCount(0), "count"},
		{"count past the data", withCount(5, 1, '1'), "count"},
		{"count too large", withCount(maxBatchDecode + 1), "count"},
		{"length past the end", withCount(1, 200, 1, '{'), "bad length"},
		{"bad length varint", withCount(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "bad length"},
		{"fewer events than counted", appendBatch(nil, good)[:len(appendBatch(nil, good[:1]))], "event 1"},
		{"bytes after the last event", append(appendBatch(nil, good), 'x'), "after the last event"},
		{"not an event", appendBatch(nil, [][]byte{good[0], []byte(`[1,2]`)}), "event 1"},
		{"event of another tenant", appendBatch(nil, [][]byte{good[0], appendEvent(nil, &other)}), `tenant "other"`},
		{"event without an id", appendBatch(nil, [][]byte{appendEvent(nil, &noID)}), "no id"},
	} {
		_, err := decodeBatch(tc.data, "acme")
		if !errors.Is(err, errBadBatch) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one about %q", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeBatch: decodeBatch never panics, and what it accepts encodes
// again to a batch that decodes to the same events.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(appendBatch(nil, testEvents(1, "acme")))
	f.Add(appendBatch(nil, testEvents(3, "acme")))
	f.Add(appendBatch(nil, [][]byte{[]byte(`{"id":"a\"b","tenant":"acme","type":"x","payload":{"k":[1]},"publishedAt":"2026-01-02T03:04:05+01:00"}`)}))
	f.Add([]byte{batchVersion, 1, 2, '{', '}'})
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := decodeBatch(data, "acme")
		if err != nil {
			return
		}
		raws := make([][]byte, len(events))
		for i, e := range events {
			raws[i] = appendEvent(nil, &e.event)
		}
		again, err := decodeBatch(appendBatch(nil, raws), "acme")
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		for i, e := range again {
			w := events[i].event
			if e.event.ID != w.ID || e.event.Tenant != w.Tenant || e.event.Type != w.Type || !e.event.PublishedAt.Equal(w.PublishedAt) {
				t.Fatalf("event %d: %+v, want %+v", i, e.event, w)
			}
		}
	})
}

// publishConcurrently publishes n events of tenant from n goroutines that
// start together, so that most of them share batch messages. It returns
// each call's id and error.
func publishConcurrently(q *Queue, tenant string, n int, event func(i int) Event) ([]string, []error) {
	ids, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			e := event(i)
			e.Tenant = tenant
			ids[i], errs[i] = q.Publish(context.Background(), e)
		}()
	}
	close(gate)
	wg.Wait()
	return ids, errs
}

func TestPublishFormsBatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		const n = 200
		ids, errs := publishConcurrently(q, "acme", n, func(i int) Event {
			return Event{Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
		})
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil || ids[i] == "" || seen[ids[i]] {
				t.Fatalf("publish %d: %q, %v", i, ids[i], errs[i])
			}
			seen[ids[i]] = true
		}
		s := q.Stats()
		msgs := streamMessages(t, q.stream)
		t.Logf("%d events in %d messages, %d of them batches", n, msgs, s.Batches)
		if s.Published != n || s.Batches == 0 || msgs >= n {
			t.Fatalf("stats %+v, %d messages: no batch formed", s, msgs)
		}

		// Every event runs once, in place, with its own delivery id.
		rec := newRecorder()
		start(t, q, targets("s"), rec)
		rec.waitFor(t, "every event", 10*time.Second, func() bool { return len(rec.runs) >= n })
		waitEmpty(t, q.stream)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		ran := map[string]int{}
		for _, r := range rec.runs {
			ran[r.d.Event.ID]++
			if r.d.ID != r.d.Event.ID+":s" || r.d.Attempt != 1 || r.d.MayHaveRun || r.d.Event.Tenant != "acme" {
				t.Errorf("delivery %+v", r.d)
			}
		}
		for id := range seen {
			if ran[id] != 1 {
				t.Errorf("event %s ran %d times", id, ran[id])
			}
		}
		if s := q.Stats(); s.BatchesRedelivered != 0 || s.Succeeded != n {
			t.Errorf("stats %+v", s)
		}
	})
}

func TestBatchPartlyFails(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b)) // Retry: 2 retries, 50 ms apart
		const n = 60
		ids, err := q.PublishBatch(context.Background(), func() []Event {
			events := make([]Event, n)
			for i := range events {
				events[i] = Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
			}
			return events
		}())
		if err != nil {
			t.Fatal(err)
		}
		if s := q.Stats(); s.Batches != 1 {
			t.Fatalf("stats %+v, want the events in one batch", s)
		}
		// Every 3rd event fails once, every 5th (not 3rd) always fails;
		// the handler also takes a while, so that events of the batch run
		// at the same time.
		rec := newRecorder()
		rec.fail = func(d Delivery) error {
			time.Sleep(5 * time.Millisecond)
			i, _ := strconv.Atoi(string(d.Event.Payload))
			switch {
			case i%3 == 0 && d.Attempt == 1:
				return fmt.Errorf("flaky %d", i)
			case i%3 != 0 && i%5 == 0:
				return fmt.Errorf("broken %d", i)
			}
			return nil
		}
		start(t, q, targets("s"), rec)
		flaky, broken := 0, 0
		for i := range n {
			switch {
			case i%3 == 0:
				flaky++
			case i%5 == 0:
				broken++
			}
		}
		rec.waitFor(t, "every delivery settled", 15*time.Second, func() bool {
			return len(rec.runs) == n+flaky+2*broken && len(rec.dead) == broken
		})
		waitEmpty(t, q.stream)
		time.Sleep(100 * time.Millisecond) // nothing more runs
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for i, id := range ids {
			runs := rec.runsOf(id + ":s")
			want := 1
			switch {
			case i%3 == 0:
				want = 2
			case i%5 == 0:
				want = 3
			}
			if len(runs) != want {
				t.Errorf("event %d ran %d times, want %d", i, len(runs), want)
				continue
			}
			for k, r := range runs {
				if r.d.Attempt != k+1 || r.d.MaxAttempts != 3 {
					t.Errorf("event %d run %d: attempt %d of %d", i, k, r.d.Attempt, r.d.MaxAttempts)
				}
			}
		}
		for _, d := range rec.dead {
			i, _ := strconv.Atoi(string(d.d.Event.Payload))
			if i%5 != 0 || i%3 == 0 || len(d.attempts) != 3 || d.d.Attempt != 3 {
				t.Errorf("dead letter of event %d with %d attempts (attempt %d)", i, len(d.attempts), d.d.Attempt)
			}
			for k, a := range d.attempts {
				if a.Attempt != k+1 || a.Message != fmt.Sprintf("broken %d", i) {
					t.Errorf("event %d attempt %+v", i, a)
				}
			}
		}
		if s := q.Stats(); s.Succeeded != uint64(n-broken) || s.Failed != uint64(flaky+3*broken) || s.DeadLettered != uint64(broken) {
			t.Errorf("stats %+v", s)
		}
	})
}

// TestRedeliveredBatchFansOut interrupts a batch mid-way (Stop's deadline
// cancels the one handler still running), and checks that, started again,
// every event of the redelivered batch goes out as a delivery message
// that may have run, and that an idempotent handler completes each
// delivery once.
func TestRedeliveredBatchFansOut(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		const n = 10
		events := make([]Event, n)
		for i := range events {
			events[i] = Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
		}
		if _, err := q.PublishBatch(context.Background(), events); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		completed := map[string]int{}
		var runs []Delivery
		blocking := true
		handler := func(ctx context.Context, d Delivery) error {
			mu.Lock()
			runs = append(runs, d)
			if d.MayHaveRun && completed[d.ID] > 0 {
				mu.Unlock()
				return nil // idempotent: already done
			}
			block := blocking && string(d.Event.Payload) == "3"
			mu.Unlock()
			if block {
				<-ctx.Done()
				return ctx.Err()
			}
			mu.Lock()
			completed[d.ID]++
			mu.Unlock()
			return nil
		}
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(completed)
		}
		sink := func(context.Context, Delivery, []AttemptError) error { return errors.New("no dead letters expected") }
		if err := q.Start(context.Background(), targets("s"), handler, sink); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the other events to complete", func() bool { return count() == n-1 })
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := q.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Stop = %v, want the deadline", err)
		}
		mu.Lock()
		blocking, runs = false, nil
		mu.Unlock()

		if err := q.Start(context.Background(), targets("s"), handler, sink); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "every event to complete", func() bool { return count() == n })
		waitEmpty(t, q.stream)
		if s := q.Stats(); s.BatchesRedelivered != 1 {
			t.Errorf("stats %+v, want one batch redelivered", s)
		}
		mu.Lock()
		defer mu.Unlock()
		for id, c := range completed {
			if c != 1 {
				t.Errorf("%s completed %d times", id, c)
			}
		}
		if len(runs) != n {
			t.Errorf("%d deliveries after the restart, want %d (every event fans out)", len(runs), n)
		}
		for _, d := range runs {
			if !d.MayHaveRun || d.Attempt != 1 || !strings.HasSuffix(d.ID, ":s") || d.ID != d.Event.ID+":s" {
				t.Errorf("redelivered %+v, want attempt 1 that may have run", d)
			}
		}
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCallerIDsDedupeAmongBatches: events with their own ID, published
// twice while batches form around them, are stored once.
func TestCallerIDsDedupeAmongBatches(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		const n = 120 // a third with an ID, each published twice
		ids, errs := publishConcurrently(q, "acme", n, func(i int) Event {
			e := Event{Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
			if i%3 != 2 {
				e.ID = fmt.Sprintf("order-%d", i/3)
			}
			return e
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
			if i%3 != 2 && ids[i] != fmt.Sprintf("order-%d", i/3) {
				t.Errorf("publish %d returned id %q", i, ids[i])
			}
		}
		if q.Stats().Batches == 0 {
			t.Fatal("no batch formed")
		}
		rec := newRecorder()
		start(t, q, targets("s"), rec)
		want := n/3 + n/3
		rec.waitFor(t, "every event", 10*time.Second, func() bool { return len(rec.runs) >= want })
		waitEmpty(t, q.stream)
		time.Sleep(100 * time.Millisecond)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		ran := map[string]int{}
		for _, r := range rec.runs {
			ran[r.d.Event.ID]++
		}
		if len(rec.runs) != want || len(ran) != want {
			t.Errorf("%d runs of %d events, want %d of each", len(rec.runs), len(ran), want)
		}
		for id, c := range ran {
			if c != 1 {
				t.Errorf("event %s ran %d times", id, c)
			}
		}
	})
}

// TestPublishErrorReachesEveryCaller makes the stream refuse messages
// larger than a few events, so that batch messages fail while single ones
// pass: every caller whose event was in a refused batch gets the error,
// and no caller that got an id lost its event.
func TestPublishErrorReachesEveryCaller(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		ctx := context.Background()
		cfg := q.stream.CachedInfo().Config
		cfg.MaxMsgSize = 400 // one event is about 150 bytes
		if _, err := q.js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		failed := 0
		for round := 0; round < 20 && failed == 0; round++ {
			ids, errs := publishConcurrently(q, "acme", 40, func(i int) Event {
				return Event{Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
			})
			for i, err := range errs {
				switch {
				case err == nil:
					stored[ids[i]] = true
				case kilntype.ErrorCode(err) != kilntype.EUnavailable || !strings.Contains(err.Error(), "maximum"):
					t.Errorf("publish error %v, want UNAVAILABLE with the server's reason", err)
				default:
					failed++
				}
			}
		}
		if failed < 3 {
			t.Fatalf("%d publishes failed, want at least a refused batch's three", failed)
		}
		// What succeeded is stored, and nothing else.
		rec := newRecorder()
		start(t, q, targets("s"), rec)
		rec.waitFor(t, "the stored events", 10*time.Second, func() bool { return len(rec.runs) >= len(stored) })
		waitEmpty(t, q.stream)
		time.Sleep(100 * time.Millisecond)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.runs) != len(stored) {
			t.Errorf("%d events ran, %d publishes succeeded", len(rec.runs), len(stored))
		}
		for _, r := range rec.runs {
			if !stored[r.d.Event.ID] {
				t.Errorf("event %s ran though its Publish failed", r.d.Event.ID)
			}
		}
		t.Logf("%d publishes failed, %d succeeded, %d batches stored", failed, len(stored), q.Stats().Batches)
	})
}

// TestLongBatchEventNotRedelivered: one slow event keeps its batch message
// alive with heartbeats while the batch's other events finish. AckWait is
// 1 s, so a heartbeat (every AckWait/3) may come up to 600 ms late on a
// loaded machine before the server redelivers.
func TestLongBatchEventNotRedelivered(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, backend{name: "embedded"})
	cfg.AckWait = time.Second
	q := openQueue(t, cfg)
	events := make([]Event, 5)
	for i := range events {
		events[i] = Event{Tenant: "acme", Type: "a.b", Payload: json.RawMessage(strconv.Itoa(i))}
	}
	if _, err := q.PublishBatch(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	rec.fail = func(d Delivery) error {
		if string(d.Event.Payload) == "0" {
			time.Sleep(4 * cfg.AckWait)
		}
		return nil
	}
	start(t, q, targets("s"), rec)
	rec.waitFor(t, "the runs", 10*time.Second, func() bool { return len(rec.runs) == len(events) })
	waitEmpty(t, q.stream)
	time.Sleep(cfg.AckWait + 500*time.Millisecond) // room for a wrong redelivery
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if s := q.Stats(); len(rec.runs) != len(events) || s.BatchesRedelivered != 0 {
		t.Errorf("%d runs of %d events, stats %+v: the batch was redelivered", len(rec.runs), len(events), s)
	}
}
