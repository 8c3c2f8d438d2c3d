package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/natstest"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"
)

// The queue tests' harness: backends, configs, a recording handler.

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(crashHelperMain())
	}
	goleak.VerifyTestMain(m)
}

// backend is where a test's queue runs: an embedded server, or the external
// NATS the machine runs (Debian's 2.9, or KILN_TEST_NATS).
type backend struct {
	name string
	url  string // "" = embedded
}

// eachBackend runs f as a parallel subtest per backend. Without an external
// server the external subtest skips, or fails when CI=true.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range []backend{{name: "embedded"}, {name: "external"}} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			if b.name == "external" {
				b.url = natstest.External(t)
			}
			f(t, b)
		})
	}
}

func uniquePrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "T" + hex.EncodeToString(b[:])
}

func testLogger() *slog.Logger {
	if os.Getenv("KILN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testConfig is a config with short timings for b.
func testConfig(t *testing.T, b backend) Config {
	cfg := Config{
		URL:          b.url,
		Prefix:       uniquePrefix(),
		Workers:      4,
		AckWait:      3 * time.Second,
		ScanInterval: 200 * time.Millisecond,
		Retry:        Retry{Retries: 2, Backoff: []time.Duration{50 * time.Millisecond}},
		Logger:       testLogger(),
	}
	if b.url == "" {
		cfg.DataDir = t.TempDir()
	}
	return cfg
}

// openQueue opens a queue and closes it (and, on an external server,
// deletes its streams) when the test ends.
func openQueue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if cfg.URL != "" {
			deleteStreams(t, cfg.URL, cfg.Prefix)
		}
	})
	return q
}

func deleteStreams(t testing.TB, url, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := DeleteStreams(ctx, url, prefix); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// recorder is a Handler and DeadLetterSink that remembers what it saw.
type recorder struct {
	mu       sync.Mutex
	runs     []run
	dead     []deadLetter
	fail     func(d Delivery) error // nil = always succeed
	changed  chan struct{}
	sinkFail func(n int) error
}

type run struct {
	d  Delivery
	at time.Time
}

type deadLetter struct {
	d        Delivery
	attempts []AttemptError
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) handle(_ context.Context, d Delivery) error {
	var err error
	if r.fail != nil {
		err = r.fail(d)
	}
	r.mu.Lock()
	r.runs = append(r.runs, run{d: d, at: time.Now()})
	r.mu.Unlock()
	r.notify()
	return err
}

func (r *recorder) sink(_ context.Context, d Delivery, attempts []AttemptError) error {
	r.mu.Lock()
	defer r.notify()
	defer r.mu.Unlock()
	if r.sinkFail != nil {
		if err := r.sinkFail(len(r.dead)); err != nil {
			r.dead = append(r.dead, deadLetter{}) // counts the call
			return err
		}
	}
	r.dead = append(r.dead, deadLetter{d: d, attempts: attempts})
	return nil
}

func (r *recorder) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitFor polls cond (under the recorder's lock) until it holds.
func (r *recorder) waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
	}
}

func (r *recorder) runsOf(id string) []run {
	var out []run
	for _, x := range r.runs {
		if x.d.ID == id {
			out = append(out, x)
		}
	}
	return out
}

// targets routes every event to the given script ids.
func targets(ids ...string) Router {
	return RouterFunc(func(context.Context, Event) ([]Target, error) {
		out := make([]Target, len(ids))
		for i, id := range ids {
			out[i] = Target{ID: id}
		}
		return out, nil
	})
}

func start(t *testing.T, q *Queue, router Router, rec *recorder) {
	t.Helper()
	if err := q.Start(context.Background(), router, rec.handle, rec.sink); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func publish(t *testing.T, q *Queue, tenant, typ string, payload any) string {
	t.Helper()
	data, _ := json.Marshal(payload)
	id, err := q.Publish(context.Background(), Event{Tenant: tenant, Type: typ, Payload: data})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	return id
}

// streamMessages counts the messages left in a stream.
func streamMessages(t *testing.T, s jetstream.Stream) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.Msgs
}

func waitEmpty(t *testing.T, s jetstream.Stream) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for streamMessages(t, s) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stream %s still holds %d messages", s.CachedInfo().Config.Name, streamMessages(t, s))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
