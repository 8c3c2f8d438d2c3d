package kiln

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/kiln-run/kiln/kilntype"
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
// at a flush defaultPendingAfter after it was created: writing a pending record
// only for the final one to replace it soon after was a third of a busy
// server's recording work, and a pending record makes the final one a row
// rather than an append. (Counting flushes instead did not work: under
// load, flushes for waiting callers come every millisecond or two, while
// a run may wait longer than that for a pool slot.)
//
// How a record is written — the contract, in one place (writtenOnce and
// TestWrittenOnce pin it):
//
//   - A final record that is written once — no pending record of its run
//     was queued, and no later run will write its ID again — is appended
//     (store.ExecutionAppend: many records to a row, a fifth of a row's
//     cost). That is a run under a fresh ID (every trigger but an event
//     delivery), or an event attempt's first run that completed: a
//     redelivery of it finds the record and does not run again.
//   - Every other record is written as a row (store.ExecutionWrite), which
//     replaces the row with its ID: a pending record, the final record
//     that follows a queued pending one, an event attempt that failed or
//     may have run before (its redelivery writes the same ID again).
//   - A row supersedes an appended record with the same ID, in gets and in
//     lists (the store's rule, pinned by storetest).
//   - A pending record is queued only for a run still going
//     defaultPendingAfter after it began, or at once for an accepted async
//     run (persistPending), which waits until it is durable.
type recorder struct {
	store    store.Store
	log      *slog.Logger
	interval time.Duration
	maxBatch int
	// pendingAfter is how long a run goes before a flush writes its
	// pending record (defaultPendingAfter; tests shorten it).
	pendingAfter time.Duration
	// now is the clock flushes measure pendingAfter by (time.Now; tests
	// set their own).
	now func() time.Time

	mu sync.Mutex
	// rows are written with ExecutionWrite, appends with
	// ExecutionAppend; each has its waiters.
	rows, appends             []kilntype.Execution
	rowWaiters, appendWaiters []chan error
	// running holds the runs begun and not yet ended; true once their
	// pending record is queued.
	running map[*kilntype.Execution]bool
	// the last flushed batches' arrays, reused
	spareRows, spareAppends []kilntype.Execution
	wake                    chan struct{}
	stop                    chan struct{}
	done                    chan struct{}
}

// defaultPendingAfter is how long a run goes before a flush writes its
// pending record: a run that long shows as running in the API; a shorter
// one shows once it ends.
const defaultPendingAfter = time.Second

// recordInterval is how often the recorder writes what has queued.
const recordInterval = 5 * time.Millisecond

// newRecorder starts a recorder that writes every interval (and when a
// batch fills).
func newRecorder(s store.Store, log *slog.Logger, interval time.Duration) *recorder {
	r := &recorder{store: s, log: log, interval: interval, maxBatch: 500, pendingAfter: defaultPendingAfter, now: time.Now,
		running: map[*kilntype.Execution]bool{},
		wake:    make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// begin registers a started run. Until end, exec's ID, TenantID, ScriptID,
// Version, Trigger, Attempt, Input and CreatedAt must not change: a flush
// reads them to write the pending record.
func (r *recorder) begin(exec *kilntype.Execution) {
	r.mu.Lock()
	r.running[exec] = false
	r.mu.Unlock()
}

// end unregisters a run begun with begin; its final record follows. It
// reports whether the run's pending record was queued (and so its final
// record must replace it).
func (r *recorder) end(exec *kilntype.Execution) (queued bool) {
	r.mu.Lock()
	queued = r.running[exec]
	delete(r.running, exec)
	r.mu.Unlock()
	return queued
}

// persistPending queues the pending record of a run begun with begin now,
// rather than once it has run pendingAfter, and returns a channel that
// receives the result of the batch holding it: for a run answered as
// accepted before it ends.
func (r *recorder) persistPending(exec *kilntype.Execution) <-chan error {
	ch := make(chan error, 1)
	r.mu.Lock()
	r.running[exec] = true
	r.rows = append(r.rows, pendingRecord(exec))
	r.rowWaiters = append(r.rowWaiters, ch)
	r.mu.Unlock()
	return ch
}

// pendingRecord is the record of a run that has not ended.
func pendingRecord(exec *kilntype.Execution) kilntype.Execution {
	return kilntype.Execution{ID: exec.ID, TenantID: exec.TenantID, ScriptID: exec.ScriptID, Version: exec.Version,
		Trigger: exec.Trigger, Attempt: exec.Attempt, Status: kilntype.ExecPending, Input: exec.Input, CreatedAt: exec.CreatedAt}
}

// record queues a copy of e, to be appended if once (e is final, and no
// record with its ID was or will be written), else written as a row. With
// wait it returns a channel that receives the result of the batch holding
// e; without, nil.
func (r *recorder) record(e *kilntype.Execution, wait, once bool) <-chan error {
	var ch chan error
	if wait {
		ch = make(chan error, 1)
	}
	r.mu.Lock()
	if once {
		r.appends = append(r.appends, *e)
		if wait {
			r.appendWaiters = append(r.appendWaiters, ch)
		}
	} else {
		r.rows = append(r.rows, *e)
		if wait {
			r.rowWaiters = append(r.rowWaiters, ch)
		}
	}
	full := len(r.rows)+len(r.appends) >= r.maxBatch ||
		wait && len(r.rowWaiters)+len(r.appendWaiters) >= flushWaiters
	r.mu.Unlock()
	if full {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return ch
}

// flushWaiters is how many waiting callers start a flush before the
// interval is up. Event deliveries wait for their record while holding a
// queue worker; at a fixed 5 ms interval, group commit latency capped a
// busy server's events per second at its workers divided by ~10 ms.
const flushWaiters = 128

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
			waiting := len(r.rowWaiters)+len(r.appendWaiters) > 0
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
	now := r.now()
	for exec, queued := range r.running {
		if !queued && now.Sub(exec.CreatedAt) >= r.pendingAfter {
			r.running[exec] = true
			r.rows = append(r.rows, pendingRecord(exec))
		}
	}
	rows, rowWaiters, appends, appendWaiters := r.rows, r.rowWaiters, r.appends, r.appendWaiters
	r.rows, r.rowWaiters, r.appends, r.appendWaiters = r.spareRows[:0], nil, r.spareAppends[:0], nil
	r.spareRows, r.spareAppends = nil, nil
	r.mu.Unlock()
	r.write(appends, appendWaiters, r.store.ExecutionAppend)
	r.write(rows, rowWaiters, r.store.ExecutionWrite)
	r.giveBack(rows, appends)
}

// write stores batch with fn and tells the waiters how it went.
func (r *recorder) write(batch []kilntype.Execution, waiters []chan error, fn func(context.Context, []kilntype.Execution) error) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := fn(ctx, batch)
	cancel()
	if err != nil {
		r.log.Error("writing execution records failed", "count", len(batch), "err", err)
	}
	for _, w := range waiters {
		w <- err
	}
}

// giveBack keeps the flushed batches' arrays for the next batches,
// cleared so that they hold on to no record's input or output.
func (r *recorder) giveBack(rows, appends []kilntype.Execution) {
	keep := func(b []kilntype.Execution) []kilntype.Execution {
		if cap(b) > 4*r.maxBatch {
			return nil
		}
		clear(b)
		return b[:0]
	}
	rows, appends = keep(rows), keep(appends)
	r.mu.Lock()
	r.spareRows, r.spareAppends = rows, appends
	r.mu.Unlock()
}

// close writes what is queued and stops.
func (r *recorder) close() {
	close(r.stop)
	<-r.done
}

// writtenOnce reports whether a run's final record can be appended: no
// pending record of it was queued, and no later run writes its ID — a
// fresh ID, or an event attempt's first run that completed.
func writtenOnce(pendingQueued bool, req runRequest, status kilntype.ExecutionStatus) bool {
	return !pendingQueued && (req.ExecutionID == "" || req.FirstRun && status == kilntype.ExecCompleted)
}
