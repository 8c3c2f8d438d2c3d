package queue

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// maxUnsettled caps the deliveries published and not yet acknowledged
// before the dispatcher waits for their acks.
const maxUnsettled = 1024

// dispatchLoop takes events in batches and fans each out.
func (r *runner) dispatchLoop(events <-chan jetstream.Msg) {
	d := dispatcher{r: r, tenants: make(map[string]struct{})}
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
		for _, m := range batch {
			d.dispatch(m)
		}
		d.settle()
		clear(batch)
	}
}

// dispatcher fans events out into deliveries. Publishes are asynchronous;
// an event is acked only once JetStream stored every one of its deliveries.
// A delivery's Nats-Msg-Id is its id, so an event dispatched twice (the
// dispatcher died between publishing and acking) yields each delivery once
// within the dedupe window.
type dispatcher struct {
	r         *runner
	pending   []pendingEvent
	futures   []jetstream.PubAckFuture
	tenants   map[string]struct{}
	unsettled int
}

type pendingEvent struct {
	msg    jetstream.Msg
	tenant string
	first  int // futures[first:last] are its deliveries
	last   int
	failed bool
}

func (d *dispatcher) dispatch(m jetstream.Msg) {
	q := d.r.q
	var ev Event
	if err := json.Unmarshal(m.Data(), &ev); err != nil || !validToken(ev.Tenant, 128) || ev.ID == "" {
		q.log.Error("dropping an event that cannot be decoded", "subject", m.Subject(), "err", err)
		_ = m.TermWithReason("undecodable")
		return
	}
	targets, err := d.r.router.Route(d.r.ctx, ev)
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
	p := pendingEvent{msg: m, tenant: ev.Tenant, first: len(d.futures)}
	subject := q.names.deliveriesSubj + ev.Tenant
	for _, t := range targets {
		retry := t.Retry
		if retry.isZero() {
			retry = q.cfg.Retry
		}
		id := ev.ID + ":" + t.ID
		data := appendEnvelope(make([]byte, 0, len(m.Data())+2*len(id)+96), id, t.ID, retry, m.Data())
		f, err := q.js.PublishMsgAsync(&nats.Msg{
			Subject: subject,
			Data:    data,
			Header:  nats.Header{jetstream.MsgIDHeader: []string{id}},
		})
		if err != nil {
			q.log.Warn("publish delivery", "delivery", id, "err", err)
			p.failed = true
			break
		}
		d.futures = append(d.futures, f)
	}
	p.last = len(d.futures)
	d.pending = append(d.pending, p)
	d.unsettled += p.last - p.first
	if d.unsettled >= maxUnsettled {
		d.settle()
	}
}

// settle waits for the acks of the published deliveries, then acks each
// event whose deliveries are all stored and naks the others for a later
// try. It then tells the workers (here and on other nodes) which tenants
// have new deliveries.
func (d *dispatcher) settle() {
	q := d.r.q
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	stored := 0
	for i := range d.pending {
		p := &d.pending[i]
		for _, f := range d.futures[p.first:p.last] {
			select {
			case <-f.Ok():
				stored++
			case err := <-f.Err():
				q.log.Warn("publish delivery", "subject", f.Msg().Subject, "err", err)
				p.failed = true
			case <-timeout.C:
				p.failed = true
			case <-d.r.stop:
				// Unacked events come back after AckWait; dedupe drops
				// the deliveries that were stored meanwhile.
				d.reset()
				return
			}
		}
		if p.failed {
			_ = p.msg.NakWithDelay(time.Second)
			continue
		}
		if err := p.msg.Ack(); err != nil {
			q.log.Warn("ack event", "err", err)
		}
		d.tenants[p.tenant] = struct{}{}
	}
	q.counters.dispatched.Add(uint64(stored))
	for tenant := range d.tenants {
		d.r.sched.markReady(tenant)
		// Other nodes' workers hear it; losing this hint only delays them
		// until their next scan.
		_ = q.conn.Publish(q.names.ready, []byte(tenant))
	}
	d.reset()
}

func (d *dispatcher) reset() {
	clear(d.pending)
	d.pending = d.pending[:0]
	clear(d.futures)
	d.futures = d.futures[:0]
	clear(d.tenants)
	d.unsettled = 0
}
