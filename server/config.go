// Package server is `kiln serve`: the JSON API, HTTP triggers, execution
// recording and their wiring (App). cmd/kiln is a thin main over it, and the
// end-to-end tests start the same App on a random port.
package server

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/sdk"
)

// Config is everything `kiln serve` can be told. Precedence, written once:
// flags > environment (KILN_*) > config file (--config, JSON) > defaults.
type Config struct {
	// Addr is where the server listens. Default "127.0.0.1:8080".
	Addr string `json:"addr"`
	// DataDir holds the SQLite database (and later the embedded queue).
	// Default "./kiln-data".
	DataDir string `json:"data"`
	// DB is a "postgres://…" URL to use PostgreSQL; empty means SQLite in
	// DataDir.
	DB string `json:"db"`
	// OperatorKey, if set, is the operator key; otherwise one is generated
	// on first start and printed once. Only its hash is stored.
	OperatorKey string `json:"-"`
	// SecretKey encrypts tenants' secrets at rest: 32 bytes, hex or base64
	// (KILN_SECRET_KEY). Empty: a key generated once into DataDir/secret.key.
	// Several nodes must share one key.
	SecretKey string `json:"-"`
	// MaxBodyBytes caps HTTP request bodies (API and /run). Default 1 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	// Timeout, MemoryBytes and OutputBytes are the default script limits;
	// MaxTimeout and MaxMemoryBytes cap what a script may ask for.
	Timeout        time.Duration `json:"timeout"`
	MaxTimeout     time.Duration `json:"maxTimeout"`
	MemoryBytes    int64         `json:"memoryBytes"`
	MaxMemoryBytes int64         `json:"maxMemoryBytes"`
	OutputBytes    int64         `json:"outputBytes"`
	// HostCallsPerMinute is a script's default cap on host calls (iota.*,
	// fetch) per minute; past it a call fails with RATE_LIMITED. Scripts
	// set their own with limits.hostCallsPerMinute. Default 10,000.
	HostCallsPerMinute int `json:"hostCallsPerMinute"`
	// Retention is how long execution records are kept. Default 30 days.
	Retention time.Duration `json:"retention"`
	// ShutdownTimeout bounds a graceful stop. Default 30s.
	ShutdownTimeout time.Duration `json:"shutdownTimeout"`
	// Pool sizes the global VM pool (see pool.Config for its defaults).
	Pool pool.Config `json:"pool"`
	// NATS is an external NATS (JetStream) URL for the event queue; empty
	// runs JetStream embedded, storing under DataDir/jetstream.
	NATS string `json:"nats"`
	// Queue tunes the event queue (workers, payload cap, default retry);
	// see queue.Config. NATS and DataDir fill its URL and DataDir. Default
	// as queue.Config's, but 128 workers per core.
	Queue queue.Config `json:"queue"`
	// MissedRuns is what a scheduled script's runs missed while no node was
	// running become at start: "run-once" (the default: the latest missed
	// run fires once) or "skip".
	MissedRuns schedule.MissedRunPolicy `json:"missedRuns"`
	// NoListen runs everything but the HTTP listener, for a host that
	// embeds Kiln and serves Handler() itself, or not at all.
	NoListen bool `json:"-"`
	// Collections are an embedding host's own iota.db collections, served
	// by the host instead of the document store (tenant-scoped by Kiln).
	Collections map[string]sdk.Collection `json:"-"`
	// Modules are an embedding host's own host functions; their names must
	// be under iota.host (iota.host.lookupCustomer).
	Modules []engine.Module `json:"-"`
	// HTTPAllow lists the private addresses (host:port or CIDR) scripts'
	// fetch and iota.http may reach; everything private is refused
	// otherwise (SSRF_BLOCKED). See docs/outbound.md.
	HTTPAllow []string `json:"httpAllow"`
	// Outbound tunes scripts' outbound requests (timeouts, size caps,
	// per-tenant concurrency); HTTPAllow fills its Allow.
	Outbound outbound.Config `json:"outbound"`
}

// WithDefaults fills every unset field, the nested Pool, Queue and
// Outbound included: the one place `kiln serve`'s defaults come from
// (docs/server.md lists them).
func (c Config) WithDefaults() Config {
	set := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	set(&c.Addr, "127.0.0.1:8080")
	set(&c.DataDir, "./kiln-data")
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = 5 * time.Minute
	}
	if c.MemoryBytes == 0 {
		c.MemoryBytes = 64 << 20
	}
	if c.MaxMemoryBytes == 0 {
		c.MaxMemoryBytes = 512 << 20
	}
	if c.OutputBytes == 0 {
		c.OutputBytes = 1 << 20
	}
	if c.HostCallsPerMinute == 0 {
		c.HostCallsPerMinute = 10_000
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Queue.Workers == 0 {
		// A delivery's worker mostly waits: for a pool slot (which bounds
		// the JavaScript running at once) and for its execution record to
		// be durable (group commit). Measured on 2 cores: 16 workers gave
		// 3,000 events/s, 256 gave 12,700, 1,024 no more.
		c.Queue.Workers = 128 * runtime.GOMAXPROCS(0)
	}
	c.Pool = c.Pool.WithDefaults()
	c.Queue = c.Queue.WithDefaults()
	c.Outbound = c.Outbound.WithDefaults()
	if c.MissedRuns == "" {
		c.MissedRuns = schedule.MissedRunOnce
	}
	return c
}

// Validate explains the first setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q is not host:port (for example 127.0.0.1:8080)", c.Addr)
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("--db %q must be a postgres:// URL (leave it empty for the embedded SQLite database)", c.DB)
	}
	if c.OperatorKey != "" && len(c.OperatorKey) < 16 {
		return fmt.Errorf("KILN_OPERATOR_KEY must be at least 16 characters")
	}
	switch {
	case c.MaxBodyBytes < 1024:
		return fmt.Errorf("max body size %d bytes is too small: use at least 1 KiB", c.MaxBodyBytes)
	case c.Timeout <= 0 || c.Timeout > c.MaxTimeout:
		return fmt.Errorf("script timeout %s must be positive and at most the max timeout %s", c.Timeout, c.MaxTimeout)
	case c.MemoryBytes < 1<<20 || c.MemoryBytes > c.MaxMemoryBytes:
		return fmt.Errorf("script memory %d must be at least 1 MiB and at most the max %d", c.MemoryBytes, c.MaxMemoryBytes)
	case c.Retention < time.Hour:
		return fmt.Errorf("retention %s is too short: use at least 1h", c.Retention)
	}
	if c.MissedRuns != schedule.MissedRunOnce && c.MissedRuns != schedule.MissedRunSkip {
		return fmt.Errorf("missedRuns %q must be %q or %q", c.MissedRuns, schedule.MissedRunOnce, schedule.MissedRunSkip)
	}
	if c.NATS != "" && !strings.HasPrefix(c.NATS, "nats://") && !strings.HasPrefix(c.NATS, "tls://") {
		return fmt.Errorf("--nats %q must be a nats:// URL (leave it empty for the embedded queue)", c.NATS)
	}
	for _, m := range c.Modules {
		for _, f := range m.Funcs {
			if !strings.HasPrefix(f.Name, "iota.host.") {
				return fmt.Errorf("host function %q must be named under iota.host (iota.host.%s)", f.Name, f.Name[strings.LastIndex(f.Name, ".")+1:])
			}
		}
	}
	if _, err := outbound.ParseAllow(c.HTTPAllow); err != nil {
		return fmt.Errorf("--http-allow: %w", err)
	}
	return nil
}
