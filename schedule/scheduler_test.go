package schedule

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The tests in this file run in synctest bubbles: time is fake, starts at
// 2000-01-01T00:00:00Z, and timers fire exactly when due.

func TestFiresOnTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		rec := newRecorder()
		s := newScheduler(t, Config{Lease: NewMemoryLease(), Skipped: rec.skipped("n")}, []Job{
			{ID: "secondly", Spec: mustParse(t, "*/1 * * * * *", "")},
			{ID: "every-20s", Spec: mustParse(t, "*/20 * * * * *", "")},
			{ID: "minutely", Spec: mustParse(t, "* * * * *", "")},
		}, rec.fire("n"))
		time.Sleep(time.Minute + 500*time.Millisecond)
		stop(t, s)

		for job, want := range map[string]int{"secondly": 60, "every-20s": 3, "minutely": 1} {
			got := rec.get(job, false)
			if len(got) != want {
				t.Errorf("%s fired %d times, want %d: %v", job, len(got), want, times(got, base))
			}
			for _, e := range got {
				if !e.at.Equal(e.scheduledAt) {
					t.Errorf("%s due at %s fired at %s", job, e.scheduledAt, e.at)
				}
			}
		}
		if st := s.Stats(); st.Fired != 64 || st.Skipped != 0 || st.Lost != 0 || st.Dropped != 0 {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestSkipsOverlaps(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		rec := newRecorder()
		rec.sleep["slow"] = 2500 * time.Millisecond
		s := newScheduler(t, Config{Lease: NewMemoryLease(), Skipped: rec.skipped("n")}, []Job{
			{ID: "slow", Version: 3, Spec: mustParse(t, "*/1 * * * * *", "")},
		}, rec.fire("n"))
		time.Sleep(6200 * time.Millisecond)
		stop(t, s) // waits for the run started at 4s

		fired, skipped := times(rec.get("slow", false), base), times(rec.get("slow", true), base)
		if want := []string{"1s", "4s"}; !slices.Equal(fired, want) {
			t.Errorf("fired at %v, want %v", fired, want)
		}
		if want := []string{"2s", "3s", "5s", "6s"}; !slices.Equal(skipped, want) {
			t.Errorf("skipped at %v, want %v", skipped, want)
		}
		if e := rec.get("slow", true); len(e) > 0 && e[0].version != 3 {
			t.Errorf("Skipped got version %d, want 3", e[0].version)
		}
		if o := rec.overlaps(); len(o) > 0 {
			t.Errorf("overlapping runs: %v", o)
		}
	})
}

// TestTwoNodesMemory runs two schedulers on one MemoryLease: each due time
// fires once in total, and a slow job's runs don't overlap across nodes.
func TestTwoNodesMemory(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		lease := NewMemoryLease()
		rec := newRecorder()
		rec.sleep["slow"] = 1500 * time.Millisecond
		jobs := []Job{
			{ID: "quick", Spec: mustParse(t, "*/1 * * * * *", "")},
			{ID: "slow", Spec: mustParse(t, "*/1 * * * * *", "")},
		}
		a := newScheduler(t, Config{Lease: lease, Skipped: rec.skipped("a")}, jobs, rec.fire("a"))
		b := newScheduler(t, Config{Lease: lease, Skipped: rec.skipped("b")}, jobs, rec.fire("b"))
		time.Sleep(10500 * time.Millisecond)
		stop(t, a)
		stop(t, b)

		var want []string
		for i := 1; i <= 10; i++ {
			want = append(want, (time.Duration(i) * time.Second).String())
		}
		if got := times(rec.get("quick", false), base); !slices.Equal(got, want) {
			t.Errorf("quick fired at %v, want each of %v once", got, want)
		}
		fired, skipped := rec.get("slow", false), rec.get("slow", true)
		all := append(times(fired, base), times(skipped, base)...)
		slices.SortFunc(all, func(x, y string) int { return cmpDuration(x, y) })
		if !slices.Equal(all, want) {
			t.Errorf("slow fired %v and skipped %v; want each of %v once in all", times(fired, base), times(skipped, base), want)
		}
		if len(fired) != 5 {
			t.Errorf("slow fired %d times, want 5 (every other second)", len(fired))
		}
		if o := rec.overlaps(); len(o) > 0 {
			t.Errorf("overlapping runs: %v", o)
		}
		if sa, sb := a.Stats(), b.Stats(); sa.Fired+sb.Fired != 15 || sa.Lost+sb.Lost != 20 {
			t.Errorf("stats a %+v, b %+v", sa, sb)
		}
	})
}

func cmpDuration(x, y string) int {
	dx, _ := time.ParseDuration(x)
	dy, _ := time.ParseDuration(y)
	return int(dx - dy)
}

func TestMissedRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy MissedRunPolicy
		last   time.Duration // before the start; 0 = none recorded
		want   []string      // fired, as offsets from the bubble's start
	}{
		{"run-once", MissedRunOnce, time.Hour, []string{"0s", "1m0s"}},
		{"skip", MissedRunSkip, time.Hour, []string{"1m0s"}},
		{"never ran", MissedRunOnce, 0, []string{"1m0s"}},
		{"up to date", MissedRunOnce, 30 * time.Second, []string{"1m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				base := time.Now()
				time.Sleep(30 * time.Second) // start at 00:00:30; last due 00:00:00
				lease := NewMemoryLease()
				if tt.last > 0 {
					_ = lease.SetLast(context.Background(), "minutely", time.Now().Add(-tt.last))
				}
				rec := newRecorder()
				s := newScheduler(t, Config{Lease: lease, MissedRuns: tt.policy}, []Job{
					{ID: "minutely", Spec: mustParse(t, "* * * * *", "")},
				}, rec.fire("n"))
				time.Sleep(time.Minute)
				stop(t, s)

				if got := times(rec.get("minutely", false), base); !slices.Equal(got, tt.want) {
					t.Errorf("fired %v, want %v", got, tt.want)
				}
				if want := int64(len(tt.want) - 1); s.Stats().CaughtUp != want {
					t.Errorf("CaughtUp = %d, want %d", s.Stats().CaughtUp, want)
				}
				if last, _, _ := lease.Last(context.Background(), "minutely"); !last.Equal(base.Add(time.Minute)) {
					t.Errorf("last = %s, want %s", last, base.Add(time.Minute))
				}
			})
		})
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := time.Now()
		rec := newRecorder()
		s := newScheduler(t, Config{Lease: NewMemoryLease()}, []Job{
			{ID: "a", Version: 1, Spec: mustParse(t, "*/10 * * * * *", "")},
		}, rec.fire("n"))
		time.Sleep(15 * time.Second) // a fires at 10s (v1)
		if err := s.Set([]Job{
			{ID: "a", Version: 2, Spec: mustParse(t, "*/10 * * * * *", "")},
			{ID: "b", Version: 1, Spec: mustParse(t, "*/7 * * * * *", "")},
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second) // at 25s: a fired at 20s (v2); b at 21s
		if err := s.Set([]Job{
			{ID: "b", Version: 1, Spec: mustParse(t, "*/4 * * * * *", "")},
		}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Second) // at 35s: b at 28s, 32s; a removed
		if err := s.Set(nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Minute)
		stop(t, s)

		var got []string
		for _, e := range rec.get("", false) {
			got = append(got, e.job+"@"+e.scheduledAt.Sub(base).String()+"/v"+string(rune('0'+e.version)))
		}
		want := []string{"a@10s/v1", "a@20s/v2", "b@21s/v1", "b@28s/v1", "b@32s/v1"}
		if !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})
}

func TestSetRefuses(t *testing.T) {
	t.Parallel()
	s, err := New(Config{Lease: NewMemoryLease(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	spec := mustParse(t, "* * * * *", "")
	if err := s.Set([]Job{{ID: "ok", Spec: spec}}); err != nil {
		t.Fatal(err)
	}
	for name, jobs := range map[string][]Job{
		"empty id":     {{ID: "", Spec: spec}},
		"dotted id":    {{ID: "a.b", Spec: spec}},
		"long id":      {{ID: strings.Repeat("x", 129), Spec: spec}},
		"nil spec":     {{ID: "x"}},
		"duplicate id": {{ID: "x", Spec: spec}, {ID: "x", Spec: spec}},
	} {
		if err := s.Set(jobs); err == nil {
			t.Errorf("%s: Set accepted %+v", name, jobs)
		}
	}
	if len(s.jobs) != 1 || s.jobs["ok"] == nil {
		t.Errorf("a refused Set changed the jobs: %v", s.jobs)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{},
		{Lease: NewMemoryLease(), MissedRuns: "always"},
		{Lease: NewMemoryLease(), LeaseTimeout: -time.Second},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	s, err := New(Config{Lease: NewMemoryLease()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), nil); err == nil {
		t.Error("Start without fire succeeded")
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start: %v", err)
	}
	if err := s.Start(context.Background(), func(context.Context, Job, time.Time) error { return nil }); err == nil {
		t.Error("Start after Stop succeeded")
	}
}

func TestStopCancelsRuns(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var cancelled atomic.Bool
		started := make(chan struct{})
		s := newScheduler(t, Config{Lease: NewMemoryLease()}, []Job{
			{ID: "stuck", Spec: mustParse(t, "*/1 * * * * *", "")},
		}, func(ctx context.Context, _ Job, _ time.Time) error {
			close(started)
			<-ctx.Done()
			cancelled.Store(true)
			return ctx.Err()
		})
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Stop = %v, want a deadline error", err)
		}
		if !cancelled.Load() {
			t.Error("the run's context was not cancelled")
		}
	})
}

// flakyLease fails the first failures calls of each kind, or all if
// failures < 0.
type flakyLease struct {
	Lease
	failures int
	claims   atomic.Int64
	holds    atomic.Int64
}

var errUnreachable = errors.New("nats: no responders available for request")

func (l *flakyLease) Claim(ctx context.Context, job string, at time.Time) (bool, error) {
	if n := l.claims.Add(1); l.failures < 0 || n <= int64(l.failures) {
		return false, errUnreachable
	}
	return l.Lease.Claim(ctx, job, at)
}

func (l *flakyLease) Hold(ctx context.Context, job string, at time.Time) (ReleaseFunc, bool, error) {
	if n := l.holds.Add(1); l.failures < 0 || n <= int64(l.failures) {
		return nil, false, errUnreachable
	}
	return l.Lease.Hold(ctx, job, at)
}

func TestLeaseErrors(t *testing.T) {
	t.Parallel()
	t.Run("retried", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			rec := newRecorder()
			lease := &flakyLease{Lease: NewMemoryLease(), failures: 2}
			s := newScheduler(t, Config{Lease: lease}, []Job{{ID: "j", Spec: mustParse(t, "* * * * *", "")}}, rec.fire("n"))
			time.Sleep(61 * time.Second)
			stop(t, s)
			fired := rec.get("j", false)
			if len(fired) != 1 {
				t.Fatalf("fired %d times, want 1", len(fired))
			}
			// Two failed claims (50+100 ms), then two failed holds (50+100 ms).
			if late := fired[0].at.Sub(fired[0].scheduledAt); late != 300*time.Millisecond {
				t.Errorf("fired %s late, want 300ms", late)
			}
		})
	})
	t.Run("dropped", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			rec := newRecorder()
			lease := &flakyLease{Lease: NewMemoryLease(), failures: -1}
			s := newScheduler(t, Config{Lease: lease, LeaseTimeout: 2 * time.Second}, []Job{
				{ID: "minutely", Spec: mustParse(t, "* * * * *", "")},
				{ID: "secondly", Spec: mustParse(t, "*/1 * * * * *", "")},
			}, rec.fire("n"))
			time.Sleep(90500 * time.Millisecond)
			stop(t, s)
			if got := rec.get("", false); len(got) != 0 {
				t.Errorf("fired %d runs without a lease", len(got))
			}
			if st := s.Stats(); st.Dropped != 91 {
				t.Errorf("Dropped = %d, want 91 (90 secondly, 1 minutely)", st.Dropped)
			}
			// A secondly job retries within its second (50+100+200+400 ms,
			// then too little time is left); a minutely one for LeaseTimeout.
			perSecond := float64(lease.claims.Load()) / 90
			if perSecond > 6 {
				t.Errorf("%.1f claims a second: retries outlived their due time", perSecond)
			}
		})
	})
}

// TestLateWake checks that a scheduler whose clock jumps forward fires the
// latest due time once, not every one it slept through.
func TestLateWake(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var offset atomic.Int64
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		base := clock()
		rec := newRecorder()
		s := newScheduler(t, Config{Lease: NewMemoryLease(), Now: clock}, []Job{
			{ID: "minutely", Spec: mustParse(t, "* * * * *", "")},
		}, rec.fire("n"))
		time.Sleep(90 * time.Second)          // fired at 1m
		offset.Store(int64(10 * time.Minute)) // the wall clock is set forward
		time.Sleep(time.Minute)               // maxWait notices within a minute
		stop(t, s)
		if got, want := times(rec.get("minutely", false), base), []string{"1m0s", "12m0s"}; !slices.Equal(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})
}
