package fair

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func unlimited(string) int { return 1 << 30 }

// TestWaitOutcomes: a wait ends granted, at its deadline, or with its
// context, and the reused waiters carry nothing from one wait to the next.
func TestWaitOutcomes(t *testing.T) {
	s := New(1, 100, unlimited)
	ctx := context.Background()
	if err := s.Acquire(ctx, "a", time.Time{}); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		// Past the deadline: ErrFull, counted as a refusal.
		if err := s.Acquire(ctx, "b", time.Now().Add(10*time.Millisecond)); !errors.Is(err, ErrFull) {
			t.Fatalf("round %d: wait past its deadline = %v, want ErrFull", round, err)
		}
		// Cancelled: the context's error.
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(5*time.Millisecond, cancel)
		if err := s.Acquire(cctx, "b", time.Now().Add(time.Hour)); !errors.Is(err, context.Canceled) {
			t.Fatalf("round %d: cancelled wait = %v", round, err)
		}
		// Granted when the holder releases, well before a long deadline.
		done := make(chan error, 1)
		go func() { done <- s.Acquire(ctx, "b", time.Now().Add(time.Hour)) }()
		for s.Waiting() == 0 {
			time.Sleep(time.Millisecond)
		}
		s.Release("a")
		if err := <-done; err != nil {
			t.Fatalf("round %d: granted wait = %v", round, err)
		}
		s.Release("b")
		if err := s.Acquire(ctx, "a", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Held != 1 || st.Waiting != 0 || st.Refused != 3 {
		t.Errorf("stats %+v, want 1 held, none waiting, 3 refused", st)
	}
}

// TestRoundRobin: with one unit, a key with many waiters and a key with
// one are served alternately, not first come first served.
func TestRoundRobin(t *testing.T) {
	s := New(1, 100, unlimited)
	ctx := context.Background()
	if err := s.Acquire(ctx, "busy", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	start := func(key string) {
		queued := s.Waiting() + 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Acquire(ctx, key, time.Time{}); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, key)
			mu.Unlock()
			s.Release(key)
		}()
		for s.Waiting() < queued {
			time.Sleep(time.Millisecond) // until it is queued
		}
	}
	for range 5 {
		start("busy")
	}
	start("quiet")
	s.Release("busy")
	wg.Wait()
	if len(order) != 6 || order[1] != "quiet" {
		t.Errorf("served %v; want quiet second, after one of busy's five", order)
	}
}

// TestSolo: a key alone may use the solo units; once another key asks, the
// lone key gets no more until the holders are back within the capacity,
// the other key is served first, and the lone key counts as alone again
// only after soloQuiet without the other.
func TestSolo(t *testing.T) {
	s := New(1, 100, func(string) int { return 1 })
	s.SetSolo(1)
	ctx := context.Background()
	soon := func() time.Time { return time.Now().Add(20 * time.Millisecond) }
	for range 2 {
		if err := s.Acquire(ctx, "a", soon()); err != nil {
			t.Fatalf("lone key's units: %v", err)
		}
	}
	if err := s.Acquire(ctx, "a", soon()); !errors.Is(err, ErrFull) {
		t.Fatalf("a third unit past capacity and solo: %v, want ErrFull", err)
	}
	granted := make(chan error, 1)
	go func() { granted <- s.Acquire(ctx, "b", time.Now().Add(5*time.Second)) }()
	for s.Waiting() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Release("a") // 1 held: not within capacity 1 while b waits
	select {
	case err := <-granted:
		t.Fatalf("b granted while a still holds the capacity: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.Release("a")
	if err := <-granted; err != nil {
		t.Fatalf("b after a is back within capacity: %v", err)
	}
	s.Release("b")
	// b asked just now: a is not alone, so one unit only.
	if err := s.Acquire(ctx, "a", soon()); err != nil {
		t.Fatal(err)
	}
	if err := s.Acquire(ctx, "a", soon()); !errors.Is(err, ErrFull) {
		t.Fatalf("solo unit just after b asked: %v, want ErrFull", err)
	}
	time.Sleep(soloQuiet + 50*time.Millisecond)
	if err := s.Acquire(ctx, "a", soon()); err != nil {
		t.Fatalf("solo unit after soloQuiet without b: %v", err)
	}
}

// TestDemote: a holder demoted while another key waits gives its unit to
// the waiter and keeps running as overtime (a waiter of its own key is no
// reason); a key at its overtime cap is
// granted nothing until one of its demoted units ends; with nobody
// waiting, Demote keeps the unit where it is.
func TestDemote(t *testing.T) {
	s := New(1, 100, unlimited)
	s.SetOvertime(1)
	ctx := context.Background()
	if err := s.Acquire(ctx, "a", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if s.Demote("a") {
		t.Fatal("Demote with nobody waiting must keep the unit")
	}
	acquired := func(key string) chan error {
		done := make(chan error, 1)
		go func() { done <- s.Acquire(ctx, key, time.Now().Add(time.Hour)) }()
		return done
	}
	waitFor := func(n int) {
		for s.Waiting() != n {
			time.Sleep(time.Millisecond)
		}
	}
	// a's own waiter is no reason: a's holders are a's business.
	own := acquired("a")
	waitFor(1)
	if s.Demote("a") {
		t.Fatal("Demote for the same key's waiter must keep the unit")
	}
	s.Release("a")
	if err := <-own; err != nil {
		t.Fatal(err)
	}
	b := acquired("b")
	waitFor(1)
	if !s.Demote("a") {
		t.Fatal("Demote with a waiter must give the unit away")
	}
	if err := <-b; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Held != 1 || st.Overtime != 1 {
		t.Fatalf("after the demotion: %+v, want b holding and a's overtime", st)
	}
	// a is at its overtime cap: its next holder waits even once the unit
	// is free, and c, arriving later, is served first.
	a2 := acquired("a")
	waitFor(1)
	c := acquired("c")
	waitFor(2)
	s.Release("b")
	if err := <-c; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a2:
		t.Fatalf("a was granted past its overtime cap (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.Release("c")
	select {
	case err := <-a2:
		t.Fatalf("a was granted past its overtime cap with the unit free (%v)", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.EndOvertime("a")
	if err := <-a2; err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Held != 1 || st.Overtime != 0 || st.Waiting != 0 {
		t.Fatalf("at the end: %+v", st)
	}
}
