// Package fair is a counting semaphore shared fairly between keys (tenants):
// at most Capacity holders at once, at most a per-key quota each, and when
// holders must wait, keys are served round-robin, one grant per key per
// turn, so a key with a thousand waiters delays another key's single waiter
// by at most one release. Waiting is bounded by a queue limit and the
// caller's deadline.
package fair

import (
	"container/list"
	"context"
	"errors"
	"sync"
	"time"
)

// ErrFull is returned when the queue limit is reached or the wait passed
// its deadline.
var ErrFull = errors.New("no capacity: the queue is full or the wait passed its deadline")

// Semaphore is safe for concurrent use.
type Semaphore struct {
	capacity   int
	queueLimit int
	quota      func(key string) int

	// solo is the extra units a key may hold while it is alone (SetSolo);
	// recent are the last two distinct keys that asked, newest first.
	solo   int
	recent [2]asker
	// overtimeCap is how many demoted units a key may have before it is
	// granted no more (SetOvertime; 0: no cap).
	overtimeCap int

	mu    sync.Mutex
	held  int
	byKey map[string]int
	// overtime counts each key's demoted units (Demote): given back to
	// the capacity, still in use by their holders.
	overtime map[string]int
	queues   map[string]*list.List // waiters per key (FIFO)
	ring     []string              // keys with waiters, in round-robin order
	next     int
	waiting  int
	refused  int64
}

// waiter is one Acquire waiting. Waiters are reused (waiters): a busy
// server waits here twice per request (a pool slot, then a CPU turn), and
// the waiter, its channel and its timer were most of the wait's cost.
type waiter struct {
	key   string
	ready chan struct{} // receives one value when granted
	elem  *list.Element
	timer *time.Timer // the deadline, made on first use
}

var waiters = sync.Pool{New: func() any { return &waiter{ready: make(chan struct{}, 1)} }}

// recycle returns w to the pool: not granted, or its grant received.
func (w *waiter) recycle() {
	w.key, w.elem = "", nil
	waiters.Put(w)
}

// New returns a semaphore of capacity holders. quota gives each key's cap
// (called with the semaphore's lock held: keep it quick); queueLimit caps
// waiters across keys.
func New(capacity, queueLimit int, quota func(key string) int) *Semaphore {
	return &Semaphore{capacity: capacity, queueLimit: queueLimit, quota: quota,
		byKey: map[string]int{}, overtime: map[string]int{}, queues: map[string]*list.List{}}
}

// Acquire takes one unit for key, waiting its fair turn until deadline (the
// zero time: no deadline) or ctx ends. It returns ErrFull or ctx's error.
func (s *Semaphore) Acquire(ctx context.Context, key string, deadline time.Time) error {
	s.mu.Lock()
	s.noteAsker(key)
	if s.waiting == 0 && s.mayGrant(key) {
		s.grant(key)
		s.mu.Unlock()
		return nil
	}
	if s.waiting >= s.queueLimit {
		s.refused++
		s.mu.Unlock()
		return ErrFull
	}
	w := s.enqueue(key)
	s.dispatch()
	s.mu.Unlock()

	var timeout <-chan time.Time
	if !deadline.IsZero() {
		if w.timer == nil {
			w.timer = time.NewTimer(time.Until(deadline))
		} else {
			w.timer.Reset(time.Until(deadline))
		}
		timeout = w.timer.C
	}
	stopTimer := func() {
		if timeout != nil {
			w.timer.Stop() // no stale tick afterwards (Go 1.23 timers)
		}
	}
	var cause error
	select {
	case <-w.ready:
		stopTimer()
		w.recycle()
		return nil
	case <-timeout:
		cause = ErrFull
	case <-ctx.Done():
		cause = ctx.Err()
	}
	stopTimer()
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-w.ready:
		w.recycle()
		return nil // granted while giving up: keep it
	default:
	}
	s.dequeue(w)
	w.recycle()
	if errors.Is(cause, ErrFull) {
		s.refused++
	}
	return cause
}

// Release returns key's unit and hands free units to waiters.
func (s *Semaphore) Release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held--
	if s.byKey[key]--; s.byKey[key] <= 0 {
		delete(s.byKey, key)
	}
	s.dispatch()
}

// Demote gives key's held unit back to the capacity while its holder goes
// on, as overtime, if another key waits and could take it; it reports
// whether it did. A holder
// that has run past its slice thus stops keeping waiters out, and the Go
// scheduler shares the cores between it and them. Once a key has
// SetOvertime's cap of demoted units, its waiters are granted nothing more
// until one of them ends (EndOvertime): one key's long holders cannot fill
// the cores with goroutines.
func (s *Semaphore) Demote(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waiting == 0 {
		return false
	}
	s.held--
	if s.byKey[key]--; s.byKey[key] <= 0 {
		delete(s.byKey, key)
	}
	// Only for another key: which of key's own holders goes first is
	// key's business, and a lone key keeps every unit busy.
	other := false
	for _, k := range s.ring {
		if k != key && s.mayGrant(k) {
			other = true
			break
		}
	}
	if !other {
		s.held++
		s.byKey[key]++
		return false
	}
	s.overtime[key]++
	s.dispatch()
	return true
}

// EndOvertime ends one of key's demoted units (its holder is done, or
// waits).
func (s *Semaphore) EndOvertime(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.overtime[key]--; s.overtime[key] <= 0 {
		delete(s.overtime, key)
	}
	s.dispatch()
}

// SetOvertime caps each key's demoted units (Demote): past it, the key is
// granted nothing more until one ends. 0 means no cap. Call it before the
// semaphore is used.
func (s *Semaphore) SetOvertime(limit int) { s.overtimeCap = max(0, limit) }

// Changed re-checks the waiters after quotas changed.
func (s *Semaphore) Changed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dispatch()
}

// Stats is a snapshot.
type Stats struct {
	Held, Waiting int
	// Overtime is the demoted units still in use (Demote).
	Overtime int
	Refused  int64
	// ByKey is each key's held and waiting units.
	ByKey map[string][2]int
}

// Stats returns the semaphore's state.
func (s *Semaphore) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Held: s.held, Waiting: s.waiting, Refused: s.refused, ByKey: map[string][2]int{}}
	for _, n := range s.overtime {
		st.Overtime += n
	}
	for k, n := range s.byKey {
		v := st.ByKey[k]
		v[0] = n
		st.ByKey[k] = v
	}
	for k, q := range s.queues {
		v := st.ByKey[k]
		v[1] = q.Len()
		st.ByKey[k] = v
	}
	return st
}

// Refuse counts a refusal made outside Acquire (a caller's own limit).
func (s *Semaphore) Refuse() {
	s.mu.Lock()
	s.refused++
	s.mu.Unlock()
}

// Waiting is how many waiters there are.
func (s *Semaphore) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waiting
}

// SetSolo lets a key that is alone — no other key holds a unit, waits, or
// asked within soloQuiet — hold extra units past the capacity and its
// quota, so a lone tenant can use capacity that fairness keeps back only
// for others' sake. Once another key asks, grants stop until the holders
// are back within the capacity. Call it before the semaphore is used.
func (s *Semaphore) SetSolo(extra int) { s.solo = max(0, extra) }

// mayGrant reports whether key may take a unit now: room in the capacity
// and in key's quota, both raised by solo while key is alone.
func (s *Semaphore) mayGrant(key string) bool {
	extra := 0
	if s.solo > 0 && s.alone(key) {
		extra = s.solo
	}
	return s.held < s.capacity+extra && s.byKey[key] < s.quota(key)+extra &&
		(s.overtimeCap == 0 || s.overtime[key] < s.overtimeCap)
}

// soloQuiet is how long no other key may have asked for a unit before a
// key counts as alone: a tenant sending a request every few milliseconds
// beside a flood is not to find all the capacity taken each time.
const soloQuiet = time.Second

// alone reports whether no key but key holds or waits, and no other key
// asked for a unit within soloQuiet.
func (s *Semaphore) alone(key string) bool {
	switch len(s.byKey) {
	case 0:
	case 1:
		if s.byKey[key] == 0 {
			return false
		}
	default:
		return false
	}
	if len(s.ring) > 1 || len(s.ring) == 1 && s.ring[0] != key {
		return false
	}
	other := s.recent[0]
	if other.key == key {
		other = s.recent[1]
	}
	return other.key == "" || time.Since(other.at) > soloQuiet
}

// noteAsker records key as the latest to ask. Call with mu held.
func (s *Semaphore) noteAsker(key string) {
	if s.solo == 0 {
		return
	}
	now := time.Now()
	if s.recent[0].key != key {
		s.recent[1] = s.recent[0]
	}
	s.recent[0] = asker{key, now}
}

type asker struct {
	key string
	at  time.Time
}

func (s *Semaphore) grant(key string) {
	s.held++
	s.byKey[key]++
}

func (s *Semaphore) enqueue(key string) *waiter {
	q := s.queues[key]
	if q == nil {
		q = list.New()
		s.queues[key] = q
		s.ring = append(s.ring, key)
	}
	w := waiters.Get().(*waiter)
	w.key = key
	w.elem = q.PushBack(w)
	s.waiting++
	return w
}

func (s *Semaphore) dequeue(w *waiter) {
	q := s.queues[w.key]
	q.Remove(w.elem)
	s.waiting--
	if q.Len() == 0 {
		s.dropFromRing(w.key)
	}
}

func (s *Semaphore) dropFromRing(key string) {
	delete(s.queues, key)
	for i, k := range s.ring {
		if k == key {
			s.ring = append(s.ring[:i], s.ring[i+1:]...)
			if s.next > i {
				s.next--
			}
			break
		}
	}
	if s.next >= len(s.ring) {
		s.next = 0
	}
}

// dispatch grants free units to waiting keys in round-robin order,
// skipping keys at their quota.
func (s *Semaphore) dispatch() {
	for s.held < s.capacity+s.solo && s.waiting > 0 {
		granted := false
		for range len(s.ring) {
			if s.next >= len(s.ring) {
				s.next = 0
			}
			key := s.ring[s.next]
			if !s.mayGrant(key) {
				s.next++
				continue
			}
			q := s.queues[key]
			w := q.Remove(q.Front()).(*waiter)
			s.waiting--
			s.grant(key)
			w.ready <- struct{}{} // never blocks: one grant per wait, room for one
			if q.Len() == 0 {
				s.dropFromRing(key) // keeps s.next on the following key
			} else {
				s.next++
			}
			granted = true
			break
		}
		if !granted {
			return // every waiting key is at its quota
		}
	}
}
