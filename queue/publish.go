package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/kilntype"
)

// Publishing coalesces: while a tenant has maxPublishesInFlight messages
// waiting for JetStream's acknowledgement, its further Publish calls queue
// up, and when one acknowledgement arrives what queued goes out as one
// batch message (batch.go). There is no timer: a lone publish goes out at
// once as an event message of its own, and under load the batches grow to
// what arrived during one round trip. JetStream then stores, acks and
// removes one message for many events.
//
// The first caller of a group publishes it (the leader) and hands each of
// the others its result; so no goroutine is started and each caller waits
// only for the message holding its event.
const maxPublishesInFlight = 1

// coalescer holds each tenant's publishes in flight and waiting.
type coalescer struct {
	mu      sync.Mutex
	tenants map[string]*tenantPublishes // only tenants with publishes in flight
}

type tenantPublishes struct {
	inFlight int
	waiting  []*pendingPublish
}

// pendingPublish is one Publish call waiting to join a message.
type pendingPublish struct {
	subject string // of the event message, if it goes alone
	event   []byte // as appendEvent wrote it
	state   pendingState
	group   []*pendingPublish // the leader's: the events of its message
	done    chan struct{}     // closed when the caller leads a group or has its result
	err     error             // the result, set before done is closed
}

type pendingState uint8

const (
	waitingToJoin pendingState = iota // in tenantPublishes.waiting
	leading                           // publishes group
	joined                            // in a leader's group
)

// Publish stores e and returns its id once JetStream has acknowledged it.
// It returns an INVALID_ARGUMENT or PAYLOAD_TOO_LARGE *kilntype.Error for an
// event it refuses, and an UNAVAILABLE one when JetStream did not store it.
// Publishing an event again with the same tenant and ID within the dedupe
// window stores it once; the same ID in another tenant is another event.
//
// Concurrent publishes of one tenant without an ID share batch messages;
// each caller still returns only once the message holding its event was
// stored, and an error storing it reaches each of them. An event with an
// ID goes alone (its tenant and ID are the message's Nats-Msg-Id). When ctx ends
// before the event's message is acknowledged, Publish returns an
// UNAVAILABLE error and the event may or may not be stored; a caller that
// publishes a batch waits for the acknowledgement (at most 5 s) even then,
// as the others in it depend on it.
func (q *Queue) Publish(ctx context.Context, e Event) (string, error) {
	dedupe := e.ID != ""
	data, err := q.encodeEvent(&e)
	if err != nil {
		return "", err
	}
	subject := q.names.eventSubject(e.Tenant, e.Type)
	if dedupe {
		msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{tenantKey(e.Tenant, e.ID)}}}
		if err := q.publishSync(ctx, msg); err != nil {
			return "", notStored(e.ID, err)
		}
		q.counters.published.Add(1)
		q.signalTenant(e.Tenant)
		return e.ID, nil
	}
	if err := q.publishJoined(ctx, e.Tenant, subject, data); err != nil {
		return "", notStored(e.ID, err)
	}
	return e.ID, nil
}

func notStored(id string, err error) error {
	return fmt.Errorf("%w: %w", kilntype.Errorf(kilntype.EUnavailable, "event %s was not stored", id), err)
}

// errNoAck is the result of a caller whose context ended while its batch
// message was on its way.
var errNoAck = errors.New("no acknowledgement before the context ended; the event may be stored")

// publishJoined publishes an encoded event of tenant at once if the tenant
// has room in flight, else joins the next batch.
func (q *Queue) publishJoined(ctx context.Context, tenant, subject string, data []byte) error {
	c := &q.coalescer
	c.mu.Lock()
	tp := c.tenants[tenant]
	if tp == nil {
		tp = &tenantPublishes{}
		c.tenants[tenant] = tp
	}
	if tp.inFlight < maxPublishesInFlight {
		// Nothing to join: finishPublish hands waiting publishes to a
		// leader whenever there is room, so none wait now.
		tp.inFlight++
		c.mu.Unlock()
		err := q.publishSync(ctx, &nats.Msg{Subject: subject, Data: data})
		q.finishPublish(tenant)
		if err == nil {
			q.counters.published.Add(1)
			q.signalTenant(tenant)
		}
		return err
	}
	p := &pendingPublish{subject: subject, event: data, done: make(chan struct{})}
	tp.waiting = append(tp.waiting, p)
	c.mu.Unlock()

	select {
	case <-p.done:
	case <-ctx.Done():
		c.mu.Lock()
		state := p.state
		if state == waitingToJoin {
			tp.waiting = slices.DeleteFunc(tp.waiting, func(x *pendingPublish) bool { return x == p })
		}
		c.mu.Unlock()
		switch state {
		case waitingToJoin:
			return ctx.Err()
		case joined:
			return fmt.Errorf("%w: %w", errNoAck, ctx.Err())
		}
		// Leading: the others wait for this caller's publish.
	}
	if p.group != nil {
		q.publishGroup(tenant, p.group)
	}
	return p.err
}

// publishGroup publishes a leader's group as one message, hands out the
// result and lets the tenant's next group go. It waits for the
// acknowledgement up to publishTimeout, whatever the leader's context: the
// others in the group depend on it.
func (q *Queue) publishGroup(tenant string, group []*pendingPublish) {
	msg := &nats.Msg{Subject: group[0].subject, Data: group[0].event}
	if len(group) > 1 {
		events := make([][]byte, len(group))
		size := 0
		for i, p := range group {
			events[i] = p.event
			size += len(p.event)
		}
		msg = &nats.Msg{Subject: q.names.batchSubject(tenant), Data: appendBatch(make([]byte, 0, batchSize(len(events), size)), events)}
	}
	err := q.publishSync(context.Background(), msg)
	q.finishPublish(tenant)
	if err == nil {
		q.counters.published.Add(uint64(len(group)))
		if len(group) > 1 {
			q.counters.batches.Add(1)
		}
		q.signalTenant(tenant)
	}
	group[0].err = err
	for _, p := range group[1:] {
		p.err = err
		close(p.done)
	}
}

// finishPublish ends one of tenant's messages in flight and hands what
// waits, in groups that fit a batch message, to leaders while there is
// room.
func (q *Queue) finishPublish(tenant string) {
	c := &q.coalescer
	c.mu.Lock()
	defer c.mu.Unlock()
	tp := c.tenants[tenant]
	tp.inFlight--
	for tp.inFlight < maxPublishesInFlight && len(tp.waiting) > 0 {
		n, size := 0, 0
		for n < len(tp.waiting) && n < maxBatchEvents {
			next := len(tp.waiting[n].event)
			if n > 0 && batchSize(n+1, size+next) > q.maxBatchBytes {
				break
			}
			n++
			size += next
		}
		group := slices.Clone(tp.waiting[:n])
		clear(tp.waiting[:n])
		tp.waiting = tp.waiting[n:]
		for _, p := range group {
			p.state = joined
		}
		group[0].state, group[0].group = leading, group
		tp.inFlight++
		close(group[0].done)
	}
	if tp.inFlight == 0 && len(tp.waiting) == 0 {
		delete(c.tenants, tenant)
	}
}

// PublishBatch publishes events without waiting for each acknowledgement in
// turn, then waits for them all. ids[i] is events[i]'s id, or "" when that
// one failed; err joins the failures. Events without an ID are packed per
// tenant into batch messages, and a message that is not stored fails each
// of its events.
func (q *Queue) PublishBatch(ctx context.Context, events []Event) (ids []string, err error) {
	ids = make([]string, len(events))
	var errs []error
	type sent struct {
		future  jetstream.PubAckFuture
		tenant  string
		indexes []int
	}
	var messages []sent
	send := func(msg *nats.Msg, tenant string, indexes []int) {
		f, err := q.pubJS.PublishMsgAsync(msg)
		if err != nil {
			for _, i := range indexes {
				errs = append(errs, notStored(ids[i], err))
				ids[i] = ""
			}
			return
		}
		messages = append(messages, sent{future: f, tenant: tenant, indexes: indexes})
	}
	// One open batch per tenant, sent when full and at the end.
	type open struct {
		subject string // of the first event, sent alone if no other joins
		events  [][]byte
		indexes []int
		size    int
	}
	var tenants []string
	batches := map[string]*open{}
	flush := func(tenant string, b *open) {
		switch len(b.events) {
		case 0:
			return
		case 1:
			send(&nats.Msg{Subject: b.subject, Data: b.events[0]}, tenant, b.indexes)
		default:
			send(&nats.Msg{Subject: q.names.batchSubject(tenant), Data: appendBatch(make([]byte, 0, batchSize(len(b.events), b.size)), b.events)}, tenant, b.indexes)
		}
		*b = open{}
	}
	for i := range events {
		e := events[i]
		dedupe := e.ID != ""
		data, err := q.encodeEvent(&e)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %d: %w", i, err))
			continue
		}
		ids[i] = e.ID
		subject := q.names.eventSubject(e.Tenant, e.Type)
		if dedupe {
			send(&nats.Msg{Subject: subject, Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{tenantKey(e.Tenant, e.ID)}}}, e.Tenant, []int{i})
			continue
		}
		b := batches[e.Tenant]
		if b == nil {
			b = &open{}
			batches[e.Tenant] = b
			tenants = append(tenants, e.Tenant)
		}
		if len(b.events) > 0 && (len(b.events) == maxBatchEvents || batchSize(len(b.events)+1, b.size+len(data)) > q.maxBatchBytes) {
			flush(e.Tenant, b)
		}
		if len(b.events) == 0 {
			b.subject = subject
		}
		b.events = append(b.events, data)
		b.indexes = append(b.indexes, i)
		b.size += len(data)
	}
	for _, tenant := range tenants {
		flush(tenant, batches[tenant])
	}
	for _, m := range messages {
		var err error
		select {
		case <-m.future.Ok():
		case err = <-m.future.Err():
		case <-ctx.Done():
			err = fmt.Errorf("%w: %w", errNoAck, ctx.Err())
		}
		if err != nil {
			for _, i := range m.indexes {
				errs = append(errs, notStored(ids[i], err))
				ids[i] = ""
			}
			continue
		}
		q.counters.published.Add(uint64(len(m.indexes)))
		if len(m.indexes) > 1 {
			q.counters.batches.Add(1)
		}
		q.signalTenant(m.tenant)
	}
	return ids, errors.Join(errs...)
}

// publishTimeout bounds the wait for a publish acknowledgement when the
// caller's context has no deadline (the jetstream package's default).
const publishTimeout = 5 * time.Second

// publishSync publishes msg on the producers' connection and returns once
// JetStream has acknowledged it. It is jetstream's PublishMsg without the
// per-call context timer and the reflective decoding of a plain
// acknowledgement, which Publish pays for every event; when no server
// answers (JetStream starting, a leader election) it falls back to
// PublishMsg, which waits and retries.
func (q *Queue) publishSync(ctx context.Context, msg *nats.Msg) error {
	var resp *nats.Msg
	var err error
	switch _, deadline := ctx.Deadline(); {
	case deadline:
		resp, err = q.pubConn.RequestMsgWithContext(ctx, msg)
	case ctx.Done() == nil:
		resp, err = q.pubConn.RequestMsg(msg, publishTimeout)
	default:
		tctx, cancel := context.WithTimeout(ctx, publishTimeout)
		resp, err = q.pubConn.RequestMsgWithContext(tctx, msg)
		cancel()
	}
	if errors.Is(err, nats.ErrNoResponders) {
		_, err = q.pubJS.PublishMsg(ctx, msg)
		return err
	}
	if err != nil {
		return err
	}
	return pubAckError(resp.Data)
}

// pubAckError reads a publish acknowledgement: nil when JetStream stored
// the message. The usual answer, {"stream":"…","seq":…}, is recognised
// without decoding it.
func pubAckError(data []byte) error {
	if bytes.HasPrefix(data, []byte(`{"stream":`)) && bytes.Contains(data, []byte(`"seq":`)) && !bytes.Contains(data, []byte(`"error"`)) {
		return nil
	}
	var ack struct {
		Error  *jetstream.APIError `json:"error"`
		Stream string              `json:"stream"`
		Seq    uint64              `json:"seq"`
	}
	if err := json.Unmarshal(data, &ack); err != nil {
		return fmt.Errorf("%w: %w", jetstream.ErrInvalidJSAck, err)
	}
	if ack.Error != nil {
		return ack.Error
	}
	if ack.Stream == "" || ack.Seq == 0 {
		return jetstream.ErrInvalidJSAck
	}
	return nil
}

// encodeEvent validates e, gives it an id and a time when it has none, and
// encodes it as an event message's data.
func (q *Queue) encodeEvent(e *Event) ([]byte, error) {
	if err := validateEvent(e, q.cfg.MaxPayload); err != nil {
		return nil, err
	}
	if e.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("make event id: %w", err)
		}
		e.ID = id.String()
	}
	if e.PublishedAt.IsZero() {
		e.PublishedAt = q.cfg.Now().UTC()
	}
	return appendEvent(make([]byte, 0, len(e.Payload)+len(e.ID)+len(e.Tenant)+len(e.Type)+96), e), nil
}
