package schedule

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one scheduled script.
type Job struct {
	// ID identifies the job among all nodes: the script's id. Letters,
	// digits, '_' and '-', at most 128 characters.
	ID string
	// Tenant owns the script.
	Tenant string
	// Spec is when it runs.
	Spec *Spec
	// Version is the script version the next run uses. The scheduler only
	// passes it on to fire and Skipped.
	Version int
}

// FireFunc starts a job's run due at scheduledAt. The scheduler calls it in
// a goroutine of its own and never for two runs of one job at once. ctx ends
// when Stop gives up waiting. An error is logged; the run is not retried.
type FireFunc func(ctx context.Context, job Job, scheduledAt time.Time) error

// Stats are a Scheduler's counters since New, for metrics.
type Stats struct {
	Fired    int64 // runs this node fired, catch-up runs included
	CaughtUp int64 // runs fired at Start for runs missed while down
	Skipped  int64 // due times this node claimed and skipped: the job's previous run was going
	Lost     int64 // due times another node claimed
	Dropped  int64 // due times not fired because the lease failed past LeaseTimeout
}

// Scheduler fires jobs at their due times. Create it with New, give it the
// jobs with Set, then Start it; Set again whenever scripts change. It is safe
// for concurrent use.
type Scheduler struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	jobs    map[string]*entry
	due     dueHeap
	running map[string]bool // jobs with a run going on this node
	phase   phase
	fire    FireFunc

	wake   chan struct{} // Set changed the jobs
	stop   chan struct{} // closed by Stop: take no new due times
	ctx    context.Context
	cancel context.CancelFunc
	loops  sync.WaitGroup // the timer loop and the catch-up
	runs   sync.WaitGroup // dispatches and their fires

	fired, caughtUp, skipped, lost, dropped atomic.Int64
}

type phase int

const (
	created phase = iota
	started
	stopped
)

// maxWait caps one wait for the next due time: a wall clock that was set
// forward, or a machine that slept, is noticed within it.
const maxWait = time.Minute

var jobID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// New returns a Scheduler with no jobs.
func New(cfg Config) (*Scheduler, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Scheduler{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "schedule"),
		jobs:    map[string]*entry{},
		running: map[string]bool{},
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}, nil
}

// Set replaces the whole set of jobs. A job whose Spec is unchanged keeps
// its next due time and any run going; its new Job value (its Version) is
// what the next fire gets. A new job, or one whose Spec changed, is due at
// its Spec's next time after now; runs it missed before are not caught up.
// A removed job fires no more; a run of it going on is not stopped. Set
// refuses, changing nothing, a set with an empty, malformed or repeated ID
// or a nil Spec.
func (s *Scheduler) Set(jobs []Job) error {
	seen := make(map[string]bool, len(jobs))
	for i, j := range jobs {
		switch {
		case !jobID.MatchString(j.ID):
			return fmt.Errorf("schedule set: job %d: ID %q must be 1 to 128 letters, digits, '_' or '-'", i, j.ID)
		case j.Spec == nil:
			return fmt.Errorf("schedule set: job %s has no Spec", j.ID)
		case seen[j.ID]:
			return fmt.Errorf("schedule set: job %s appears twice", j.ID)
		}
		seen[j.ID] = true
	}
	s.mu.Lock()
	now := s.cfg.Now()
	next := make(map[string]*entry, len(jobs))
	for _, j := range jobs {
		e := s.jobs[j.ID]
		if e != nil && e.job.Spec.same(j.Spec) {
			e.job = j
		} else {
			e = &entry{job: j, next: j.Spec.Next(now)}
		}
		next[j.ID] = e
	}
	s.jobs = next
	s.rebuild()
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// rebuild refills the heap from s.jobs. Called with s.mu held.
func (s *Scheduler) rebuild() {
	s.due = s.due[:0]
	for _, e := range s.jobs {
		if !e.next.IsZero() {
			s.due = append(s.due, e)
		}
	}
	heap.Init(&s.due)
}

// Start begins firing the jobs' due times, from the first one after now.
// With MissedRuns "run-once" it also fires, once, each job of the current
// set that missed runs while no scheduler was running (see Config): call
// Set before Start. ctx bounds the set-up only. Start returns an error if
// fire is nil or the scheduler was already started.
func (s *Scheduler) Start(ctx context.Context, fire FireFunc) error {
	if fire == nil {
		return errors.New("schedule start: fire is required")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("schedule start: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.phase {
	case started:
		return errors.New("schedule start: already started")
	case stopped:
		return errors.New("schedule start: the scheduler was stopped; create a new one")
	}
	s.phase = started
	s.fire = fire
	s.ctx, s.cancel = context.WithCancel(context.Background())
	now := s.cfg.Now()
	initial := make([]Job, 0, len(s.jobs))
	for _, e := range s.jobs {
		e.next = e.job.Spec.Next(now)
		initial = append(initial, e.job)
	}
	s.rebuild()
	s.loops.Add(1)
	go func() { defer s.loops.Done(); s.loop() }()
	if s.cfg.MissedRuns == MissedRunOnce && len(initial) > 0 {
		s.loops.Add(1)
		go func() { defer s.loops.Done(); s.catchUp(initial, now) }()
	}
	return nil
}

// Stop fires no more due times and waits for the runs going on to finish.
// When ctx ends first, it cancels their context, waits for them to return,
// and returns ctx's error. A stopped scheduler cannot start again.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	was := s.phase
	s.phase = stopped
	s.mu.Unlock()
	if was != started {
		return nil
	}
	close(s.stop)
	s.loops.Wait()
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	var err error
	select {
	case <-done: // finished runs win over an expired ctx (select picks at random)
	default:
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("schedule stop: runs still going: %w", ctx.Err())
			s.cancel()
			<-done
		}
	}
	s.cancel()
	return err
}

// Stats returns the counters.
func (s *Scheduler) Stats() Stats {
	return Stats{
		Fired:    s.fired.Load(),
		CaughtUp: s.caughtUp.Load(),
		Skipped:  s.skipped.Load(),
		Lost:     s.lost.Load(),
		Dropped:  s.dropped.Load(),
	}
}

// run is one due time of one job, on its way to being fired.
type run struct {
	job     Job
	at      time.Time
	next    time.Time // the job's following due time: lease retries stop there
	catchUp bool
}

// loop waits for the earliest due time with one timer and dispatches every
// job due by then.
func (s *Scheduler) loop() {
	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now := s.cfg.Now()
		var due []run
		for len(s.due) > 0 && !s.due[0].next.After(now) {
			e := s.due[0]
			at := e.next
			if latest := e.job.Spec.Latest(at, now); !latest.IsZero() {
				// Woken late (a machine that slept, a clock set forward):
				// fire the latest due time once, as after downtime.
				s.log.Warn("scheduler woke late: firing only the latest due time",
					"job", e.job.ID, "first_missed", at, "latest", latest)
				at = latest
			}
			e.next = e.job.Spec.Next(now)
			due = append(due, run{job: e.job, at: at, next: e.next})
			if e.next.IsZero() {
				heap.Pop(&s.due)
				s.log.Info("scheduled job has no due time left within five years", "job", e.job.ID)
			} else {
				heap.Fix(&s.due, 0)
			}
		}
		wait := maxWait
		if len(s.due) > 0 {
			wait = min(s.due[0].next.Sub(now), maxWait)
		}
		s.mu.Unlock()
		for _, r := range due {
			s.runs.Add(1)
			go s.dispatch(r)
		}
		timer.Reset(wait)
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// catchUp fires once each job that missed runs since its last due time.
func (s *Scheduler) catchUp(jobs []Job, now time.Time) {
	for _, j := range jobs {
		select {
		case <-s.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.LeaseTimeout)
		last, ok, err := s.cfg.Lease.Last(ctx, j.ID)
		cancel()
		if err != nil {
			s.log.Error("missed runs not looked for: the lease could not be reached", "job", j.ID, "err", err)
			continue
		}
		if !ok {
			continue // never ran: nothing was missed
		}
		at := j.Spec.Latest(last, now)
		if at.IsZero() {
			continue
		}
		s.mu.Lock()
		e := s.jobs[j.ID]
		s.mu.Unlock()
		if e == nil || !e.job.Spec.same(j.Spec) {
			continue // removed or rescheduled since Start
		}
		s.log.Info("catching up a run missed while down", "job", j.ID, "last", last, "scheduled_at", at)
		s.runs.Add(1)
		go s.dispatch(run{job: e.job, at: at, next: j.Spec.Next(now), catchUp: true})
	}
}

// dispatch claims a due time and, if this node won it, fires it unless the
// job's previous run is still going.
func (s *Scheduler) dispatch(r run) {
	defer s.runs.Done()
	log := s.log.With("job", r.job.ID, "tenant", r.job.Tenant, "scheduled_at", r.at)
	budget := s.cfg.LeaseTimeout
	if gap := r.next.Sub(s.cfg.Now()); !r.next.IsZero() && gap < budget {
		budget = max(gap, 0)
	}
	start := time.Now()
	deadline := func() time.Duration { return budget - time.Since(start) }

	var won bool
	err := s.retry(deadline, func(ctx context.Context) (err error) {
		won, err = s.cfg.Lease.Claim(ctx, r.job.ID, r.at)
		return err
	})
	if err != nil {
		s.dropped.Add(1)
		log.Error("scheduled run dropped: could not claim it in the lease", "err", err)
		return
	}
	if !won {
		s.lost.Add(1)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.LeaseTimeout)
	if err := s.cfg.Lease.SetLast(ctx, r.job.ID, r.at); err != nil {
		log.Warn("last due time not recorded: a restart may catch this run up again", "err", err)
	}
	cancel()

	s.mu.Lock()
	busy := s.running[r.job.ID]
	s.running[r.job.ID] = true
	s.mu.Unlock()
	if busy {
		s.skip(r, log)
		return
	}
	defer func() {
		s.mu.Lock()
		delete(s.running, r.job.ID)
		s.mu.Unlock()
	}()

	var release ReleaseFunc
	var held bool
	err = s.retry(deadline, func(ctx context.Context) (err error) {
		release, held, err = s.cfg.Lease.Hold(ctx, r.job.ID, r.at)
		return err
	})
	if err != nil {
		s.dropped.Add(1)
		log.Error("scheduled run dropped: could not mark it running in the lease", "err", err)
		return
	}
	if !held {
		s.skip(r, log)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.cfg.LeaseTimeout)
		defer cancel()
		if err := release(ctx); err != nil {
			log.Warn("scheduled run's hold not released: the job's next runs are skipped until it times out", "err", err)
		}
	}()

	s.fired.Add(1)
	if r.catchUp {
		s.caughtUp.Add(1)
	}
	if err := s.fire(s.ctx, r.job, r.at); err != nil {
		log.Warn("scheduled run failed to start", "err", err)
	}
}

func (s *Scheduler) skip(r run, log *slog.Logger) {
	s.skipped.Add(1)
	log.Info("scheduled run skipped: the previous run is still going")
	if s.cfg.Skipped != nil {
		s.cfg.Skipped(s.ctx, r.job, r.at)
	}
}

// retry calls op until it succeeds, the time left runs out, or Stop is
// called, waiting 50 ms, then twice as long each time, up to 1 s.
func (s *Scheduler) retry(left func() time.Duration, op func(ctx context.Context) error) error {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(s.ctx, min(max(left(), 250*time.Millisecond), 2*time.Second))
		err := op(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if left() < backoff {
			return fmt.Errorf("%d attempts: %w", attempt, err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return fmt.Errorf("stopping after %d attempts: %w", attempt, err)
		}
		backoff = min(2*backoff, time.Second)
	}
}

// entry is a job in the heap of due times.
type entry struct {
	job  Job
	next time.Time
}

// dueHeap orders entries by next due time.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(*entry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
