package pool

import (
	"context"
	"errors"
	"time"

	"github.com/kiln-run/kiln/engine"
)

// Job is one execution for the pool to run.
type Job struct {
	Key Key
	// MaxConcurrent caps this script's executions running at once (its
	// limits.maxConcurrent); 0 means no cap beyond the tenant's.
	MaxConcurrent int
	// Compile builds the program when no idle VM of Key exists.
	Compile func(context.Context) (*engine.Program, error)
	Params  engine.InvokeParams
}

// Run executes job on a VM bound to its key, binding a pre-warmed VM (or
// making one) when no idle one exists. It returns ErrOverloaded (or ctx's
// error) when no slot frees in time; script failures are in Result.Err.
func (p *Pool) Run(ctx context.Context, job Job) (*engine.Result, error) {
	start := time.Now()
	deadline := start.Add(p.cfg.MaxWait)
	if err := p.acquireScript(ctx, job.Key, job.MaxConcurrent, deadline); err != nil {
		return nil, err
	}
	defer p.releaseScript(job.Key, job.MaxConcurrent)
	if err := p.acquire(ctx, job.Key.Tenant, deadline); err != nil {
		return nil, err
	}
	defer p.release(job.Key.Tenant)
	if p.cfg.ObserveWait != nil {
		p.cfg.ObserveWait(job.Key.Tenant, time.Since(start))
	}
	entry, err := p.take(ctx, job.Key, job.Compile)
	if err != nil {
		var e *engine.Error
		if !errors.As(err, &e) {
			e = engine.Errorf(engine.CodeInternal, "%v", err)
		}
		return &engine.Result{Err: e}, nil
	}
	params := job.Params
	if p.turns != nil {
		params.Turns = p.turns
		params.TurnSlice = max(p.cfg.TurnSlice, 0)
	}
	res := entry.vm.Invoke(ctx, params)
	p.giveBack(entry)
	return res, nil
}

// take returns an idle VM for key, or binds a new one.
func (p *Pool) take(ctx context.Context, key Key, compile func(context.Context) (*engine.Program, error)) (*vmEntry, error) {
	p.mu.Lock()
	if list := p.idle[key]; len(list) > 0 {
		e := list[len(list)-1]
		// Clear the slot: a VM taken must not stay reachable from the
		// list's array (with all its script holds) once it is dropped.
		list[len(list)-1] = nil
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
	// Make room: past the tenant's cap its own least recently used idle VM
	// goes; past the global cap or the memory budget, anyone's.
	_, tenantVMs := p.tenantLimits(key.Tenant)
	for p.liveBy[key.Tenant] >= tenantVMs {
		if !p.evictOldest(key.Tenant) {
			break
		}
	}
	var blank *engine.VM
	if n := len(p.warm); n > 0 {
		blank = p.warm[n-1]
		p.warm[n-1] = nil
		p.warm = p.warm[:n-1]
		p.live-- // counted again below, as a bound VM
	}
	for p.live >= p.cfg.MaxVMs && p.lru.Len() > 0 {
		p.evictFront()
	}
	p.evictForMemory()
	p.live++
	p.liveBy[key.Tenant]++
	p.mu.Unlock()
	p.wakeRefill()

	vm, err := p.bind(ctx, blank, compile)
	if err != nil {
		p.mu.Lock()
		p.dropLive(key.Tenant)
		p.mu.Unlock()
		return nil, err
	}
	return &vmEntry{key: key, vm: vm}, nil
}

// bind compiles the program and binds it to blank, or to a new VM when
// there is no pre-warmed one.
func (p *Pool) bind(ctx context.Context, blank *engine.VM, compile func(context.Context) (*engine.Program, error)) (*engine.VM, error) {
	prog, err := compile(ctx)
	if err != nil {
		return nil, err
	}
	if blank == nil {
		return p.engine.NewVM(ctx, prog)
	}
	if err := blank.Bind(ctx, prog); err != nil {
		return nil, err
	}
	return blank, nil
}

// giveBack parks a VM as idle, or drops it if it is retired or torn.
func (p *Pool) giveBack(e *vmEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !e.vm.Usable() || p.retiredVersion(e.key) {
		p.dropLive(e.key.Tenant)
		return
	}
	e.lastUsed = time.Now()
	e.elem = p.lru.PushBack(e)
	p.idle[e.key] = append(p.idle[e.key], e)
}

// dropLive forgets one of tenant's bound VMs. Call with mu held.
func (p *Pool) dropLive(tenant string) {
	p.live--
	if p.liveBy[tenant]--; p.liveBy[tenant] <= 0 {
		delete(p.liveBy, tenant)
	}
}

// scriptKey names a script across its versions.
type scriptKey struct{ tenant, script string }

func (p *Pool) retiredVersion(k Key) bool {
	cur, ok := p.current[scriptKey{k.Tenant, k.Script}]
	return ok && k.Version != cur
}

// Retire makes version the only one of a script that keeps VMs: idle VMs of
// other versions go now, busy ones when their run finishes.
func (p *Pool) Retire(tenant, script string, version int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current[scriptKey{tenant, script}] = version
	for k, list := range p.idle {
		if k.Tenant == tenant && k.Script == script && k.Version != version {
			for _, e := range list {
				p.lru.Remove(e.elem)
				p.dropLive(k.Tenant)
				p.stats.Evictions++
			}
			delete(p.idle, k)
		}
	}
}

// evictFront drops the least recently used idle VM. Call with mu held and
// the LRU list not empty.
func (p *Pool) evictFront() {
	p.evict(p.lru.Front().Value.(*vmEntry))
}

// evictOldest drops tenant's least recently used idle VM; false if it has
// none. Call with mu held.
func (p *Pool) evictOldest(tenant string) bool {
	for el := p.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*vmEntry); e.key.Tenant == tenant {
			p.evict(e)
			return true
		}
	}
	return false
}

func (p *Pool) evict(e *vmEntry) {
	p.lru.Remove(e.elem)
	list := p.idle[e.key]
	for i, x := range list {
		if x == e {
			list = append(list[:i], list[i+1:]...)
			list[:len(list)+1][len(list)] = nil // the slot the shift left behind
			break
		}
	}
	if len(list) == 0 {
		delete(p.idle, e.key)
	} else {
		p.idle[e.key] = list
	}
	p.dropLive(e.key.Tenant)
	p.stats.Evictions++
}

// evictForMemory evicts idle VMs, least recently used first, while the live
// heap is over the memory budget: half of them at a time, since the heap
// figure only drops after the next collection. Busy VMs are never touched.
// Call with mu held.
func (p *Pool) evictForMemory() {
	if p.heapLive() <= p.cfg.MemoryBudget {
		return
	}
	for n := (p.lru.Len() + 1) / 2; n > 0; n-- {
		p.evictFront()
		p.stats.MemoryEvictions++
	}
}

// sweep evicts VMs idle longer than IdleTTL, and idle VMs past the memory
// budget.
func (p *Pool) sweep() {
	defer close(p.done)
	t := time.NewTicker(min(p.cfg.IdleTTL/4, time.Second))
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
		p.evictForMemory()
		p.mu.Unlock()
	}
}

// wakeRefill asks keepWarm to top the warm VMs up.
func (p *Pool) wakeRefill() {
	select {
	case p.refill <- struct{}{}:
	default:
	}
}

// keepWarm keeps WarmVMs blank VMs ready, as room under MaxVMs allows,
// making them off the request path.
func (p *Pool) keepWarm() {
	defer p.refillers.Done()
	for {
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			p.mu.Lock()
			need := len(p.warm)+p.warming < p.cfg.WarmVMs && p.live < p.cfg.MaxVMs &&
				p.heapLive() <= p.cfg.MemoryBudget
			if need {
				p.live++
				p.warming++
			}
			p.mu.Unlock()
			if !need {
				break
			}
			vm, err := p.engine.NewBlankVM()
			p.mu.Lock()
			p.warming--
			if err != nil {
				p.live--
			} else {
				p.warm = append(p.warm, vm)
			}
			p.mu.Unlock()
			if err != nil {
				break // retried on the next wake
			}
		}
		select {
		case <-p.stop:
			return
		case <-p.refill:
		}
	}
}
