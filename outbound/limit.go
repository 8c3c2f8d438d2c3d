package outbound

import (
	"context"
	"sync"
)

// tenantLimiter caps the requests each tenant has in flight. A tenant's
// entry exists only while it has requests in flight or waiting, so the map
// does not grow with every tenant ever seen.
type tenantLimiter struct {
	max int

	mu      sync.Mutex
	tenants map[string]*tenantSlots
}

type tenantSlots struct {
	sem   chan struct{}
	users int // requests holding or waiting for a slot; guarded by mu
}

func newTenantLimiter(max int) *tenantLimiter {
	return &tenantLimiter{max: max, tenants: map[string]*tenantSlots{}}
}

// acquire waits for one of tenant's slots until ctx ends. It returns the
// function that gives the slot back, or ctx's error.
func (l *tenantLimiter) acquire(ctx context.Context, tenant string) (release func(), err error) {
	l.mu.Lock()
	s := l.tenants[tenant]
	if s == nil {
		s = &tenantSlots{sem: make(chan struct{}, l.max)}
		l.tenants[tenant] = s
	}
	s.users++
	l.mu.Unlock()

	select {
	case s.sem <- struct{}{}:
		var once sync.Once
		return func() {
			once.Do(func() {
				<-s.sem
				l.leave(tenant, s)
			})
		}, nil
	case <-ctx.Done():
		l.leave(tenant, s)
		return nil, ctx.Err()
	}
}

func (l *tenantLimiter) leave(tenant string, s *tenantSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.users--
	if s.users == 0 {
		delete(l.tenants, tenant)
	}
}

// inFlight reports how many requests tenant has holding a slot.
func (l *tenantLimiter) inFlight(tenant string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.tenants[tenant]; s != nil {
		return len(s.sem)
	}
	return 0
}
