package pool

import (
	"container/list"
	"context"
	"errors"
	"time"

	"github.com/kiln-run/kiln/internal/fair"
)

// acquire takes an execution slot for tenant, waiting its fair turn until
// deadline when the pool or the tenant is at capacity (see package fair:
// tenants are served round-robin, so a tenant with a thousand waiting
// executions delays another tenant's single one by at most one slot).
func (p *Pool) acquire(ctx context.Context, tenant string, deadline time.Time) error {
	err := p.slots.Acquire(ctx, tenant, deadline)
	if errors.Is(err, fair.ErrFull) {
		return ErrOverloaded
	}
	return err
}

// release returns tenant's slot and hands free slots to waiters.
func (p *Pool) release(tenant string) { p.slots.Release(tenant) }

// scriptGate bounds one script's running executions (limits.maxConcurrent).
// Executions past it wait here, in order, before they queue for a pool
// slot, so a capped script never holds a slot another script could use.
type scriptGate struct {
	running int
	waiters list.List // of chan struct{}, closed when admitted
}

// acquireScript admits an execution of key's script under its cap, waiting
// until deadline. limit 0 means no cap.
func (p *Pool) acquireScript(ctx context.Context, key Key, limit int, deadline time.Time) error {
	if limit <= 0 {
		return nil
	}
	id := key.Tenant + "/" + key.Script
	p.mu.Lock()
	g := p.scripts[id]
	if g == nil {
		g = &scriptGate{}
		p.scripts[id] = g
	}
	if g.running < limit {
		g.running++
		p.mu.Unlock()
		return nil
	}
	if p.slots.Waiting()+g.waiters.Len() >= p.cfg.QueueLimit {
		p.slots.Refuse()
		p.mu.Unlock()
		return ErrOverloaded
	}
	ready := make(chan struct{})
	elem := g.waiters.PushBack(ready)
	p.mu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var cause error
	select {
	case <-ready:
		return nil
	case <-timer.C:
		cause = ErrOverloaded
	case <-ctx.Done():
		cause = ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-ready:
		return nil // admitted while giving up: keep it
	default:
	}
	g.waiters.Remove(elem)
	if errors.Is(cause, ErrOverloaded) {
		p.slots.Refuse()
	}
	return cause
}

// releaseScript admits the script's next waiter, or frees its place.
func (p *Pool) releaseScript(key Key, limit int) {
	if limit <= 0 {
		return
	}
	id := key.Tenant + "/" + key.Script
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.scripts[id]
	if front := g.waiters.Front(); front != nil {
		close(g.waiters.Remove(front).(chan struct{}))
		return // the slot passes to the waiter
	}
	if g.running--; g.running == 0 {
		delete(p.scripts, id)
	}
}
