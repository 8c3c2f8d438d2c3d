package queue

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxUnsettled caps the deliveries one fan-out batch publishes before it is
// handed over to be settled.
const maxUnsettled = 1024

// settleDepth is how many fan-out batches may wait for their acks while the
// dispatcher already routes the next ones.
const settleDepth = 4

// The dispatcher fans events out into deliveries. One goroutine routes
// events and publishes their deliveries asynchronously; another waits for
// JetStream's acks of each batch ("settles" it) and only then acks the
// events, so the two overlap. A delivery's Nats-Msg-Id is its id, so an
// event dispatched twice (the process died between publishing and acking)
// yields each delivery once within the dedupe window.

// fanOut is one batch of routed events waiting for their deliveries' acks.
type fanOut struct {
	events  []routedEvent
	futures []jetstream.PubAckFuture
}

type routedEvent struct {
	msg         jetstream.Msg
	tenant      string
	first, last int // futures[first:last] are its deliveries
	failed      bool
}

// dispatchLoop takes events in batches, routes them and publishes their
// deliveries; settleLoop acks them.
func (r *runner) dispatchLoop(events <-chan jetstream.Msg) {
	settle := make(chan *fanOut, settleDepth)
	settled := make(chan struct{})
	go func() { defer close(settled); r.settleLoop(settle) }()
	defer func() { close(settle); <-settled }()

	batch := make([]jetstream.Msg, 0, defaultDispatchBatch)
	for {
		select {
		case <-r.stop:
			return
		case m := <-events:
			batch = append(batch[:0], m)
		}
	fill:
		for len(batch) < cap(batch) {
			select {
			case m := <-events:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		f := &fanOut{}
		for _, m := range batch {
			r.route(f, m)
			if len(f.futures) >= maxUnsettled {
				settle <- f
				f = &fanOut{}
			}
		}
		if len(f.events) > 0 {
			settle <- f
		}
		clear(batch)
	}
}

// route asks the router where m's event goes and publishes one delivery per
// target. Undecodable events are dropped (logged), events whose routing
// fails come back in a second, events nobody wants are acked at once.
func (r *runner) route(f *fanOut, m jetstream.Msg) {
	q := r.q
	var ev Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil || !validToken(ev.Tenant, 128) || ev.ID == "" {
		q.log.Error("dropping an event that cannot be decoded", "subject", m.Subject(), "err", err)
		_ = m.TermWithReason("undecodable")
		return
	}
	targets, err := r.router.Route(r.ctx, ev)
	if err != nil {
		q.log.Warn("routing failed; dispatching the event again later", "event", ev.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return
	}
	if len(targets) == 0 {
		_ = m.Ack()
		q.counters.unrouted.Add(1)
		return
	}
	e := routedEvent{msg: m, tenant: ev.Tenant, first: len(f.futures)}
	subject := q.names.deliveriesSubj + ev.Tenant
	for _, t := range targets {
		retry := t.Retry
		if retry.isZero() {
			retry = q.cfg.Retry
		}
		id := ev.ID + ":" + t.ID
		data := appendEnvelope(make([]byte, 0, len(m.Data())+2*len(id)+96), id, t.ID, retry, m.Data())
		future, err := q.js.PublishMsgAsync(&nats.Msg{
			Subject: subject,
			Data:    data,
			Header:  nats.Header{jetstream.MsgIDHeader: []string{id}},
		})
		if err != nil {
			q.log.Warn("publish delivery", "delivery", id, "err", err)
			e.failed = true
			break
		}
		f.futures = append(f.futures, future)
	}
	e.last = len(f.futures)
	f.events = append(f.events, e)
}

// settleLoop waits for each batch's publish acks, acks each event whose
// deliveries are all stored and naks the others for a later try, then tells
// the workers (here and on other nodes) which tenants have new deliveries.
func (r *runner) settleLoop(batches <-chan *fanOut) {
	q := r.q
	tenants := make(map[string]struct{})
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	for f := range batches {
		timeout.Reset(30 * time.Second)
		stored := 0
	events:
		for i := range f.events {
			e := &f.events[i]
			for _, future := range f.futures[e.first:e.last] {
				select {
				case <-future.Ok():
					stored++
				case err := <-future.Err():
					q.log.Warn("publish delivery", "subject", future.Msg().Subject, "err", err)
					e.failed = true
				case <-timeout.C:
					e.failed = true
				case <-r.stop:
					// Events not acked come back after AckWait; dedupe
					// drops the deliveries stored meanwhile.
					break events
				}
			}
			if e.failed {
				_ = e.msg.NakWithDelay(time.Second)
				continue
			}
			if err := e.msg.Ack(); err != nil {
				q.log.Warn("ack event", "err", err)
			}
			tenants[e.tenant] = struct{}{}
		}
		q.counters.dispatched.Add(uint64(stored))
		for tenant := range tenants {
			r.sched.markReady(tenant)
			// Other nodes' workers hear it; losing this hint only delays
			// them until their next scan.
			_ = q.conn.Publish(q.names.ready, []byte(tenant))
		}
		clear(tenants)
	}
}
