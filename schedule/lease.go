package schedule

import (
	"context"
	"sync"
	"time"
)

// Lease is what the schedulers of several nodes share: who fires each due
// time, which jobs are running, and each job's last due time. Its methods
// are called concurrently. An error means the lease could not be reached;
// the Scheduler retries briefly (Config.LeaseTimeout), then drops the run.
type Lease interface {
	// Claim reports whether the caller won the run of jobID due at at.
	// Exactly one claim of a (jobID, at) pair wins among all schedulers
	// sharing the lease, for as long as the lease remembers claims (KVLease:
	// KVLeaseConfig.ClaimTTL). A scheduler claims each pair once; calling
	// again after an error must answer as if the first call had been the
	// only one, so that it can be retried.
	Claim(ctx context.Context, jobID string, at time.Time) (bool, error)
	// Hold marks jobID as running the run due at at, until release is
	// called. ok is false when a run of jobID already holds it, on any node.
	// Calling again after an error must answer as if the first call had been
	// the only one.
	Hold(ctx context.Context, jobID string, at time.Time) (release ReleaseFunc, ok bool, err error)
	// Last returns the latest due time recorded by SetLast for jobID; ok is
	// false if none was.
	Last(ctx context.Context, jobID string) (at time.Time, ok bool, err error)
	// SetLast records at as jobID's latest handled due time.
	SetLast(ctx context.Context, jobID string, at time.Time) error
}

// ReleaseFunc ends a Hold. Calling it more than once does nothing more.
type ReleaseFunc func(ctx context.Context) error

// MemoryLease is a Lease in this process's memory: for one node, tests,
// and embedding hosts without NATS. Schedulers sharing one MemoryLease
// behave like nodes sharing a KVLease. It forgets everything when the
// process ends, so missed runs are never caught up after a restart.
type MemoryLease struct {
	mu     sync.Mutex
	claims map[claimKey]struct{}
	newest time.Time // the latest claimed due time, for forgetting old claims
	held   map[string]bool
	last   map[string]time.Time
}

type claimKey struct {
	job string
	at  int64 // unix nanoseconds
}

// memoryClaimTTL is how long a MemoryLease remembers a claim, counted back
// from the latest due time claimed.
const memoryClaimTTL = 24 * time.Hour

// NewMemoryLease returns an empty MemoryLease.
func NewMemoryLease() *MemoryLease {
	return &MemoryLease{
		claims: map[claimKey]struct{}{},
		held:   map[string]bool{},
		last:   map[string]time.Time{},
	}
}

// Claim implements Lease.
func (l *MemoryLease) Claim(_ context.Context, jobID string, at time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := claimKey{jobID, at.UnixNano()}
	if _, ok := l.claims[k]; ok {
		return false, nil
	}
	l.claims[k] = struct{}{}
	if at.After(l.newest) {
		l.newest = at
	}
	if len(l.claims)%1024 == 0 {
		cutoff := l.newest.Add(-memoryClaimTTL).UnixNano()
		for k := range l.claims {
			if k.at < cutoff {
				delete(l.claims, k)
			}
		}
	}
	return true, nil
}

// Hold implements Lease.
func (l *MemoryLease) Hold(_ context.Context, jobID string, _ time.Time) (ReleaseFunc, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[jobID] {
		return nil, false, nil
	}
	l.held[jobID] = true
	var once sync.Once
	return func(context.Context) error {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			delete(l.held, jobID)
		})
		return nil
	}, true, nil
}

// Last implements Lease.
func (l *MemoryLease) Last(_ context.Context, jobID string) (time.Time, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.last[jobID]
	return at, ok, nil
}

// SetLast implements Lease.
func (l *MemoryLease) SetLast(_ context.Context, jobID string, at time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.last[jobID] = at
	return nil
}
