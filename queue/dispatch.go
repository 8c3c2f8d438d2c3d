package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// maxFetch caps one pull request.
const maxFetch = 256

// The dispatcher decides which tenant's deliveries this process takes next.
//
// Each tenant has its own subjects in the stream and its own durable pull
// consumer on them. The fetcher pulls, in turn, from the tenants
// that may have work ("ready"), sharing the free room among them; workers
// then take the fetched deliveries one tenant at a time, round-robin. A
// tenant with a 10,000-delivery backlog thus gets no more than its turn, and
// a tenant with one delivery is fetched as soon as there is room for one
// message, and waits for a worker to come free.
//
// A tenant becomes ready when this process published to it, when one of its
// retries comes due, and when the periodic scan finds messages under its
// subjects. It stops being ready when a fetch returns less than it asked
// for.
type dispatcher struct {
	q        *Queue
	capacity int // items (events and deliveries) held, and messages held, at most (Config.Prefetch)
	refill   int // free room that is worth a fetch round

	mu       sync.Mutex
	work     *sync.Cond // signalled when a delivery is fetched or on stop
	tenants  map[string]*tenantQueue
	ready    []*tenantQueue // tenants to fetch from, in turn
	waiting  []*tenantQueue // tenants with fetched deliveries, in turn
	next     int            // index into waiting of the next tenant served
	held     int            // items fetched and not yet finished (includes reserved)
	messages int            // messages held: a batch counts until its last event is finished
	running  int
	slots    []heldMsg // per worker: the delivery it runs
	stopping bool

	wake chan struct{} // nudges the fetcher
}

type tenantQueue struct {
	id       string
	consumer jetstream.Consumer // used by the fetcher only
	ready    bool
	gen      uint64 // bumped by every readiness signal
	buf      []heldMsg
	inWait   bool
	// perMsg estimates the items a message of this tenant holds (batch
	// messages hold many), so that a pull asks for about as many
	// messages as there is room for their events.
	perMsg float64
}

// heldMsg is one item of work: a message of its own (an event or a
// delivery), or one event of a batch message.
type heldMsg struct {
	msg   jetstream.Msg // for a batch's event, the batch message
	batch *heldBatch    // set for a batch's event
	index int           // of the event in batch
	since time.Time
}

func newDispatcher(q *Queue) *dispatcher {
	s := &dispatcher{
		q:        q,
		capacity: q.cfg.Prefetch,
		refill:   max(1, q.cfg.Prefetch/4),
		tenants:  make(map[string]*tenantQueue),
		slots:    make([]heldMsg, q.cfg.Workers),
		wake:     make(chan struct{}, 1),
	}
	s.work = sync.NewCond(&s.mu)
	return s
}

func (s *dispatcher) nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// markReady says tenant may have deliveries to fetch.
func (s *dispatcher) markReady(tenant string) {
	if !validToken(tenant, 128) {
		return
	}
	s.mu.Lock()
	t := s.tenants[tenant]
	if t == nil {
		t = &tenantQueue{id: tenant, perMsg: 1}
		s.tenants[tenant] = t
	}
	t.gen++
	if t.ready {
		// Already in the fetcher's list: it is either pulling now (and the
		// new gen keeps the tenant ready if that pull comes back short) or
		// waiting for room, which done announces.
		s.mu.Unlock()
		return
	}
	t.ready = true
	s.ready = append(s.ready, t)
	s.mu.Unlock()
	s.nudge()
}

// readyAfter marks tenant ready once a delayed retry comes due.
func (s *dispatcher) readyAfter(tenant string, delay time.Duration) {
	time.AfterFunc(delay+5*time.Millisecond, func() { s.markReady(tenant) })
}

// fetchLoop pulls deliveries while there is room and a ready tenant.
func (s *dispatcher) fetchLoop(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-s.wake:
		}
		for {
			more, err := s.fetchRound()
			if err != nil {
				s.q.log.Warn("fetch deliveries", "err", err)
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			if !more {
				break
			}
		}
	}
}

// fetchRound makes one pull for the next ready tenant. It reports whether
// there may be more to do.
func (s *dispatcher) fetchRound() (bool, error) {
	s.mu.Lock()
	free := s.capacity - s.held
	waiting := s.held - s.running
	if s.stopping || len(s.ready) == 0 {
		s.mu.Unlock()
		return false, nil
	}
	i := 0
	if free <= 0 || (free < s.refill && waiting > 0) {
		// Too little room to be worth a round, except for a ready tenant
		// with nothing fetched: it must not wait until the work of others
		// that is already here drains. It gets one message even when
		// batches overran the room, as long as fewer than capacity
		// messages are held.
		i = slices.IndexFunc(s.ready, func(t *tenantQueue) bool { return len(t.buf) == 0 })
		if i < 0 || (free <= 0 && s.messages >= s.capacity) {
			s.mu.Unlock()
			return false, nil
		}
	}
	t := s.ready[i]
	copy(s.ready[i:], s.ready[i+1:])
	s.ready[len(s.ready)-1] = t
	// Ask for as many messages as there is room for their items.
	n := min(maxFetch, max(1, int(float64(free/len(s.ready))/t.perMsg)))
	gen := t.gen
	s.held += n // reserve the room while unlocked
	s.messages += n
	s.mu.Unlock()

	msgs, err := s.fetch(t, n)
	items, kept := s.expand(msgs)

	s.mu.Lock()
	defer s.mu.Unlock()
	// The room counts items: batches can overrun it, by their size at most
	// when perMsg is right.
	s.held += len(items) - n
	s.messages += kept - n
	if len(msgs) > 0 {
		// Rise at once, fall slowly: an estimate too low overruns the
		// room, one too high only makes smaller pulls.
		t.perMsg = max(float64(len(items))/float64(len(msgs)), 1+(t.perMsg-1)*3/4)
	}
	if len(items) > 0 {
		t.buf = append(t.buf, items...)
		if !t.inWait {
			t.inWait = true
			s.waiting = append(s.waiting, t)
		}
		// One waiting worker per item, not all of them.
		for range min(len(items), len(s.slots)) {
			s.work.Signal()
		}
	}
	if (err != nil || len(msgs) < n) && t.gen == gen && t.ready {
		t.ready = false
		s.ready = removeTenant(s.ready, t)
	}
	if s.stopping {
		return false, err
	}
	return true, err
}

func removeTenant(list []*tenantQueue, t *tenantQueue) []*tenantQueue {
	for i, x := range list {
		if x == t {
			copy(list[i:], list[i+1:])
			list[len(list)-1] = nil
			return list[:len(list)-1]
		}
	}
	return list
}

// fetch pulls up to n available deliveries of t, creating its consumer on
// first use (or after the server removed it for inactivity).
func (s *dispatcher) fetch(t *tenantQueue, n int) ([]jetstream.Msg, error) {
	q := s.q
	if t.consumer == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:           q.names.tenantConsumer(t.id),
			Description:       "Kiln events and deliveries of tenant " + t.id,
			FilterSubject:     q.names.tenantFilter(t.id),
			AckPolicy:         jetstream.AckExplicitPolicy,
			AckWait:           q.cfg.AckWait,
			MaxDeliver:        -1,
			MaxAckPending:     -1,
			InactiveThreshold: time.Hour,
			Replicas:          q.cfg.Replicas,
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("create consumer for tenant %s: %w", t.id, err)
		}
		t.consumer = c
	}
	batch, err := t.consumer.FetchNoWait(n)
	if err != nil {
		if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
			t.consumer = nil
		}
		return nil, fmt.Errorf("fetch deliveries of tenant %s: %w", t.id, err)
	}
	msgs := make([]jetstream.Msg, 0, n)
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
			t.consumer = nil
		}
		return msgs, fmt.Errorf("fetch deliveries of tenant %s: %w", t.id, err)
	}
	return msgs, nil
}

// expand turns fetched messages into items of work: a batch message
// becomes one item per event, which workers run concurrently. A batch that
// cannot be decoded is terminated. kept is the number of messages the
// items come from.
func (s *dispatcher) expand(msgs []jetstream.Msg) (items []heldMsg, kept int) {
	q := s.q
	now := time.Now()
	items = make([]heldMsg, 0, len(msgs))
	for _, m := range msgs {
		tenant, kind := q.names.subjectKind(m.Subject())
		if kind != kindBatch {
			items = append(items, heldMsg{msg: m, since: now})
			kept++
			continue
		}
		events, err := decodeBatch(m.Data(), tenant)
		if err != nil {
			q.log.Error("dropping a batch of events that cannot be decoded", "subject", m.Subject(), "err", err)
			_ = m.TermWithReason("undecodable")
			continue
		}
		meta, err := m.Metadata()
		if err != nil {
			q.log.Error("batch without metadata", "subject", m.Subject(), "err", err)
			_ = m.Nak()
			continue
		}
		b := &heldBatch{msg: m, tenant: tenant, events: events, redelivered: q.mayHaveRun(meta), since: now, unfinished: len(events)}
		b.left.Store(int32(len(events)))
		kept++
		if b.redelivered {
			q.counters.redelivered.Add(1)
		}
		for i := range events {
			items = append(items, heldMsg{msg: m, batch: b, index: i, since: now})
		}
	}
	return items, kept
}

// finished counts hm's message out once hm was its last item. s.mu is held.
func (s *dispatcher) finished(hm heldMsg) {
	if b := hm.batch; b != nil {
		if b.unfinished--; b.unfinished > 0 {
			return
		}
	}
	s.messages--
}

// take blocks until an item is waiting and hands it to worker slot, or
// reports false once the dispatcher stops. Tenants are served round-robin.
// finished says that the slot's previous item is done: its room is
// released under the same lock.
func (s *dispatcher) take(slot int, finished bool) (heldMsg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if finished {
		s.release(slot)
	}
	for len(s.waiting) == 0 && !s.stopping {
		s.work.Wait()
	}
	if s.stopping {
		return heldMsg{}, false
	}
	i := s.next % len(s.waiting)
	t := s.waiting[i]
	hm := t.buf[0]
	t.buf[0] = heldMsg{}
	t.buf = t.buf[1:]
	if len(t.buf) == 0 {
		t.buf = nil
		t.inWait = false
		copy(s.waiting[i:], s.waiting[i+1:])
		s.waiting[len(s.waiting)-1] = nil
		s.waiting = s.waiting[:len(s.waiting)-1]
		s.next = i
	} else {
		s.next = i + 1
	}
	s.running++
	hm.since = time.Now()
	s.slots[slot] = hm
	return hm, true
}

// release frees the room of the delivery worker slot ran, and wakes the
// fetcher when that room makes a pull worth it: the free room reaches the
// refill mark, or a ready tenant has nothing fetched (it is pulled as soon
// as there is room for one message). Otherwise the fetcher is pulling
// already, or has no tenant to pull from (markReady wakes it then).
// s.mu is held.
func (s *dispatcher) release(slot int) {
	s.held--
	s.running--
	s.finished(s.slots[slot])
	s.slots[slot] = heldMsg{}
	free := s.capacity - s.held
	switch {
	case len(s.ready) == 0 || free > s.refill:
	case free == s.refill || s.held == s.running ||
		slices.ContainsFunc(s.ready, func(t *tenantQueue) bool { return len(t.buf) == 0 }):
		s.nudge()
	}
}

// heartbeat tells the server that every message held longer than age is
// still being worked on, so that AckWait does not run out on it. A batch
// message counts from its fetch while any of its events is held, and gets
// one heartbeat however many of them are.
func (s *dispatcher) heartbeat(age time.Duration) {
	now := time.Now()
	var msgs []jetstream.Msg
	beaten := make(map[*heldBatch]bool)
	add := func(hm heldMsg) {
		switch {
		case hm.msg == nil:
		case hm.batch == nil:
			if now.Sub(hm.since) >= age {
				msgs = append(msgs, hm.msg)
			}
		case !beaten[hm.batch] && now.Sub(hm.batch.since) >= age:
			beaten[hm.batch] = true
			msgs = append(msgs, hm.msg)
		}
	}
	s.mu.Lock()
	for _, t := range s.waiting {
		for _, hm := range t.buf {
			add(hm)
		}
	}
	for _, hm := range s.slots {
		add(hm)
	}
	s.mu.Unlock()
	for _, m := range msgs {
		if err := m.InProgress(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			s.q.log.Debug("heartbeat", "err", err)
		}
	}
}

// stop makes take return false and returns the items fetched but not
// started, for the caller to give back so that another node (or the next
// start) takes them at once.
func (s *dispatcher) stop() []heldMsg {
	s.mu.Lock()
	s.stopping = true
	var back []heldMsg
	for _, t := range s.waiting {
		back = append(back, t.buf...)
		for _, hm := range t.buf {
			s.finished(hm)
		}
		t.buf, t.inWait = nil, false
	}
	s.waiting = nil
	s.held -= len(back)
	s.work.Broadcast()
	s.mu.Unlock()
	return back
}

func (s *dispatcher) stats(st *Stats) {
	s.mu.Lock()
	st.Running, st.Held, st.Tenants = s.running, s.held, len(s.tenants)
	s.mu.Unlock()
}
