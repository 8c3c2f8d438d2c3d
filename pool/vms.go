package pool

import (
	"context"
	"errors"
	"time"

	"github.com/kiln-run/kiln/engine"
)

// Run executes params on a VM bound to key, creating the VM (from compile's
// program) when no idle one exists. It returns ErrOverloaded (or ctx's
// error) when no slot frees in time; script failures are in Result.Err.
func (p *Pool) Run(ctx context.Context, key Key, compile func(context.Context) (*engine.Program, error), params engine.InvokeParams) (*engine.Result, error) {
	if err := p.acquire(ctx, key.Tenant); err != nil {
		return nil, err
	}
	defer p.release(key.Tenant)
	entry, err := p.take(ctx, key, compile)
	if err != nil {
		var e *engine.Error
		if !errors.As(err, &e) {
			e = engine.Errorf(engine.CodeInternal, "%v", err)
		}
		return &engine.Result{Err: e}, nil
	}
	res := entry.vm.Invoke(ctx, params)
	p.giveBack(entry)
	return res, nil
}

// take returns an idle VM for key, or makes one.
func (p *Pool) take(ctx context.Context, key Key, compile func(context.Context) (*engine.Program, error)) (*vmEntry, error) {
	p.mu.Lock()
	if list := p.idle[key]; len(list) > 0 {
		e := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		if len(p.idle[key]) == 0 {
			delete(p.idle, key)
		}
		p.lru.Remove(e.elem)
		p.stats.Hits++
		p.mu.Unlock()
		return e, nil
	}
	p.stats.Misses++
	// Make room: past the cap, the least recently used idle VM goes.
	for p.live >= p.cfg.MaxVMs && p.lru.Len() > 0 {
		p.evictFront()
	}
	p.live++
	p.mu.Unlock()
	prog, err := compile(ctx)
	var vm *engine.VM
	if err == nil {
		vm, err = p.engine.NewVM(ctx, prog)
	}
	if err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return nil, err
	}
	return &vmEntry{key: key, vm: vm}, nil
}

// giveBack parks a VM as idle, or drops it if it is retired or torn.
func (p *Pool) giveBack(e *vmEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !e.vm.Usable() || p.retiredVersion(e.key) {
		p.live--
		return
	}
	e.lastUsed = time.Now()
	e.elem = p.lru.PushBack(e)
	p.idle[e.key] = append(p.idle[e.key], e)
}

func (p *Pool) retiredVersion(k Key) bool {
	cur, ok := p.current[k.Tenant+"/"+k.Script]
	return ok && k.Version != cur
}

// Retire makes version the only one of a script that keeps VMs: idle VMs of
// other versions go now, busy ones when their run finishes.
func (p *Pool) Retire(tenant, script string, version int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current[tenant+"/"+script] = version
	for k, list := range p.idle {
		if k.Tenant == tenant && k.Script == script && k.Version != version {
			for _, e := range list {
				p.lru.Remove(e.elem)
				p.live--
				p.stats.Evictions++
			}
			delete(p.idle, k)
		}
	}
}

// evictFront drops the least recently used idle VM. Call with mu held.
func (p *Pool) evictFront() {
	e := p.lru.Remove(p.lru.Front()).(*vmEntry)
	list := p.idle[e.key]
	for i, x := range list {
		if x == e {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.idle, e.key)
	} else {
		p.idle[e.key] = list
	}
	p.live--
	p.stats.Evictions++
}

// sweep evicts VMs idle longer than IdleTTL.
func (p *Pool) sweep() {
	defer close(p.done)
	t := time.NewTicker(min(p.cfg.IdleTTL/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		p.mu.Lock()
		cutoff := time.Now().Add(-p.cfg.IdleTTL)
		for p.lru.Len() > 0 && p.lru.Front().Value.(*vmEntry).lastUsed.Before(cutoff) {
			p.evictFront()
		}
		p.mu.Unlock()
	}
}
