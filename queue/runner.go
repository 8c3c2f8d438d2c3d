package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// runner is what Start sets going and Stop ends: the dispatcher, the
// fetcher, the workers, the heartbeat and the tenant scan.
type runner struct {
	q       *Queue
	router  Router
	handler Handler
	sink    DeadLetterSink
	sched   *scheduler

	ctx    context.Context // handlers' context: ends when Stop gives up waiting
	cancel context.CancelFunc
	stop   chan struct{} // closed by Stop: take no new work

	dispatching jetstream.ConsumeContext
	readySub    *nats.Subscription

	workers    sync.WaitGroup
	background sync.WaitGroup // dispatcher, fetcher, scan
	heartbeats sync.WaitGroup
	beatStop   chan struct{}
}

// Start begins dispatching events and running deliveries until Stop or
// Close. ctx bounds the set-up only. It returns an error if the queue is
// already started or closed, or if a consumer cannot be created.
func (q *Queue) Start(ctx context.Context, router Router, handler Handler, sink DeadLetterSink) error {
	if router == nil || handler == nil || sink == nil {
		return errors.New("queue start: router, handler and dead-letter sink are all required")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("queue start: the queue is closed")
	}
	if q.run != nil {
		return errors.New("queue start: already started")
	}
	dispatcher, err := q.events.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       q.names.dispatcher,
		Description:   "Kiln dispatcher: routes each event to its scripts' deliveries",
		FilterSubject: q.names.eventsSubject + ">",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 4 * defaultDispatchBatch,
		Replicas:      q.cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("queue start: create dispatcher consumer: %w", err)
	}
	r := &runner{
		q: q, router: router, handler: handler, sink: sink,
		sched:    newScheduler(q),
		stop:     make(chan struct{}),
		beatStop: make(chan struct{}),
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())

	r.readySub, err = q.conn.Subscribe(q.names.ready, func(m *nats.Msg) { r.sched.markReady(string(m.Data)) })
	if err != nil {
		r.cancel()
		return fmt.Errorf("queue start: subscribe to %s: %w", q.names.ready, err)
	}
	events := make(chan jetstream.Msg, defaultDispatchBatch)
	r.dispatching, err = dispatcher.Consume(func(m jetstream.Msg) {
		select {
		case events <- m:
		case <-r.stop:
		}
	}, jetstream.PullMaxMessages(2*defaultDispatchBatch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		q.log.Warn("dispatcher pull", "err", err)
	}))
	if err != nil {
		_ = r.readySub.Unsubscribe()
		r.cancel()
		return fmt.Errorf("queue start: consume events: %w", err)
	}

	r.background.Add(3)
	go func() { defer r.background.Done(); r.dispatchLoop(events) }()
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

// Stop ends dispatching and fetching, gives back deliveries not yet
// started, and waits for running handlers to finish. When ctx ends first,
// it cancels the handlers' context, waits for them to return, and returns
// ctx's error; their deliveries run again later. Stop on a queue not
// started does nothing.
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

func (r *runner) shutdown(ctx context.Context) error {
	close(r.stop)
	r.dispatching.Stop()
	_ = r.readySub.Unsubscribe()
	for _, m := range r.sched.stop() {
		_ = m.Nak()
		r.q.counters.interrupted.Add(1)
	}
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("queue stop: handlers still running: %w", ctx.Err())
		r.cancel()
		<-done
	}
	r.cancel()
	close(r.beatStop)
	r.heartbeats.Wait()
	r.background.Wait()
	<-r.dispatching.Closed()
	return err
}

func (r *runner) work(slot int) {
	for {
		m, ok := r.sched.take(slot)
		if !ok {
			return
		}
		r.process(m)
		r.sched.done(slot)
	}
}

func (r *runner) heartbeatLoop() {
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

// scanLoop finds tenants with deliveries in the stream that no signal
// announced: work published by other nodes, left by a previous run, or
// redelivered after an AckWait.
func (r *runner) scanLoop() {
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

func (r *runner) scan() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	prefix := r.q.names.deliveriesSubj
	info, err := r.q.deliveries.Info(ctx, jetstream.WithSubjectFilter(prefix+"*"))
	if err != nil {
		r.q.log.Warn("scan deliveries", "err", err)
		return
	}
	for subject, n := range info.State.Subjects {
		if n > 0 && len(subject) > len(prefix) {
			r.sched.markReady(subject[len(prefix):])
		}
	}
}

// opContext bounds one bookkeeping call to the server.
func opContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// process runs one delivery and settles its message: ack on success,
// NakWithDelay for a retry, the dead-letter sink then ack after the last
// attempt. The consumers have no BackOff and no MaxDeliver: this code
// decides every redelivery.
func (r *runner) process(m jetstream.Msg) {
	q := r.q
	d, err := decodeDelivery(m.Data())
	if err != nil {
		q.log.Error("dropping a delivery that cannot be decoded", "subject", m.Subject(), "err", err)
		_ = m.TermWithReason("undecodable")
		return
	}
	meta, err := m.Metadata()
	if err != nil {
		q.log.Error("delivery without metadata", "delivery", d.ID, "err", err)
		_ = m.Nak()
		return
	}
	var rec attemptRecord
	var revision uint64
	if meta.NumDelivered > 1 {
		ctx, cancel := opContext()
		rec, revision, err = q.loadAttempts(ctx, d.ID)
		cancel()
		if err != nil {
			q.log.Warn("cannot read a delivery's attempts; trying later", "delivery", d.ID, "err", err)
			r.retryLater(m, d.Event.Tenant, time.Second)
			return
		}
	}
	d.Attempt = len(rec.Attempts) + 1
	if rec.DeadLetter || d.Attempt > d.MaxAttempts {
		r.deadLetter(m, d, rec, revision, !rec.DeadLetter)
		return
	}
	if interrupted := int(meta.NumDelivered) - 1 - len(rec.Attempts); interrupted >= q.cfg.MaxInterrupted {
		rec.Attempts = append(rec.Attempts, AttemptError{
			Attempt: d.Attempt,
			Error:   fmt.Sprintf("delivered %d times without an outcome: the process stopped or the ack wait ran out each time", interrupted),
			At:      q.cfg.Now().UTC(),
		})
		r.deadLetter(m, d, rec, revision, true)
		return
	}

	err = r.handler(r.ctx, d)
	if err == nil {
		if aerr := m.Ack(); aerr != nil {
			q.log.Warn("ack delivery", "delivery", d.ID, "err", aerr)
		}
		q.counters.succeeded.Add(1)
		if len(rec.Attempts) > 0 {
			ctx, cancel := opContext()
			if derr := q.deleteAttempts(ctx, d.ID); derr != nil {
				q.log.Warn("forget attempts", "delivery", d.ID, "err", derr)
			}
			cancel()
		}
		return
	}
	if r.ctx.Err() != nil {
		// Stop gave up waiting and cancelled the handler: not its failure.
		_ = m.Nak()
		q.counters.interrupted.Add(1)
		return
	}
	q.counters.failed.Add(1)
	rec.Attempts = append(rec.Attempts, AttemptError{Attempt: d.Attempt, Error: err.Error(), At: q.cfg.Now().UTC()})
	var giveUp *giveUpError
	if errors.As(err, &giveUp) || d.Attempt >= d.MaxAttempts {
		r.deadLetter(m, d, rec, revision, true)
		return
	}
	ctx, cancel := opContext()
	if serr := q.saveAttempts(ctx, d.ID, rec, revision); serr != nil {
		// The attempt will run again under the same number: better than
		// losing the error the dead-letter sink must see.
		q.log.Warn("record failed attempt", "delivery", d.ID, "err", serr)
	}
	cancel()
	r.retryLater(m, d.Event.Tenant, d.Retry.delay(d.Attempt))
}

// retryLater gives m back to the server to deliver again after delay, and
// makes sure this process looks at the tenant again then.
func (r *runner) retryLater(m jetstream.Msg, tenant string, delay time.Duration) {
	var err error
	if delay > 0 {
		err = m.NakWithDelay(delay)
	} else {
		err = m.Nak()
	}
	if err != nil {
		r.q.log.Warn("nak delivery", "subject", m.Subject(), "err", err)
	}
	r.sched.readyAfter(tenant, delay)
}

// deadLetter records that only the sink is left (so a crash from here on
// never runs the handler again), calls the sink, and removes the message
// once the sink has it. A failing sink is called again later.
func (r *runner) deadLetter(m jetstream.Msg, d Delivery, rec attemptRecord, revision uint64, save bool) {
	q := r.q
	ctx, cancel := opContext()
	defer cancel()
	rec.DeadLetter = true
	if save {
		if err := q.saveAttempts(ctx, d.ID, rec, revision); err != nil {
			q.log.Warn("record dead letter", "delivery", d.ID, "err", err)
		}
	}
	d.Attempt = len(rec.Attempts)
	if err := r.sink(r.ctx, d, rec.Attempts); err != nil {
		q.log.Error("dead-letter sink failed; trying again later", "delivery", d.ID, "err", err)
		r.retryLater(m, d.Event.Tenant, max(time.Second, d.Retry.delay(max(1, d.Attempt))))
		return
	}
	if err := m.DoubleAck(ctx); err != nil {
		q.log.Warn("ack dead-lettered delivery", "delivery", d.ID, "err", err)
	}
	q.counters.deadLettered.Add(1)
	if err := q.deleteAttempts(ctx, d.ID); err != nil {
		q.log.Warn("forget attempts", "delivery", d.ID, "err", err)
	}
}
