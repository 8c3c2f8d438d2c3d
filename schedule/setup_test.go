package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/natstest"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/kiln-run/kiln/queue"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func testLogger() *slog.Logger {
	if os.Getenv("KILN_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// event is one fire or skip a recorder saw.
type event struct {
	node        string
	job         string
	version     int
	scheduledAt time.Time
	at          time.Time // when the scheduler called
	skipped     bool
}

// recorder collects what schedulers fire and skip, and checks that no job
// runs twice at once.
type recorder struct {
	mu      sync.Mutex
	events  []event
	running map[string]int
	overlap []string
	sleep   map[string]time.Duration // how long fire takes, per job
}

func newRecorder() *recorder {
	return &recorder{running: map[string]int{}, sleep: map[string]time.Duration{}}
}

// fire returns node's FireFunc.
func (r *recorder) fire(node string) FireFunc {
	return func(ctx context.Context, job Job, scheduledAt time.Time) error {
		now := time.Now()
		r.mu.Lock()
		r.events = append(r.events, event{node: node, job: job.ID, version: job.Version, scheduledAt: scheduledAt, at: now})
		r.running[job.ID]++
		if r.running[job.ID] > 1 {
			r.overlap = append(r.overlap, fmt.Sprintf("%s at %s on %s", job.ID, scheduledAt.Format(time.RFC3339Nano), node))
		}
		d := r.sleep[job.ID]
		r.mu.Unlock()
		if d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		r.mu.Lock()
		r.running[job.ID]--
		r.mu.Unlock()
		return nil
	}
}

// skipped returns node's Config.Skipped.
func (r *recorder) skipped(node string) func(context.Context, Job, time.Time) {
	return func(_ context.Context, job Job, scheduledAt time.Time) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.events = append(r.events, event{node: node, job: job.ID, version: job.Version, scheduledAt: scheduledAt, at: time.Now(), skipped: true})
	}
}

// get returns the events of job (all jobs if ""), fired or skipped as
// asked, in scheduledAt order.
func (r *recorder) get(job string, skipped bool) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events {
		if (job == "" || e.job == job) && e.skipped == skipped {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b event) int { return a.scheduledAt.Compare(b.scheduledAt) })
	return out
}

func (r *recorder) overlaps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.overlap)
}

// times formats the events' scheduledAt as offsets from base.
func times(events []event, base time.Time) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.scheduledAt.Sub(base).String()
	}
	return out
}

// newScheduler returns a started scheduler that Stop ends with the test.
func newScheduler(t *testing.T, cfg Config, jobs []Job, fire FireFunc) *Scheduler {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Set(jobs); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := s.Start(context.Background(), fire); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func stop(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// natsBackend is a JetStream for KV lease tests.
type natsBackend struct {
	name string
	url  string
}

// eachNATS runs f as a parallel subtest on an embedded JetStream and on the
// external NATS. Without an external server that subtest skips, or fails
// when CI=true.
func eachNATS(t *testing.T, f func(t *testing.T, b natsBackend)) {
	t.Helper()
	for _, name := range []string{"embedded", "external"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := natsBackend{name: name}
			if name == "external" {
				b.url = natstest.External(t)
			} else {
				b.url = embeddedNATS(t)
			}
			f(t, b)
		})
	}
}

// embeddedNATS starts the queue's embedded JetStream, listening on a
// random local port, for the test's lifetime.
func embeddedNATS(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := queue.Open(ctx, queue.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Logger: testLogger()})
	if err != nil {
		t.Fatalf("queue.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("queue Close: %v", err)
		}
	})
	return q.ClientURL()
}

// connect returns a JetStream on its own connection to url, as a node has.
func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// uniqueBucket returns a bucket name no other test uses, and deletes its
// buckets when the test ends.
func uniqueBucket(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "KILN_CRON_TEST_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, bucket := range []string{name, name + "_CLAIMS"} {
			_ = js.DeleteKeyValue(ctx, bucket)
		}
	})
	return name
}

// kvLease opens a KVLease on bucket through its own connection to url.
func kvLease(t *testing.T, url, bucket string, cfg KVLeaseConfig) *KVLease {
	t.Helper()
	cfg.Bucket = bucket
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := NewKVLease(ctx, connect(t, url), cfg)
	if err != nil {
		t.Fatalf("NewKVLease: %v", err)
	}
	return l
}
