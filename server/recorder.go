package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/store"
)

// recorder batches execution writes: records queue up and one transaction
// writes them all, so recording is not the bottleneck of a busy server.
// Callers that must not answer before their record is durable wait for the
// batch holding it (group commit).
type recorder struct {
	store    store.Store
	log      *slog.Logger
	interval time.Duration
	maxBatch int

	mu      sync.Mutex
	pending []kiln.Execution
	waiters []chan error
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

func newRecorder(s store.Store, log *slog.Logger) *recorder {
	r := &recorder{store: s, log: log, interval: 5 * time.Millisecond, maxBatch: 500,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// record queues e and returns a channel that receives the batch's result.
func (r *recorder) record(e kiln.Execution) <-chan error {
	ch := make(chan error, 1)
	r.mu.Lock()
	r.pending = append(r.pending, e)
	r.waiters = append(r.waiters, ch)
	full := len(r.pending) >= r.maxBatch
	r.mu.Unlock()
	if full {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return ch
}

func (r *recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			r.flush()
			return
		case <-t.C:
		case <-r.wake:
		}
		r.flush()
	}
}

func (r *recorder) flush() {
	r.mu.Lock()
	batch, waiters := r.pending, r.waiters
	r.pending, r.waiters = nil, nil
	r.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := r.store.ExecutionWrite(ctx, latestOnly(batch))
	cancel()
	if err != nil {
		r.log.Error("writing execution records failed", "count", len(batch), "err", err)
	}
	for _, w := range waiters {
		w <- err
	}
}

// latestOnly keeps the last record of each execution in batch, in order: a
// fast execution's pending and final records usually share a batch, and
// only the final one needs writing.
func latestOnly(batch []kiln.Execution) []kiln.Execution {
	last := make(map[string]int, len(batch))
	for i := range batch {
		last[batch[i].ID] = i
	}
	if len(last) == len(batch) {
		return batch
	}
	out := make([]kiln.Execution, 0, len(last))
	for i := range batch {
		if last[batch[i].ID] == i {
			out = append(out, batch[i])
		}
	}
	return out
}

// close writes what is queued and stops.
func (r *recorder) close() {
	close(r.stop)
	<-r.done
}
