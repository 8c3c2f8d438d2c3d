package schedule

import (
	"context"
	"testing"
	"time"
)

// The tests in this file run on the real clock (and real NATS): they check
// what synctest cannot, that timers and the KV lease fire on time.

// onTime is how far from its due time a run may fire on a loaded 2-core
// machine under the race detector. Schedulers aim for a few milliseconds.
const onTime = 200 * time.Millisecond

func checkOnTime(t *testing.T, events []event) {
	t.Helper()
	var worst time.Duration
	for _, e := range events {
		late := e.at.Sub(e.scheduledAt)
		if late < 0 || late > onTime {
			t.Errorf("%s due at %s fired %s late (on %s)", e.job, e.scheduledAt.Format("15:04:05.000"), late, e.node)
		}
		worst = max(worst, late)
	}
	if len(events) > 0 {
		t.Logf("%d runs of %s fired at most %s after their due time", len(events), events[0].job, worst)
	}
}

// dueTimes returns the whole seconds in (from, to].
func dueTimes(from, to time.Time) []time.Time {
	var out []time.Time
	for s := from.Truncate(time.Second).Add(time.Second); !s.After(to); s = s.Add(time.Second) {
		out = append(out, s)
	}
	return out
}

// checkEachOnce checks that every due time in want appears exactly once in
// events, and no due time appears twice.
func checkEachOnce(t *testing.T, what string, events []event, want []time.Time) {
	t.Helper()
	count := map[int64]int{}
	for _, e := range events {
		count[e.scheduledAt.UnixNano()]++
	}
	for at, n := range count {
		if n > 1 {
			t.Errorf("%s: due time %s handled %d times", what, time.Unix(0, at).Format("15:04:05.000"), n)
		}
	}
	for _, w := range want {
		if count[w.UnixNano()] != 1 {
			t.Errorf("%s: due time %s handled %d times, want 1", what, w.Format("15:04:05.000"), count[w.UnixNano()])
		}
	}
}

// TestRealTime fires a secondly job on the real clock, and a slow one that
// overlaps its next runs.
func TestRealTime(t *testing.T) {
	t.Parallel()
	rec := newRecorder()
	rec.sleep["slow"] = 2500 * time.Millisecond
	s := newScheduler(t, Config{Lease: NewMemoryLease(), Skipped: rec.skipped("n")}, []Job{
		{ID: "tick", Spec: mustParse(t, "*/1 * * * * *", "")},
		{ID: "slow", Spec: mustParse(t, "*/1 * * * * *", "")},
	}, rec.fire("n"))
	start := time.Now() // due times count from when the scheduler runs
	time.Sleep(5300 * time.Millisecond)
	end := time.Now()
	stop(t, s)

	want := dueTimes(start, end.Add(-onTime))
	ticks := rec.get("tick", false)
	checkEachOnce(t, "tick", ticks, want)
	checkOnTime(t, ticks)

	fired, skipped := rec.get("slow", false), rec.get("slow", true)
	checkEachOnce(t, "slow", append(fired, skipped...), want)
	checkOnTime(t, fired)
	if len(fired) < 2 || len(skipped) < 3 {
		t.Errorf("slow fired %d and skipped %d times in 5 s, want a fire every third second and skips between", len(fired), len(skipped))
	}
	for i := 1; i < len(fired); i++ {
		if gap := fired[i].scheduledAt.Sub(fired[i-1].scheduledAt); gap != 3*time.Second {
			t.Errorf("slow fired %s after the previous run, want 3s (2.5 s runs on a 1 s schedule)", gap)
		}
	}
	if o := rec.overlaps(); len(o) > 0 {
		t.Errorf("overlapping runs: %v", o)
	}
}

// TestMultiNode runs two schedulers, each with its own KV lease on one
// bucket, as two nodes do: each due time fires once in total, on time, and
// the slow job's runs don't overlap across the nodes.
func TestMultiNode(t *testing.T) {
	t.Parallel()
	eachNATS(t, func(t *testing.T, b natsBackend) {
		bucket := uniqueBucket(t, connect(t, b.url))
		rec := newRecorder()
		rec.sleep["slow"] = 1500 * time.Millisecond
		jobs := []Job{
			{ID: "quick", Spec: mustParse(t, "*/1 * * * * *", "")},
			{ID: "slow", Spec: mustParse(t, "*/1 * * * * *", "")},
		}
		nodes := map[string]*Scheduler{}
		for _, name := range []string{"a", "b"} {
			lease := kvLease(t, b.url, bucket, KVLeaseConfig{})
			nodes[name] = newScheduler(t, Config{Lease: lease, Skipped: rec.skipped(name)}, jobs, rec.fire(name))
		}
		// Due times count from when both nodes run: connecting the leases
		// to NATS took over a second on a loaded CI machine, and a due time
		// before the first node started was reported as missed.
		start := time.Now()
		time.Sleep(4300 * time.Millisecond)
		end := time.Now()
		for _, s := range nodes {
			stop(t, s)
		}

		want := dueTimes(start, end.Add(-onTime))
		quick := rec.get("quick", false)
		checkEachOnce(t, "quick", quick, want)
		checkOnTime(t, quick)
		fired, skipped := rec.get("slow", false), rec.get("slow", true)
		checkEachOnce(t, "slow", append(fired, skipped...), want)
		if len(skipped) == 0 {
			t.Error("no slow run was skipped: 1.5 s runs on a 1 s schedule must overlap their next due time")
		}
		if o := rec.overlaps(); len(o) > 0 {
			t.Errorf("overlapping runs: %v", o)
		}
		var lost int64
		for name, s := range nodes {
			st := s.Stats()
			if st.Dropped != 0 {
				t.Errorf("node %s dropped %d runs", name, st.Dropped)
			}
			lost += st.Lost
		}
		if lost == 0 {
			t.Error("no node lost a claim: were both running?")
		}
	})
}

// TestMissedRunKV restarts "the cluster" an hour after a minutely job last
// ran: with run-once exactly one catch-up fire happens across two nodes, as
// the latest missed due time; with skip, none.
func TestMissedRunKV(t *testing.T) {
	t.Parallel()
	for _, policy := range []MissedRunPolicy{MissedRunOnce, MissedRunSkip} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			eachNATS(t, func(t *testing.T, b natsBackend) {
				bucket := uniqueBucket(t, connect(t, b.url))
				spec := mustParse(t, "* * * * *", "")
				setup := kvLease(t, b.url, bucket, KVLeaseConfig{})
				if err := setup.SetLast(context.Background(), "minutely", time.Now().Add(-time.Hour)); err != nil {
					t.Fatal(err)
				}
				rec := newRecorder()
				start := time.Now()
				var nodes []*Scheduler
				for _, name := range []string{"a", "b"} {
					lease := kvLease(t, b.url, bucket, KVLeaseConfig{})
					nodes = append(nodes, newScheduler(t, Config{Lease: lease, MissedRuns: policy}, []Job{
						{ID: "minutely", Spec: spec},
					}, rec.fire(name)))
				}
				time.Sleep(500 * time.Millisecond)
				for _, s := range nodes {
					stop(t, s)
				}

				var caughtUp []event
				for _, e := range rec.get("minutely", false) {
					if !e.scheduledAt.After(start) {
						caughtUp = append(caughtUp, e)
					}
				}
				want := 1
				if policy == MissedRunSkip {
					want = 0
				}
				if len(caughtUp) != want {
					t.Fatalf("%d catch-up fires, want %d", len(caughtUp), want)
				}
				if want == 1 {
					if latest := spec.Latest(start.Add(-time.Hour), start); !caughtUp[0].scheduledAt.Equal(latest) {
						t.Errorf("caught up the run due at %s, want the latest missed, %s", caughtUp[0].scheduledAt, latest)
					}
					if late := caughtUp[0].at.Sub(start); late > onTime {
						t.Errorf("caught up %s after start", late)
					}
				}
				if n := nodes[0].Stats().CaughtUp + nodes[1].Stats().CaughtUp; n != int64(want) {
					t.Errorf("Stats CaughtUp = %d in all, want %d", n, want)
				}
			})
		})
	}
}
