package queue

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// attemptsHeader on a delivery message says that its attempt history may
// already hold entries, so the first delivery must read it too.
const attemptsHeader = "Kiln-Attempts"

// process runs one message from a tenant's subjects: an event (route it,
// then run or fan out) or a delivery.
func (r *runner) process(m jetstream.Msg) {
	if _, event := r.q.names.subjectKind(m.Subject()); event {
		r.processEvent(m)
		return
	}
	r.processDelivery(m)
}

// processEvent routes an event. No target: ack. One target, first
// delivery: run it in place, the event's message standing for the delivery,
// which costs JetStream nothing beyond the publish and the ack. Otherwise
// (several targets; or a redelivered event, whose in-place run may have been
// cut short) write one delivery message per target into the tenant's
// subject and ack the event once JetStream stored them all. Delivery
// messages carry the delivery id as Nats-Msg-Id, so an event routed twice
// yields each delivery once within the dedupe window.
func (r *runner) processEvent(m jetstream.Msg) {
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
	targets, err := r.router.Route(r.ctx, ev)
	if err != nil {
		q.log.Warn("routing failed; routing the event again later", "event", ev.ID, "err", err)
		r.retryLater(m, ev.Tenant, time.Second)
		return
	}
	if len(targets) == 0 {
		_ = m.Ack()
		q.counters.unrouted.Add(1)
		return
	}
	for _, t := range targets {
		if !validID(t.ID) {
			q.log.Error("the router returned an invalid target id; routing the event again later", "event", ev.ID, "target", t.ID)
			r.retryLater(m, ev.Tenant, time.Second)
			return
		}
	}
	q.counters.dispatched.Add(uint64(len(targets)))
	if len(targets) == 1 && meta.NumDelivered == 1 {
		r.runInPlace(m, ev, targets[0])
		return
	}
	msgs := make([]*nats.Msg, len(targets))
	for i, t := range targets {
		msgs[i] = r.deliveryMsg(m.Data(), ev, t, meta.NumDelivered > 1)
	}
	r.publishDeliveries(m, ev.Tenant, msgs)
}

// deliveryMsg makes the message of ev's delivery to t; event is ev as
// stored, copied in without encoding it again.
func (r *runner) deliveryMsg(event []byte, ev Event, t Target, mayHaveAttempts bool) *nats.Msg {
	retry := t.Retry
	if retry.isZero() {
		retry = r.q.cfg.Retry
	}
	id := ev.ID + ":" + t.ID
	msg := &nats.Msg{
		Subject: r.q.names.deliverySubject(ev.Tenant),
		Data:    appendEnvelope(make([]byte, 0, len(event)+2*len(id)+96), id, t.ID, retry, event),
		Header:  nats.Header{jetstream.MsgIDHeader: []string{id}},
	}
	if mayHaveAttempts {
		msg.Header.Set(attemptsHeader, "1")
	}
	return msg
}

// publishDeliveries publishes msgs asynchronously and hands the event m to
// the settler, which acks it once JetStream stored them all (or brings it
// back in a second if not). The worker does not wait for the round trip.
func (r *runner) publishDeliveries(m jetstream.Msg, tenant string, msgs []*nats.Msg) {
	q := r.q
	p := fanOut{event: m, tenant: tenant, futures: make([]jetstream.PubAckFuture, 0, len(msgs))}
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

// fanOut is an event whose delivery messages were published and whose ack
// waits for theirs.
type fanOut struct {
	event   jetstream.Msg
	tenant  string
	futures []jetstream.PubAckFuture
	failed  bool
}

// settleLoop acks each fanned-out event once its deliveries are stored.
// It ends when Stop closes the channel, after the last event.
func (r *runner) settleLoop() {
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
			r.retryLater(p.event, p.tenant, time.Second)
			continue
		}
		if err := p.event.Ack(); err != nil {
			q.log.Warn("ack event", "err", err)
		}
		r.sched.markReady(p.tenant)
	}
}

// runInPlace runs an event's only delivery with the event's message. On
// success the event is acked; on failure the attempt is recorded and the
// delivery continues as a delivery message of its own, which honours the
// backoff from the recorded failure's time.
func (r *runner) runInPlace(m jetstream.Msg, ev Event, t Target) {
	q := r.q
	d := Delivery{ID: ev.ID + ":" + t.ID, Event: ev, Target: t.ID, Attempt: 1}
	d.Retry = t.Retry
	if d.Retry.isZero() {
		d.Retry = q.cfg.Retry
	}
	d.MaxAttempts = d.Retry.maxAttempts()
	err := r.handle(d)
	if err == nil {
		if aerr := m.Ack(); aerr != nil {
			q.log.Warn("ack event", "event", ev.ID, "err", aerr)
		}
		q.counters.succeeded.Add(1)
		return
	}
	if r.ctx.Err() != nil {
		_ = m.Nak() // redelivered, it fans out to a delivery message
		q.counters.interrupted.Add(1)
		return
	}
	q.counters.failed.Add(1)
	rec := attemptRecord{Attempts: []AttemptError{{Attempt: 1, Error: err.Error(), At: q.cfg.Now().UTC()}}}
	var giveUp *giveUpError
	rec.DeadLetter = errors.As(err, &giveUp) || d.MaxAttempts == 1
	ctx, cancel := opContext()
	if serr := q.saveAttempts(ctx, d.ID, rec, 0); serr != nil {
		q.log.Warn("record failed attempt", "delivery", d.ID, "err", serr)
	}
	cancel()
	r.publishDeliveries(m, ev.Tenant, []*nats.Msg{r.deliveryMsg(m.Data(), ev, t, true)})
	if !rec.DeadLetter {
		r.sched.readyAfter(ev.Tenant, d.Retry.delay(1))
	}
}

// processDelivery runs one delivery message and settles it: ack on success,
// NakWithDelay for a retry, the dead-letter sink then ack after the last
// attempt. The consumers have no BackOff and no MaxDeliver: this code
// decides every redelivery.
func (r *runner) processDelivery(m jetstream.Msg) {
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
	d.MayHaveRun = meta.NumDelivered > 1 || m.Headers().Get(attemptsHeader) != ""
	if d.MayHaveRun {
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
			Error:   fmt.Sprintf("delivered %d times without an outcome: the process stopped or the ack wait ran out each time", interrupted),
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
