package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// MissedRunPolicy says what a Scheduler does at Start about runs that fell
// due while no scheduler was running.
type MissedRunPolicy string

// Missed-run policies.
const (
	// MissedRunOnce fires a job once at Start if any of its runs fell due
	// since the last due time the lease recorded, with scheduledAt the latest
	// of them.
	MissedRunOnce MissedRunPolicy = "run-once"
	// MissedRunSkip fires nothing for runs missed while down; the job goes
	// on from its next due time.
	MissedRunSkip MissedRunPolicy = "skip"
)

// DefaultLeaseTimeout is Config.LeaseTimeout's default.
const DefaultLeaseTimeout = 5 * time.Second

// Config configures a Scheduler. Zero fields take the defaults named.
type Config struct {
	// Lease decides which node fires each due time, keeps one job's runs
	// from overlapping across nodes, and remembers each job's last due time.
	// Required: NewKVLease for nodes sharing NATS (and for catching up
	// missed runs after a restart), NewMemoryLease for one process.
	Lease Lease
	// MissedRuns is what Start does about runs missed while down. Default
	// MissedRunOnce.
	MissedRuns MissedRunPolicy
	// Skipped is called, once across all nodes, for a due time that was not
	// fired because the job's previous run was still going. It may be nil.
	// The server records such runs as skipped executions. It is called from
	// the scheduler's goroutines, concurrently for different jobs; ctx ends
	// when Stop gives up waiting.
	Skipped func(ctx context.Context, job Job, scheduledAt time.Time)
	// LeaseTimeout bounds how long one due time retries a failing lease
	// (with backoff from 50 ms to 1 s) before the run is dropped and logged
	// at error level; the retries also stop at the job's next due time.
	// Without the lease a run is not fired: firing on every node would run
	// it once per node. Default 5s.
	LeaseTimeout time.Duration
	// Logger receives the scheduler's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock that due times are computed with. Default time.Now.
	// Waiting uses the runtime's timers: test with testing/synctest.
	Now func() time.Time
}

// WithDefaults returns c with every unset field filled in.
func (c Config) WithDefaults() Config {
	if c.MissedRuns == "" {
		c.MissedRuns = MissedRunOnce
	}
	if c.LeaseTimeout == 0 {
		c.LeaseTimeout = DefaultLeaseTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Lease == nil:
		return errors.New("schedule config: Lease is required: NewKVLease for nodes sharing NATS, NewMemoryLease for one process")
	case c.MissedRuns != MissedRunOnce && c.MissedRuns != MissedRunSkip:
		return fmt.Errorf("schedule config: MissedRuns %q must be %q or %q", c.MissedRuns, MissedRunOnce, MissedRunSkip)
	case c.LeaseTimeout < 0:
		return fmt.Errorf("schedule config: LeaseTimeout %s must not be negative", c.LeaseTimeout)
	}
	return nil
}
