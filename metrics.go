package kiln

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/pool"
)

// metrics are the client's Prometheus metrics, on a registry of the client's
// own (no global state, so several clients can run in one test process).
//
// The tenant label is the tenant's slug: the name an operator knows, and
// the one already public in /run/{slug}/ URLs. Tenant IDs stay internal. A
// slug never changes (no operation renames a tenant, and none deletes
// one), so a tenant's series keep their label for its life.
type metrics struct {
	registry   *prometheus.Registry
	executions *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	wait       *prometheus.HistogramVec

	// The vectors' children, kept so that a run does not look them up by
	// label values (hashing and validating every label, under the vector's
	// lock): the same series, one map read.
	mu        sync.RWMutex
	counts    map[countKey]prometheus.Counter
	durations map[durationKey]prometheus.Observer
	waits     map[string]prometheus.Observer
	slugs     map[string]string // tenant ID → slug, named by nameTenant before a run
}

type countKey struct {
	tenant  string
	trigger kilntype.Trigger
	status  kilntype.ExecutionStatus
}

type durationKey struct {
	tenant  string
	trigger kilntype.Trigger
}

// nameTenant makes t's slug its label; the runner calls it before each
// run, so the pool's wait (reported by tenant ID) finds it.
func (m *metrics) nameTenant(t *kilntype.Tenant) {
	m.mu.RLock()
	slug, ok := m.slugs[t.ID]
	m.mu.RUnlock()
	if ok && slug == t.Slug {
		return
	}
	m.mu.Lock()
	m.slugs[t.ID] = t.Slug
	m.mu.Unlock()
}

// label is the tenant label of tenantID: its slug. Every run names its
// tenant first; the ID is only a fallback for a run that did not.
func (m *metrics) label(tenantID string) string {
	m.mu.RLock()
	slug, ok := m.slugs[tenantID]
	m.mu.RUnlock()
	if !ok {
		return tenantID
	}
	return slug
}

// child returns m's cached series for key in cache, making it with newChild
// the first time.
func child[K comparable, V any](m *metrics, cache map[K]V, key K, newChild func() V) V {
	m.mu.RLock()
	v, ok := cache[key]
	m.mu.RUnlock()
	if ok {
		return v
	}
	v = newChild()
	m.mu.Lock()
	cache[key] = v
	m.mu.Unlock()
	return v
}

// observeWait records how long an execution waited for a pool slot.
func (m *metrics) observeWait(tenant string, d time.Duration) {
	child(m, m.waits, tenant, func() prometheus.Observer { return m.wait.WithLabelValues(m.label(tenant)) }).Observe(d.Seconds())
}

// observePool exports the pool's state: live, idle, busy and waiting VMs as
// gauges; hits, misses, evictions and refusals as counters.
func (m *metrics) observePool(p *pool.Pool) {
	gauge := func(name, help string, f func(pool.Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f(p.Stats())) })
	}
	counter := func(name, help string, f func(pool.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(f(p.Stats())) })
	}
	m.registry.MustRegister(
		gauge("kiln_pool_vms_live", "Live VMs (idle and busy).", func(s pool.Stats) int { return s.Live }),
		gauge("kiln_pool_vms_idle", "Idle VMs waiting for their script.", func(s pool.Stats) int { return s.Idle }),
		gauge("kiln_pool_vms_warm", "Blank pre-warmed VMs ready to bind.", func(s pool.Stats) int { return s.Warm }),
		gauge("kiln_pool_executions_running", "Executions holding a pool slot.", func(s pool.Stats) int { return s.Busy }),
		gauge("kiln_pool_executions_waiting", "Executions queued for a slot.", func(s pool.Stats) int { return s.Waiting }),
		counter("kiln_pool_hits_total", "Executions that reused an idle VM.", func(s pool.Stats) int64 { return s.Hits }),
		counter("kiln_pool_misses_total", "Executions that needed a new VM.", func(s pool.Stats) int64 { return s.Misses }),
		counter("kiln_pool_evictions_total", "VMs evicted (LRU, idle, retired).", func(s pool.Stats) int64 { return s.Evictions }),
		counter("kiln_pool_memory_evictions_total", "Idle VMs evicted because the live heap passed the memory budget.", func(s pool.Stats) int64 { return s.MemoryEvictions }),
		counter("kiln_pool_refusals_total", "Executions refused as OVERLOADED.", func(s pool.Stats) int64 { return s.Refusals }),
	)
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kiln_executions_total",
			Help: "Finished executions by tenant, trigger and final status.",
		}, []string{"tenant", "trigger", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiln_execution_duration_seconds",
			Help:    "Execution wall-clock time by tenant and trigger.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"tenant", "trigger"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kiln_pool_wait_seconds",
			Help:    "Time executions waited for a pool slot, by tenant (0 when one was free).",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"tenant"}),
		counts:    map[countKey]prometheus.Counter{},
		durations: map[durationKey]prometheus.Observer{},
		waits:     map[string]prometheus.Observer{},
		slugs:     map[string]string{},
	}
	reg.MustRegister(m.executions, m.duration, m.wait, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records a finished execution.
func (m *metrics) observe(e *kilntype.Execution) {
	child(m, m.counts, countKey{e.TenantID, e.Trigger, e.Status}, func() prometheus.Counter {
		return m.executions.WithLabelValues(m.label(e.TenantID), string(e.Trigger), string(e.Status))
	}).Inc()
	child(m, m.durations, durationKey{e.TenantID, e.Trigger}, func() prometheus.Observer {
		return m.duration.WithLabelValues(m.label(e.TenantID), string(e.Trigger))
	}).Observe(e.DurationMs / 1000)
}

// Metrics is the client's Prometheus registry: executions by tenant (its
// slug), trigger and status, their durations, pool waits and the pool's
// state. The HTTP API serves it at /metrics to the operator key; it names
// every tenant, so a host serving it elsewhere keeps it from tenants.
func (c *Client) Metrics() prometheus.Gatherer { return c.metrics.registry }
