// Package pool is Kiln's global pool of VMs: VMs bound to one (tenant,
// script version) each, a global cap on live VMs and on concurrent
// executions, per-tenant quotas, and fair scheduling across tenants when
// executions must wait. It knows nothing of HTTP or stores: callers hand it
// a key, a way to build the program, and the invocation.
package pool

import (
	"container/list"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/internal/fair"
)

// Config sizes the pool. Zero fields take the defaults WithDefaults names.
type Config struct {
	// MaxVMs caps live VMs (idle, busy and pre-warmed). Default 64 per
	// core, or fewer when the memory budget cannot hold that many.
	MaxVMs int `json:"maxVMs"`
	// MaxConcurrent caps executions running at once. Default 8 per core.
	MaxConcurrent int `json:"maxConcurrent"`
	// TenantConcurrent caps one tenant's running executions. Default
	// MaxConcurrent/2 (at least 1), so one tenant never takes every slot.
	// SetTenantLimits overrides it per tenant.
	TenantConcurrent int `json:"tenantConcurrent"`
	// TenantVMs caps one tenant's live VMs: past it, the tenant's own least
	// recently used idle VM makes room. Default MaxVMs/2. It is never below
	// the tenant's concurrency.
	TenantVMs int `json:"tenantVMs"`
	// WarmVMs is the warm minimum: blank VMs kept installed (sandbox, web
	// globals, SDK) and ready to bind, so a cold start only runs the
	// script's module code. Default 2 per core; negative means none.
	WarmVMs int `json:"warmVMs"`
	// MemoryBudget caps the process's live heap (as of the last GC) that the
	// pool lets idle VMs keep: past it, idle VMs are evicted least recently
	// used first. Default a quarter of the machine's memory. Running
	// executions are never evicted.
	MemoryBudget int64 `json:"memoryBudget" unit:"bytes"`
	// CPUTurns is how many executions run JavaScript at the same moment;
	// the others holding slots wait for a turn, served round-robin by
	// tenant, and give theirs back whenever they wait on a timer or a host
	// call. Default one per core but one (at least one), leaving a core to
	// accept requests, record executions and collect garbage; negative
	// turns it off.
	CPUTurns int `json:"cpuTurns"`
	// SoloTurns is how many more turns a tenant may take while it is the
	// only one running or waiting: the core left out above serves no other
	// tenant then, and a lone tenant's requests lost a tenth of their
	// throughput waiting for one turn. When another tenant waits, grants
	// stop until the turns in use are back within CPUTurns. Default: every
	// core (cores − CPUTurns) when CPUTurns is the default, else none;
	// negative: none.
	SoloTurns int `json:"soloTurns"`
	// TurnSlice is how long an execution may hold a CPU turn while others
	// wait for one: past it, its turn goes to the next waiter and it runs
	// on without one, sharing the cores through the Go scheduler, so a
	// CPU-bound loop keeps no other tenant waiting until its timeout.
	// Default 10ms; negative: never.
	TurnSlice time.Duration `json:"turnSlice"`
	// TenantOvertime is how many executions of one tenant may run on past
	// their slice at once: while a tenant has that many, its other
	// executions get no turn until one of them ends or waits, so one
	// tenant's loops cannot crowd the cores with goroutines. Default half
	// the cores (at least 1); negative: no cap.
	TenantOvertime int `json:"tenantOvertime"`
	// QueueLimit caps executions waiting for a slot; past it, OVERLOADED.
	// Default 1000.
	QueueLimit int `json:"queueLimit"`
	// MaxWait is how long an execution may wait for a slot. Default 5s.
	MaxWait time.Duration `json:"maxWait"`
	// IdleTTL evicts VMs unused this long. Default 5 minutes.
	IdleTTL time.Duration `json:"idleTTL"`
	// ObserveWait, if set, is told how long each execution waited for its
	// slot (zero when it got one at once), for the queue-wait histogram.
	ObserveWait func(tenant string, waited time.Duration) `json:"-"`
}

// approxVMBytes is what one bound VM holds on the heap, for sizing MaxVMs
// from the memory budget (BenchmarkIdleVMMemory measures it: ~300 KiB for
// a trivial script; real scripts keep more).
const approxVMBytes = 1 << 20

// WithDefaults fills unset fields from the machine's cores.
func (c Config) WithDefaults() Config {
	cores := runtime.GOMAXPROCS(0)
	if c.MemoryBudget == 0 {
		c.MemoryBudget = max(SystemMemory()/4, 256<<20)
	}
	if c.MaxVMs == 0 {
		c.MaxVMs = max(4, min(64*cores, int(c.MemoryBudget/approxVMBytes)))
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = min(8*cores, c.MaxVMs)
	}
	if c.TenantConcurrent == 0 {
		c.TenantConcurrent = max(1, c.MaxConcurrent/2)
	}
	if c.TenantVMs == 0 {
		c.TenantVMs = max(c.TenantConcurrent, c.MaxVMs/2)
	}
	if c.WarmVMs == 0 {
		c.WarmVMs = min(2*cores, c.MaxVMs/4)
	}
	if c.CPUTurns == 0 {
		c.CPUTurns = max(1, cores-1)
		if c.SoloTurns == 0 {
			c.SoloTurns = max(0, cores-c.CPUTurns)
		}
	}
	if c.TurnSlice == 0 {
		c.TurnSlice = 10 * time.Millisecond
	}
	if c.TenantOvertime == 0 {
		c.TenantOvertime = max(1, cores/2)
	}
	if c.QueueLimit == 0 {
		c.QueueLimit = 1000
	}
	if c.MaxWait == 0 {
		c.MaxWait = 5 * time.Second
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = 5 * time.Minute
	}
	return c
}

// Validate explains the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxVMs < 1 || c.MaxConcurrent < 1 || c.TenantConcurrent < 1:
		return errors.New("pool sizes must be at least 1")
	case c.MaxConcurrent > c.MaxVMs:
		return fmt.Errorf("pool max concurrent executions (%d) cannot exceed max VMs (%d)", c.MaxConcurrent, c.MaxVMs)
	case c.TenantVMs < 1:
		return errors.New("pool tenant VMs must be at least 1")
	case c.WarmVMs > c.MaxVMs:
		return fmt.Errorf("pool warm VMs (%d) cannot exceed max VMs (%d)", c.WarmVMs, c.MaxVMs)
	case c.MemoryBudget < 0:
		return errors.New("pool memory budget must not be negative")
	case c.QueueLimit < 0 || c.MaxWait <= 0 || c.IdleTTL <= 0:
		return errors.New("pool queue limit must not be negative; max wait and idle TTL must be positive")
	}
	return nil
}

// Key names the program a VM is bound to. A VM never serves another key.
type Key struct {
	Tenant  string
	Script  string
	Version int
}

// ErrOverloaded is returned when an execution cannot get a slot: the queue
// is full or the wait passed MaxWait. Callers answer 429 with Retry-After.
var ErrOverloaded = errors.New("OVERLOADED: the server is at capacity; retry shortly")

// TenantLimits overrides the pool's per-tenant quotas for one tenant. Zero
// fields keep the pool's defaults.
type TenantLimits struct {
	Concurrent int `json:"maxConcurrent,omitempty"`
	VMs        int `json:"maxVMs,omitempty"`
}

// Pool runs invocations on pooled VMs. It is safe for concurrent use.
type Pool struct {
	engine *engine.Engine
	cfg    Config

	slots *fair.Semaphore // execution slots, shared fairly by tenants
	turns *fair.Semaphore // turns to run JavaScript (nil: off)

	limitsMu sync.RWMutex
	limits   map[string]TenantLimits

	mu        sync.Mutex
	scripts   map[string]*scriptGate // per-script concurrency, by tenant/script
	idle      map[Key][]*vmEntry
	lru       *list.List // idle VMs, least recently used at the front
	live      int
	liveBy    map[string]int    // live bound VMs per tenant
	warm      []*engine.VM      // blank, pre-warmed VMs
	warming   int               // blank VMs being made
	current   map[scriptKey]int // the version of a script that keeps VMs
	stats     Stats
	heapLive  func() int64
	stop      chan struct{}
	done      chan struct{}
	refill    chan struct{}
	refillers sync.WaitGroup
}

type vmEntry struct {
	key      Key
	vm       *engine.VM
	lastUsed time.Time
	elem     *list.Element
}

// Stats is the pool's state, for metrics and the state route.
type Stats struct {
	Live, Idle, Busy, Waiting, Warm int
	Hits, Misses, Evictions         int64
	// MemoryEvictions counts the evictions the memory budget caused (they
	// are in Evictions too).
	MemoryEvictions int64
	Refusals        int64
	// Tenants is the live VMs and running executions per tenant.
	Tenants map[string]TenantStats
}

// TenantStats is one tenant's share of the pool.
type TenantStats struct {
	VMs     int `json:"vms"`
	Running int `json:"running"`
	Waiting int `json:"waiting"`
}

// New returns a pool over e. Call Close to stop its background work.
func New(e *engine.Engine, cfg Config) (*Pool, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{engine: e, cfg: cfg, scripts: map[string]*scriptGate{}, limits: map[string]TenantLimits{},
		idle: map[Key][]*vmEntry{}, lru: list.New(), liveBy: map[string]int{}, current: map[scriptKey]int{},
		heapLive: liveHeap, stop: make(chan struct{}), done: make(chan struct{}), refill: make(chan struct{}, 1)}
	p.slots = fair.New(cfg.MaxConcurrent, cfg.QueueLimit, func(tenant string) int {
		concurrent, _ := p.tenantLimits(tenant)
		return concurrent
	})
	if cfg.CPUTurns > 0 {
		// Only slot holders ask for turns, so the queue never passes
		// MaxConcurrent; any tenant may use every turn when no other waits.
		p.turns = fair.New(cfg.CPUTurns, cfg.MaxConcurrent+1, func(string) int { return cfg.CPUTurns })
		p.turns.SetSolo(cfg.SoloTurns)
		p.turns.SetOvertime(cfg.TenantOvertime) // negative: no cap
	}
	go p.sweep()
	p.refillers.Add(1)
	go p.keepWarm()
	return p, nil
}

// Close stops the background work and drops idle and warm VMs.
func (p *Pool) Close() {
	close(p.stop)
	<-p.done
	p.refillers.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.lru.Len() > 0 {
		p.evictFront()
	}
	p.live -= len(p.warm)
	p.warm = nil
}

// SetTenantLimits overrides the quotas of one tenant; zero fields keep the
// defaults. A tenant's VM cap is never below its concurrency.
func (p *Pool) SetTenantLimits(tenant string, l TenantLimits) {
	p.limitsMu.Lock()
	if l == (TenantLimits{}) {
		delete(p.limits, tenant)
	} else {
		p.limits[tenant] = l
	}
	p.limitsMu.Unlock()
	p.slots.Changed() // a raised quota may let waiters run
}

// tenantLimits is the effective quota of tenant.
func (p *Pool) tenantLimits(tenant string) (concurrent, vms int) {
	p.limitsMu.RLock()
	l := p.limits[tenant]
	p.limitsMu.RUnlock()
	concurrent, vms = p.cfg.TenantConcurrent, p.cfg.TenantVMs
	if l.Concurrent > 0 {
		concurrent = l.Concurrent
	}
	if l.VMs > 0 {
		vms = l.VMs
	}
	return concurrent, max(vms, concurrent)
}

// Config returns the pool's effective configuration.
func (p *Pool) Config() Config { return p.cfg }

// Stats returns a snapshot of the pool's state.
func (p *Pool) Stats() Stats {
	slots := p.slots.Stats()
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Live, s.Idle, s.Warm = p.live, p.lru.Len(), len(p.warm)
	s.Busy, s.Waiting, s.Refusals = slots.Held, slots.Waiting, slots.Refused
	s.Tenants = map[string]TenantStats{}
	for t, n := range p.liveBy {
		s.Tenants[t] = TenantStats{VMs: n}
	}
	for t, v := range slots.ByKey {
		ts := s.Tenants[t]
		ts.Running, ts.Waiting = v[0], v[1]
		s.Tenants[t] = ts
	}
	return s
}
