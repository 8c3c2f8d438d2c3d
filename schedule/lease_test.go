package schedule

import (
	"context"
	"sync"
	"testing"
	"time"
)

// newLeaseFunc returns a Lease for one more node; all of a test's leases
// share their state.
type newLeaseFunc func(t *testing.T, cfg KVLeaseConfig) Lease

// TestLease runs one conformance suite against the memory lease and the KV
// lease (embedded JetStream, and the external NATS 2.9 when there is one).
func TestLease(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		shared := NewMemoryLease()
		exerciseLease(t, func(*testing.T, KVLeaseConfig) Lease { return shared }, false)
	})
	t.Run("kv", func(t *testing.T) {
		t.Parallel()
		eachNATS(t, func(t *testing.T, b natsBackend) {
			bucket := uniqueBucket(t, connect(t, b.url))
			exerciseLease(t, func(t *testing.T, cfg KVLeaseConfig) Lease { return kvLease(t, b.url, bucket, cfg) }, true)
			t.Run("buckets", func(t *testing.T) {
				ctx := context.Background()
				claims, err := connect(t, b.url).KeyValue(ctx, bucket+"_CLAIMS")
				if err != nil {
					t.Fatal(err)
				}
				st, err := claims.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if st.TTL() != DefaultClaimTTL || st.History() != 1 {
					t.Errorf("claims bucket TTL %s, history %d; want %s, 1", st.TTL(), st.History(), DefaultClaimTTL)
				}
			})
		})
	})
}

func exerciseLease(t *testing.T, newLease newLeaseFunc, kv bool) {
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)

	t.Run("claim", func(t *testing.T) {
		a, b := newLease(t, KVLeaseConfig{}), newLease(t, KVLeaseConfig{})
		claim := func(l Lease, job string, at time.Time) bool {
			t.Helper()
			won, err := l.Claim(ctx, job, at)
			if err != nil {
				t.Fatalf("Claim: %v", err)
			}
			return won
		}
		if !claim(a, "claim-job", at) {
			t.Fatal("first claim lost")
		}
		if claim(b, "claim-job", at) {
			t.Error("second node won a claimed due time")
		}
		if kv && !claim(a, "claim-job", at) {
			t.Error("claiming again from the winning lease (a retry) lost")
		}
		if !claim(b, "claim-job", at.Add(time.Second)) || !claim(b, "claim-job-2", at) {
			t.Error("a claim of another due time or job lost")
		}
		// Many nodes at once: exactly one winner.
		leases := []Lease{a, b, newLease(t, KVLeaseConfig{}), newLease(t, KVLeaseConfig{})}
		var wg sync.WaitGroup
		wins := make([]bool, len(leases))
		for i, l := range leases {
			wg.Go(func() { wins[i], _ = l.Claim(ctx, "claim-race", at) })
		}
		wg.Wait()
		n := 0
		for _, w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d leases won one due time, want 1", n)
		}
	})

	t.Run("last", func(t *testing.T) {
		a, b := newLease(t, KVLeaseConfig{}), newLease(t, KVLeaseConfig{})
		if _, ok, err := a.Last(ctx, "last-job"); err != nil || ok {
			t.Fatalf("Last of a job never run = ok %v, err %v", ok, err)
		}
		for _, when := range []time.Time{at.Add(123456789), at.Add(time.Hour)} {
			if err := a.SetLast(ctx, "last-job", when); err != nil {
				t.Fatalf("SetLast: %v", err)
			}
			got, ok, err := b.Last(ctx, "last-job")
			if err != nil || !ok || !got.Equal(when) {
				t.Errorf("Last = %s, %v, %v; want %s", got, ok, err, when)
			}
		}
	})

	t.Run("hold", func(t *testing.T) {
		a, b := newLease(t, KVLeaseConfig{}), newLease(t, KVLeaseConfig{})
		hold := func(l Lease, job string, at time.Time) (ReleaseFunc, bool) {
			t.Helper()
			release, ok, err := l.Hold(ctx, job, at)
			if err != nil {
				t.Fatalf("Hold: %v", err)
			}
			return release, ok
		}
		release, ok := hold(a, "hold-job", at)
		if !ok {
			t.Fatal("first hold refused")
		}
		if _, ok := hold(b, "hold-job", at.Add(time.Second)); ok {
			t.Error("a second node held a held job")
		}
		other, ok := hold(b, "hold-job-2", at)
		if !ok {
			t.Error("holding another job refused")
		}
		if err := release(ctx); err != nil {
			t.Errorf("release: %v", err)
		}
		if err := release(ctx); err != nil {
			t.Errorf("second release: %v", err)
		}
		again, ok := hold(b, "hold-job", at.Add(time.Second))
		if !ok {
			t.Fatal("holding a released job refused")
		}
		for _, r := range []ReleaseFunc{again, other} {
			if err := r(ctx); err != nil {
				t.Errorf("release: %v", err)
			}
		}
	})

	if !kv {
		return
	}

	t.Run("hold retried by its owner", func(t *testing.T) {
		a := newLease(t, KVLeaseConfig{})
		r1, ok1, err1 := a.Hold(ctx, "retry-job", at)
		r2, ok2, err2 := a.Hold(ctx, "retry-job", at)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			t.Fatalf("Hold twice for one due time = %v %v, %v %v; want both held", ok1, err1, ok2, err2)
		}
		for _, r := range []ReleaseFunc{r2, r1} {
			if err := r(ctx); err != nil {
				t.Errorf("release: %v", err)
			}
		}
	})

	t.Run("hold left by this node", func(t *testing.T) {
		a, b := newLease(t, KVLeaseConfig{}), newLease(t, KVLeaseConfig{})
		r1, _, _ := a.Hold(ctx, "left-job", at)
		r2, ok, err := a.Hold(ctx, "left-job", at.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("Hold over this node's own earlier hold = %v, %v; want held", ok, err)
		}
		if err := r1(ctx); err != nil {
			t.Errorf("late release of the earlier hold: %v", err)
		}
		if _, ok, _ := b.Hold(ctx, "left-job", at); ok {
			t.Error("the earlier hold's late release freed the new one")
		}
		if err := r2(ctx); err != nil {
			t.Errorf("release: %v", err)
		}
	})

	t.Run("stale hold", func(t *testing.T) {
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		cfg := KVLeaseConfig{HoldTimeout: time.Minute, Now: clock}
		a, b := newLease(t, cfg), newLease(t, cfg)
		ra, ok, err := a.Hold(ctx, "stale-job", at)
		if err != nil || !ok {
			t.Fatalf("Hold = %v, %v", ok, err)
		}
		mu.Lock()
		now = now.Add(59 * time.Second)
		mu.Unlock()
		if _, ok, _ := b.Hold(ctx, "stale-job", at.Add(time.Minute)); ok {
			t.Fatal("a hold within HoldTimeout was taken over")
		}
		mu.Lock()
		now = now.Add(2 * time.Second)
		mu.Unlock()
		rb, ok, err := b.Hold(ctx, "stale-job", at.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("taking over a stale hold = %v, %v", ok, err)
		}
		if err := ra(ctx); err != nil {
			t.Errorf("release of the stale hold: %v", err)
		}
		if _, ok, _ := a.Hold(ctx, "stale-job", at.Add(2*time.Minute)); ok {
			t.Error("the stale hold's release freed the new holder's")
		}
		if err := rb(ctx); err != nil {
			t.Errorf("release: %v", err)
		}
	})

	t.Run("hold refreshed while running", func(t *testing.T) {
		// Held for 3x HoldTimeout; a refresh (every HoldTimeout/3) may
		// come about 600 ms late on a loaded machine before the hold
		// goes stale.
		cfg := KVLeaseConfig{HoldTimeout: time.Second}
		a, b := newLease(t, cfg), newLease(t, cfg)
		ra, ok, err := a.Hold(ctx, "refresh-job", at)
		if err != nil || !ok {
			t.Fatalf("Hold = %v, %v", ok, err)
		}
		time.Sleep(3 * cfg.HoldTimeout)
		if _, ok, _ := b.Hold(ctx, "refresh-job", at.Add(time.Second)); ok {
			t.Error("a refreshed hold was taken over")
		}
		if err := ra(ctx); err != nil {
			t.Errorf("release: %v", err)
		}
	})
}

func TestKVLeaseConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []KVLeaseConfig{
		{Bucket: "bad.name"},
		{ClaimTTL: time.Second},
		{HoldTimeout: time.Millisecond},
		{Replicas: 7},
	} {
		if err := cfg.WithDefaults().Validate(); err == nil {
			t.Errorf("%+v validated", cfg)
		}
	}
	if err := (KVLeaseConfig{}).WithDefaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
