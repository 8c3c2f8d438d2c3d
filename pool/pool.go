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
)

// Config sizes the pool. Zero fields take the defaults WithDefaults names.
type Config struct {
	// MaxVMs caps live VMs (idle and busy). Default 64 per core.
	MaxVMs int
	// MaxConcurrent caps executions running at once. Default 8 per core.
	MaxConcurrent int
	// TenantConcurrent caps one tenant's running executions. Default
	// MaxConcurrent/2 (at least 1), so one tenant never takes every slot.
	TenantConcurrent int
	// QueueLimit caps executions waiting for a slot; past it, OVERLOADED.
	// Default 1000.
	QueueLimit int
	// MaxWait is how long an execution may wait for a slot. Default 5s.
	MaxWait time.Duration
	// IdleTTL evicts VMs unused this long. Default 5 minutes.
	IdleTTL time.Duration
}

// WithDefaults fills unset fields from the machine's cores.
func (c Config) WithDefaults() Config {
	cores := runtime.GOMAXPROCS(0)
	if c.MaxVMs == 0 {
		c.MaxVMs = 64 * cores
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = 8 * cores
	}
	if c.TenantConcurrent == 0 {
		c.TenantConcurrent = max(1, c.MaxConcurrent/2)
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
	case c.QueueLimit < 0 || c.MaxWait <= 0:
		return errors.New("pool queue limit must not be negative and max wait must be positive")
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

// Pool runs invocations on pooled VMs. It is safe for concurrent use.
type Pool struct {
	engine *engine.Engine
	cfg    Config

	mu       sync.Mutex
	running  int                   // executions holding a slot
	byTenant map[string]int        // running executions per tenant
	queues   map[string]*list.List // waiting executions per tenant (FIFO)
	ring     []string              // tenants with waiters, in round-robin order
	next     int                   // ring position of the next tenant to serve
	waiting  int
	idle     map[Key][]*vmEntry
	lru      *list.List // idle VMs, least recently used at the front
	live     int
	current  map[string]int // tenant/script → the version that keeps VMs
	stats    Stats
	stop     chan struct{}
	done     chan struct{}
}

type vmEntry struct {
	key      Key
	vm       *engine.VM
	lastUsed time.Time
	elem     *list.Element
}

// waiter is one execution waiting for a slot.
type waiter struct {
	tenant string
	ready  chan struct{} // closed when granted a slot
	elem   *list.Element
}

// Stats is the pool's state, for metrics and the state route.
type Stats struct {
	Live, Idle, Busy, Waiting int
	Hits, Misses, Evictions   int64
	Refusals                  int64
}

// New returns a pool over e. Call Close to stop its idle sweeper.
func New(e *engine.Engine, cfg Config) (*Pool, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pool{engine: e, cfg: cfg, byTenant: map[string]int{}, queues: map[string]*list.List{},
		idle: map[Key][]*vmEntry{}, lru: list.New(), current: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{})}
	go p.sweep()
	return p, nil
}

// Close stops the sweeper and drops idle VMs.
func (p *Pool) Close() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.lru.Len() > 0 {
		p.evictFront()
	}
}

// Stats returns a snapshot of the pool's state.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Live, s.Idle, s.Busy, s.Waiting = p.live, p.lru.Len(), p.running, p.waiting
	return s
}
