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
// batch holding it (group commit), which is written within one interval;
// records no one waits for are written every lazyTicks intervals.
//
// A run is registered when it starts (begin) and recorded when it ends
// (record). Its pending record is written only if the run is still going
// at a flush: most runs end before the next flush, and writing their
// pending record only for the final one to replace it in the same batch
// was a third of a busy server's recording work.
type recorder struct {
	store    store.Store
	log      *slog.Logger
	interval time.Duration
	maxBatch int

	mu      sync.Mutex
	pending []kiln.Execution
	waiters []chan error
	// running holds the runs begun and not yet ended; true once their
	// pending record is queued.
	running map[*kiln.Execution]bool
	spare   []kiln.Execution // the last flushed batch's array, reused
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
}

// recordInterval is how often the recorder writes what has queued.
const recordInterval = 5 * time.Millisecond

// newRecorder starts a recorder that writes every interval (and when a
// batch fills).
func newRecorder(s store.Store, log *slog.Logger, interval time.Duration) *recorder {
	r := &recorder{store: s, log: log, interval: interval, maxBatch: 500,
		running: map[*kiln.Execution]bool{},
		wake:    make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// begin registers a started run. Until end, exec's ID, TenantID, ScriptID,
// Version, Trigger, Attempt, Input and CreatedAt must not change: a flush
// reads them to write the pending record.
func (r *recorder) begin(exec *kiln.Execution) {
	r.mu.Lock()
	r.running[exec] = false
	r.mu.Unlock()
}

// end unregisters a run begun with begin; its final record follows.
func (r *recorder) end(exec *kiln.Execution) {
	r.mu.Lock()
	delete(r.running, exec)
	r.mu.Unlock()
}

// record queues a copy of e. With wait it returns a channel that receives
// the result of the batch holding e; without, nil.
func (r *recorder) record(e *kiln.Execution, wait bool) <-chan error {
	var ch chan error
	if wait {
		ch = make(chan error, 1)
	}
	r.mu.Lock()
	r.pending = append(r.pending, *e)
	if wait {
		r.waiters = append(r.waiters, ch)
	}
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

// lazyTicks is how many intervals records no one waits for may queue
// before a flush writes them: bigger batches cost less per record
// (BenchmarkExecutionWrite: about 10 % less at 256 records than at 64).
const lazyTicks = 4

func (r *recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	ticks := 0
	for {
		select {
		case <-r.stop:
			r.flush()
			return
		case <-t.C:
			ticks++
			r.mu.Lock()
			waiting := len(r.waiters) > 0
			r.mu.Unlock()
			if !waiting && ticks < lazyTicks {
				continue
			}
		case <-r.wake:
		}
		ticks = 0
		r.flush()
	}
}

func (r *recorder) flush() {
	r.mu.Lock()
	for exec, queued := range r.running {
		if !queued {
			r.running[exec] = true
			r.pending = append(r.pending, kiln.Execution{ID: exec.ID, TenantID: exec.TenantID, ScriptID: exec.ScriptID,
				Version: exec.Version, Trigger: exec.Trigger, Attempt: exec.Attempt, Status: kiln.ExecPending,
				Input: exec.Input, CreatedAt: exec.CreatedAt})
		}
	}
	batch, waiters := r.pending, r.waiters
	r.pending, r.waiters = r.spare[:0], nil
	r.spare = nil
	r.mu.Unlock()
	if len(batch) == 0 {
		r.giveBack(batch)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := r.store.ExecutionWrite(ctx, batch)
	cancel()
	if err != nil {
		r.log.Error("writing execution records failed", "count", len(batch), "err", err)
	}
	for _, w := range waiters {
		w <- err
	}
	r.giveBack(batch)
}

// giveBack keeps a flushed batch's array for the next batch, cleared so
// that it holds on to no record's input or output.
func (r *recorder) giveBack(batch []kiln.Execution) {
	if cap(batch) > 4*r.maxBatch {
		return
	}
	clear(batch)
	r.mu.Lock()
	r.spare = batch[:0]
	r.mu.Unlock()
}

// close writes what is queued and stops.
func (r *recorder) close() {
	close(r.stop)
	<-r.done
}
