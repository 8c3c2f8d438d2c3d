package pool

import (
	"container/list"
	"context"
	"errors"
	"time"
)

// acquire takes an execution slot for tenant, waiting its fair turn when
// the pool or the tenant is at capacity. Tenants are served round-robin, one
// grant per tenant per turn, so a tenant with a thousand waiting executions
// delays another tenant's single one by at most one slot.
func (p *Pool) acquire(ctx context.Context, tenant string) error {
	p.mu.Lock()
	if p.waiting == 0 && p.running < p.cfg.MaxConcurrent && p.byTenant[tenant] < p.cfg.TenantConcurrent {
		p.grant(tenant)
		p.mu.Unlock()
		return nil
	}
	if p.waiting >= p.cfg.QueueLimit {
		p.stats.Refusals++
		p.mu.Unlock()
		return ErrOverloaded
	}
	w := p.enqueue(tenant)
	p.dispatch()
	p.mu.Unlock()

	timer := time.NewTimer(p.cfg.MaxWait)
	defer timer.Stop()
	var cause error
	select {
	case <-w.ready:
		return nil
	case <-timer.C:
		cause = ErrOverloaded
	case <-ctx.Done():
		cause = ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-w.ready:
		return nil // granted while we were giving up: keep it
	default:
	}
	p.dequeue(w)
	if errors.Is(cause, ErrOverloaded) {
		p.stats.Refusals++
	}
	return cause
}

// release returns tenant's slot and hands free slots to waiters.
func (p *Pool) release(tenant string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running--
	if p.byTenant[tenant]--; p.byTenant[tenant] == 0 {
		delete(p.byTenant, tenant)
	}
	p.dispatch()
}

func (p *Pool) grant(tenant string) {
	p.running++
	p.byTenant[tenant]++
}

func (p *Pool) enqueue(tenant string) *waiter {
	q := p.queues[tenant]
	if q == nil {
		q = list.New()
		p.queues[tenant] = q
		p.ring = append(p.ring, tenant)
	}
	w := &waiter{tenant: tenant, ready: make(chan struct{})}
	w.elem = q.PushBack(w)
	p.waiting++
	return w
}

func (p *Pool) dequeue(w *waiter) {
	q := p.queues[w.tenant]
	q.Remove(w.elem)
	p.waiting--
	if q.Len() == 0 {
		p.dropFromRing(w.tenant)
	}
}

func (p *Pool) dropFromRing(tenant string) {
	delete(p.queues, tenant)
	for i, t := range p.ring {
		if t == tenant {
			p.ring = append(p.ring[:i], p.ring[i+1:]...)
			if p.next > i {
				p.next--
			}
			break
		}
	}
	if p.next >= len(p.ring) {
		p.next = 0
	}
}

// dispatch grants free slots to waiting tenants in round-robin order,
// skipping tenants at their own quota.
func (p *Pool) dispatch() {
	for p.running < p.cfg.MaxConcurrent && p.waiting > 0 {
		granted := false
		for range len(p.ring) {
			if p.next >= len(p.ring) {
				p.next = 0
			}
			tenant := p.ring[p.next]
			if p.byTenant[tenant] >= p.cfg.TenantConcurrent {
				p.next++
				continue
			}
			q := p.queues[tenant]
			w := q.Remove(q.Front()).(*waiter)
			p.waiting--
			p.grant(tenant)
			close(w.ready)
			if q.Len() == 0 {
				p.dropFromRing(tenant) // keeps p.next on the following tenant
			} else {
				p.next++
			}
			granted = true
			break
		}
		if !granted {
			return // every waiting tenant is at its quota
		}
	}
}
