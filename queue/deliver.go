package queue

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/kilntype"
)

// attemptsHeader on a delivery message says that its attempt history may
// already hold entries, so the first delivery must read it too.
const attemptsHeader = "Kiln-Attempts"

// process runs one item of work: an event message (route it, then run or
// fan out), one event of a batch message (the same), or a delivery.
func (r *consumer) process(hm heldMsg) {
	if b := hm.batch; b != nil {
		e := b.events[hm.index]
		r.routeEvent(eventHold{batch: b}, e.event, e.raw, b.redelivered)
		return
	}
	if _, kind := r.q.names.subjectKind(hm.msg.Subject()); kind == kindEvent {
		r.processEvent(hm.msg)
		return
	}
	r.processDelivery(hm.msg)
}

// eventHold is what an event being routed is settled on: its own message,
// acked when the event is settled, or its place in a batch message, which
// is acked once every event in it is settled.
type eventHold struct {
	msg   jetstream.Msg // the event message; nil for a batch's event
	batch *heldBatch
}

// heldBatch is a batch message whose events are being routed and run.
type heldBatch struct {
	msg         jetstream.Msg
	tenant      string
	events      []batchEvent
	redelivered bool      // Queue.mayHaveRun: its events fan out
	since       time.Time // fetched
	unfinished  int       // events not yet finished by a worker (guarded by the dispatcher's mu)

	left   atomic.Int32 // events not yet settled
	failed atomic.Bool  // an event must be routed again
	delay  atomic.Int64 // the longest wait a failed event asked for
}

// done settles the event h holds: it is finished, or its delivery messages
// are stored.
func (r *consumer) done(h eventHold, what string, id string) {
	if h.batch != nil {
		r.settleBatchEvent(h.batch, true, 0)
		return
	}
	if err := h.msg.Ack(); err != nil {
		r.q.log.Warn("ack "+what, "event", id, "err", err)
	}
}

// again brings the event h holds back after delay, to be routed again;
// for a batch's event, the whole batch comes back once its other events
// are settled, and fans out.
func (r *consumer) again(h eventHold, tenant string, delay time.Duration) {
	if h.batch != nil {
		r.settleBatchEvent(h.batch, false, delay)
		return
	}
	r.retryLater(h.msg, tenant, delay)
}

// interrupted gives the event h holds back at once: Stop cut its run short.
func (r *consumer) interrupted(h eventHold) {
	if h.batch != nil {
		r.settleBatchEvent(h.batch, false, 0)
		return
	}
	_ = h.msg.Nak()
}

// settleBatchEvent records the outcome of one of b's events. After the
// last one, b is acked if every event was settled, or else given back
// after the longest delay asked for: redelivered, it fans out every event
// to delivery messages (those already stored are dropped as duplicates,
// those already run see MayHaveRun).
func (r *consumer) settleBatchEvent(b *heldBatch, ok bool, delay time.Duration) {
	if !ok {
		b.failed.Store(true)
		for old := b.delay.Load(); int64(delay) > old && !b.delay.CompareAndSwap(old, int64(delay)); old = b.delay.Load() {
		}
	}
	if b.left.Add(-1) != 0 {
		return
	}
	if b.failed.Load() {
		r.retryLater(b.msg, b.tenant, time.Duration(b.delay.Load()))
		return
	}
	if err := b.msg.Ack(); err != nil {
		r.q.log.Warn("ack batch", "subject", b.msg.Subject(), "err", err)
	}
}

// processEvent decodes an event message and routes it.
func (r *consumer) processEvent(m jetstream.Msg) {
	q := r.q
	ev, err := decodeEvent(m.Data())
	if err != nil || !validToken(ev.Tenant, 128) || ev.ID == "" {
		q.log.Error("dropping an event that cannot be decoded", "subject", m.Subject(), "err", err)
		_ = m.TermWithReason("undecodable")
		return
	}
	meta, err := m.Metadata()
	if err != nil {
		q.log.Error("event without metadata", "event", ev.ID, "err", err)
		_ = m.Nak()
		return
	}
	r.routeEvent(eventHold{msg: m}, ev, m.Data(), q.mayHaveRun(meta))
}

// routeEvent routes an event (raw: as stored). No target: settled. One
// target, first delivery: run it in place, the event's message standing
// for the delivery, which costs JetStream nothing beyond the publish and
// the ack. Otherwise (several targets; or a redelivered event, whose
// in-place run may have been cut short) write one delivery message per
// target into the tenant's subject; the event is settled once JetStream
// stored them all. Delivery messages carry the delivery's key (tenantKey)
// as Nats-Msg-Id, so an event routed twice yields each delivery once
// within the dedupe window.
func (r *consumer) routeEvent(h eventHold, ev Event, raw []byte, redelivered bool) {
	q := r.q
	targets, err := r.router.Route(r.ctx, ev)
	if err != nil {
		q.log.Warn("routing failed; routing the event again later", "event", ev.ID, "err", err)
		r.again(h, ev.Tenant, time.Second)
		return
	}
	if len(targets) == 0 {
		r.done(h, "unrouted event", ev.ID)
		q.counters.unrouted.Add(1)
		return
	}
	for _, t := range targets {
		if !validID(t.ID) {
			q.log.Error("the router returned an invalid target id; routing the event again later", "event", ev.ID, "target", t.ID)
			r.again(h, ev.Tenant, time.Second)
			return
		}
	}
	q.counters.dispatched.Add(uint64(len(targets)))
	if len(targets) == 1 && !redelivered {
		r.runInPlace(h, ev, raw, targets[0])
		return
	}
	msgs := make([]*nats.Msg, len(targets))
	for i, t := range targets {
		msgs[i] = r.deliveryMsg(raw, ev, t, redelivered)
	}
	r.publishDeliveries(h, ev.Tenant, msgs)
}

// deliveryMsg makes the message of ev's delivery to t; event is ev as
// stored, copied in without encoding it again.
func (r *consumer) deliveryMsg(event []byte, ev Event, t Target, mayHaveAttempts bool) *nats.Msg {
	retry := t.Retry
	if retry.isZero() {
		retry = r.q.cfg.Retry
	}
	id := ev.ID + ":" + t.ID
	msg := &nats.Msg{
		Subject: r.q.names.deliverySubject(ev.Tenant),
		Data:    appendEnvelope(make([]byte, 0, len(event)+2*len(id)+96), id, t.ID, retry, event),
		Header:  nats.Header{jetstream.MsgIDHeader: []string{tenantKey(ev.Tenant, id)}},
	}
	if mayHaveAttempts {
		msg.Header.Set(attemptsHeader, "1")
	}
	return msg
}

// publishDeliveries publishes msgs asynchronously and hands the event h
// holds to the settler, which settles it once JetStream stored them all
// (or brings it back in a second if not). The worker does not wait for the
// round trip.
func (r *consumer) publishDeliveries(h eventHold, tenant string, msgs []*nats.Msg) {
	q := r.q
	p := fanOut{hold: h, tenant: tenant, futures: make([]jetstream.PubAckFuture, 0, len(msgs))}
	for _, msg := range msgs {
		f, err := q.js.PublishMsgAsync(msg)
		if err != nil {
			q.log.Warn("publish delivery", "subject", msg.Subject, "err", err)
			p.failed = true
			break
		}
		p.futures = append(p.futures, f)
	}
	r.settle <- p
}

// fanOut is an event whose delivery messages were published and whose
// settling waits for their acks.
type fanOut struct {
	hold    eventHold
	tenant  string
	futures []jetstream.PubAckFuture
	failed  bool
}

// settleLoop settles each fanned-out event once its deliveries are stored.
// It ends when Stop closes the channel, after the last event.
func (r *consumer) settleLoop() {
	q := r.q
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	for p := range r.settle {
		timeout.Reset(15 * time.Second)
		for _, f := range p.futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				q.log.Warn("publish delivery", "subject", f.Msg().Subject, "err", err)
				p.failed = true
			case <-timeout.C:
				p.failed = true
			}
		}
		if p.failed {
			r.again(p.hold, p.tenant, time.Second)
			continue
		}
		r.done(p.hold, "event", "")
		r.sched.markReady(p.tenant)
	}
}

// runInPlace runs an event's only delivery with the event's message (or
// its batch's). On success the event is settled; on failure the attempt is
// recorded and the delivery continues as a delivery message of its own,
// which honours the backoff from the recorded failure's time.
func (r *consumer) runInPlace(h eventHold, ev Event, raw []byte, t Target) {
	q := r.q
	id := ev.ID + ":" + t.ID
	d := Delivery{ID: id, Key: tenantKey(ev.Tenant, id), Event: ev, Target: t.ID, Attempt: 1}
	d.Retry = t.Retry
	if d.Retry.isZero() {
		d.Retry = q.cfg.Retry
	}
	d.MaxAttempts = d.Retry.maxAttempts()
	err := r.handle(d)
	if err == nil {
		r.done(h, "event", ev.ID)
		q.counters.succeeded.Add(1)
		return
	}
	if r.ctx.Err() != nil {
		r.interrupted(h) // redelivered, it fans out to a delivery message
		q.counters.interrupted.Add(1)
		return
	}
	q.counters.failed.Add(1)
	rec := attemptRecord{Attempts: []AttemptError{attemptError(1, err, q.cfg.Now().UTC())}}
	var giveUp *giveUpError
	rec.DeadLetter = errors.As(err, &giveUp) || d.MaxAttempts == 1
	ctx, cancel := opContext()
	if serr := q.saveAttempts(ctx, d.Key, rec, 0); serr != nil {
		q.log.Warn("record failed attempt", "delivery", d.ID, "err", serr)
	}
	cancel()
	r.publishDeliveries(h, ev.Tenant, []*nats.Msg{r.deliveryMsg(raw, ev, t, true)})
	if !rec.DeadLetter {
		r.sched.readyAfter(ev.Tenant, d.Retry.delay(1))
	}
}

// processDelivery runs one delivery message and settles it: ack on success,
// NakWithDelay for a retry, the dead-letter sink then ack after the last
// attempt. The consumers have no BackOff and no MaxDeliver: this code
// decides every redelivery.
func (r *consumer) processDelivery(m jetstream.Msg) {
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
	d.Key = tenantKey(d.Event.Tenant, d.ID)
	if m.Headers().Get(jetstream.MsgIDHeader) == d.ID {
		// Stored before keys were scoped by tenant: its attempts and
		// its runs' execution IDs are under the old key.
		d.Key = d.ID
	}
	var rec attemptRecord
	var revision uint64
	d.MayHaveRun = q.mayHaveRun(meta) || m.Headers().Get(attemptsHeader) != ""
	if d.MayHaveRun {
		ctx, cancel := opContext()
		rec, revision, err = q.loadAttempts(ctx, d.Key)
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
	if n := len(rec.Attempts); n > 0 {
		// Not before the backoff since the last failure: a message can
		// come early (a failed attempt ran in place, an AckWait expired).
		due := rec.Attempts[n-1].At.Add(d.Retry.delay(n))
		if wait := due.Sub(q.cfg.Now()); wait > 5*time.Millisecond {
			r.retryLater(m, d.Event.Tenant, wait)
			return
		}
	}
	if interrupted := int(meta.NumDelivered) - 1 - len(rec.Attempts); interrupted >= q.cfg.MaxInterrupted {
		rec.Attempts = append(rec.Attempts, AttemptError{
			Attempt: d.Attempt,
			Code:    kilntype.EUnavailable,
			Message: fmt.Sprintf("delivered %d times without an outcome: the process stopped or the ack wait ran out each time", interrupted),
			At:      q.cfg.Now().UTC(),
		})
		r.deadLetter(m, d, rec, revision, true)
		return
	}

	err = r.handle(d)
	if err == nil {
		if aerr := m.Ack(); aerr != nil {
			q.log.Warn("ack delivery", "delivery", d.ID, "err", aerr)
		}
		q.counters.succeeded.Add(1)
		if len(rec.Attempts) > 0 {
			ctx, cancel := opContext()
			if derr := q.deleteAttempts(ctx, d.Key); derr != nil {
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
	rec.Attempts = append(rec.Attempts, attemptError(d.Attempt, err, q.cfg.Now().UTC()))
	var giveUp *giveUpError
	if errors.As(err, &giveUp) || d.Attempt >= d.MaxAttempts {
		r.deadLetter(m, d, rec, revision, true)
		return
	}
	ctx, cancel := opContext()
	if serr := q.saveAttempts(ctx, d.Key, rec, revision); serr != nil {
		// The attempt will run again under the same number: better than
		// losing the error the dead-letter sink must see.
		q.log.Warn("record failed attempt", "delivery", d.ID, "err", serr)
	}
	cancel()
	r.retryLater(m, d.Event.Tenant, d.Retry.delay(d.Attempt))
}

// retryLater gives m back to the server to deliver again after delay, and
// makes sure this process looks at the tenant again then.
func (r *consumer) retryLater(m jetstream.Msg, tenant string, delay time.Duration) {
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
func (r *consumer) deadLetter(m jetstream.Msg, d Delivery, rec attemptRecord, revision uint64, save bool) {
	q := r.q
	ctx, cancel := opContext()
	defer cancel()
	rec.DeadLetter = true
	if save {
		if err := q.saveAttempts(ctx, d.Key, rec, revision); err != nil {
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
	if err := q.deleteAttempts(ctx, d.Key); err != nil {
		q.log.Warn("forget attempts", "delivery", d.ID, "err", err)
	}
}
