package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// consumer is what Start sets going and Stop ends: the fetcher, the workers,
// the heartbeat and the tenant scan.
type consumer struct {
	q       *Queue
	router  Router
	handler Handler
	busy    atomic.Int64 // handlers running now
	sink    DeadLetterSink
	sched   *dispatcher

	ctx    context.Context // handlers' context: ends when Stop gives up waiting
	cancel context.CancelFunc
	stop   chan struct{} // closed by Stop: take no new work
	settle chan fanOut   // events waiting for their deliveries' publish acks

	workers    sync.WaitGroup
	background sync.WaitGroup // fetcher, scan
	settler    sync.WaitGroup
	heartbeats sync.WaitGroup
	beatStop   chan struct{}
}

// Start begins routing events and running deliveries until Stop or Close.
// ctx bounds the set-up only. It returns an error if the queue is already
// started or closed.
func (q *Queue) Start(ctx context.Context, router Router, handler Handler, sink DeadLetterSink) error {
	if router == nil || handler == nil || sink == nil {
		return errors.New("queue start: router, handler and dead-letter sink are all required")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("queue start: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("queue start: the queue is closed")
	}
	if q.run != nil {
		return errors.New("queue start: already started")
	}
	r := &consumer{
		q: q, router: router, handler: handler, sink: sink,
		sched:    newDispatcher(q),
		stop:     make(chan struct{}),
		settle:   make(chan fanOut, 256),
		beatStop: make(chan struct{}),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.settler.Add(1)
	go func() { defer r.settler.Done(); r.settleLoop() }()
	r.background.Add(2)
	go func() { defer r.background.Done(); r.sched.fetchLoop(r.stop) }()
	go func() { defer r.background.Done(); r.scanLoop() }()
	r.heartbeats.Add(1)
	go func() { defer r.heartbeats.Done(); r.heartbeatLoop() }()
	r.workers.Add(q.cfg.Workers)
	for i := range q.cfg.Workers {
		go func() { defer r.workers.Done(); r.work(i) }()
	}
	q.run = r
	return nil
}

// Stop ends fetching, gives back messages not yet started, and waits for
// running handlers to finish. When ctx ends first, it cancels the handlers'
// context, waits for them to return, and returns ctx's error; their
// deliveries run again later. Stop on a queue not started does nothing.
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	r := q.run
	q.run = nil
	q.mu.Unlock()
	if r == nil {
		return nil
	}
	return r.shutdown(ctx)
}

func (r *consumer) shutdown(ctx context.Context) error {
	close(r.stop)
	for _, hm := range r.sched.stop() {
		if hm.batch != nil {
			r.settleBatchEvent(hm.batch, false, 0)
		} else {
			_ = hm.msg.Nak()
		}
		r.q.counters.interrupted.Add(1)
	}
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		// Idle workers exit at once; only handlers cut short are an error.
		if busy := r.busy.Load(); busy > 0 {
			err = fmt.Errorf("queue stop: %d handlers still running: %w", busy, ctx.Err())
		}
		r.cancel()
		<-done
	}
	r.cancel()
	close(r.settle) // no worker is left to send
	r.settler.Wait()
	close(r.beatStop)
	r.heartbeats.Wait()
	r.background.Wait()
	return err
}

// handle runs the handler for d, counting it as running.
func (r *consumer) handle(d Delivery) error {
	r.busy.Add(1)
	defer r.busy.Add(-1)
	return r.handler(r.ctx, d)
}

func (r *consumer) work(slot int) {
	finished := false
	for {
		hm, ok := r.sched.take(slot, finished)
		if !ok {
			return
		}
		r.process(hm)
		finished = true
	}
}

func (r *consumer) heartbeatLoop() {
	every := r.q.cfg.AckWait / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-r.beatStop:
			return
		case <-t.C:
			r.sched.heartbeat(every)
		}
	}
}

// scanLoop finds tenants with messages in the stream that no signal
// announced: work published by other nodes, left by a previous run, or
// redelivered after an AckWait.
func (r *consumer) scanLoop() {
	t := time.NewTicker(r.q.cfg.ScanInterval)
	defer t.Stop()
	for {
		r.scan()
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
	}
}

func (r *consumer) scan() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := r.q.stream.Info(ctx, jetstream.WithSubjectFilter(r.q.names.tenants+">"))
	if err != nil {
		r.q.log.Warn("scan the queue", "err", err)
		return
	}
	for subject, n := range info.State.Subjects {
		if n > 0 {
			tenant, _ := r.q.names.subjectKind(subject)
			r.sched.markReady(tenant)
		}
	}
}

// opContext bounds one bookkeeping call to the server.
func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
