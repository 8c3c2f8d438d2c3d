package kiln

import (
	"database/sql"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/sdk"
)

// Config is everything the core can be told; `kiln serve` adds its
// listener's settings (server.Config). Zero values mean the defaults that
// WithDefaults fills, documented on each field. For `kiln serve` the
// precedence is flags > environment (KILN_*) > config file > defaults
// (docs/server.md).
type Config struct {
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
	// Timeout, MemoryBytes and OutputBytes are the default script limits;
	// MaxTimeout and MaxMemoryBytes cap what a script may ask for.
	Timeout        time.Duration `json:"timeout"`
	MaxTimeout     time.Duration `json:"maxTimeout"`
	MemoryBytes    int64         `json:"memoryBytes"`
	MaxMemoryBytes int64         `json:"maxMemoryBytes"`
	OutputBytes    int64         `json:"outputBytes"`
	// ManageHeapLimit keeps the Go runtime's soft memory limit at the
	// process's idle live heap plus the memory limits of the scripts
	// running plus 64 MiB, so scripts' garbage is collected before the
	// process passes what they may hold (engine.Config.ManageHeapLimit).
	// The limit is the process's: leave it off if the host tunes
	// GOMEMLIMIT itself. kiln serve turns it on unless GOMEMLIMIT is set.
	ManageHeapLimit bool `json:"-"`
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
	// Collections are an embedding host's own iota.db collections, served
	// by the host instead of the document store; Kiln passes every call the
	// script's tenant ID and the host scopes by it.
	Collections map[string]sdk.Collection `json:"-"`
	// HostFuncs are an embedding host's own functions, which scripts call
	// as `await iota.host.<Name>(…args)`.
	HostFuncs []HostFunc `json:"-"`
	// Logger receives Kiln's logs. Default: discarded.
	Logger *slog.Logger `json:"-"`
	// Clock is the time every script sees (Date, timers' clock). Default
	// the system clock. Task replay injects a journal's clock here.
	Clock engine.Clock `json:"-"`
	// Random is the randomness every script sees (Math.random, crypto).
	// Default a cryptographically seeded source.
	Random engine.Random `json:"-"`
	// SQLiteDB is the host's own SQLite database handle (driver
	// modernc.org/sqlite, configured as sqlite.OpenDB says), used instead
	// of DataDir/kiln.db. Kiln never closes it.
	SQLiteDB *sql.DB `json:"-"`
	// PostgresDB is the host's own PostgreSQL handle (pgx's database/sql
	// driver), used instead of DB. Kiln never closes it.
	PostgresDB *sql.DB `json:"-"`
	// PostgresPool is the host's own pgx pool, used instead of DB. Kiln
	// never closes it.
	PostgresPool *pgxpool.Pool `json:"-"`
	// NATSConn is the host's own connection to NATS with JetStream, used
	// instead of NATS or the embedded server. Kiln never closes it.
	NATSConn *nats.Conn `json:"-"`
	// OpenTimeout bounds New: opening the store (with its migrations) and
	// the queue. Default 1 minute.
	OpenTimeout time.Duration `json:"-"`
	// HTTPAllow lists the private addresses (host:port or CIDR) scripts'
	// fetch and iota.http may reach; everything private is refused
	// otherwise (SSRF_BLOCKED). See docs/outbound.md.
	HTTPAllow []string `json:"httpAllow"`
	// Outbound tunes scripts' outbound requests (timeouts, size caps,
	// per-tenant concurrency); HTTPAllow fills its Allow.
	Outbound outbound.Config `json:"outbound"`
	// TracerProvider is the host's OpenTelemetry tracer provider: every
	// execution becomes a span of it, with a child span per host call
	// (docs/server.md, "Tracing"). Kiln never shuts it down. Nil: Kiln
	// exports spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (and shuts that provider
	// down in Stop), and traces nothing otherwise.
	TracerProvider trace.TracerProvider `json:"-"`
	// Tasks tunes durable tasks (docs/tasks.md).
	Tasks TaskConfig `json:"tasks"`
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
	set(&c.DataDir, "./kiln-data")
	if c.Logger == nil {
		c.Logger = discardLogger()
	}
	if c.OpenTimeout == 0 {
		c.OpenTimeout = time.Minute
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
	c.Tasks = c.Tasks.withDefaults()
	return c
}

// Validate explains the first setting that cannot work.
func (c Config) Validate() error {
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		return fmt.Errorf("--db %q must be a postgres:// URL (leave it empty for the embedded SQLite database)", c.DB)
	}
	if c.OperatorKey != "" && len(c.OperatorKey) < 16 {
		return fmt.Errorf("KILN_OPERATOR_KEY must be at least 16 characters")
	}
	switch {
	case c.Timeout <= 0 || c.Timeout > c.MaxTimeout:
		return fmt.Errorf("script timeout %s must be positive and at most the max timeout %s", c.Timeout, c.MaxTimeout)
	case c.MemoryBytes < 1<<20 || c.MemoryBytes > c.MaxMemoryBytes:
		return fmt.Errorf("script memory %d must be at least 1 MiB and at most the max %d", c.MemoryBytes, c.MaxMemoryBytes)
	case c.Retention < time.Hour:
		return fmt.Errorf("retention %s is too short: use at least 1h", c.Retention)
	}
	if err := c.Tasks.validate(); err != nil {
		return err
	}
	if c.MissedRuns != schedule.MissedRunOnce && c.MissedRuns != schedule.MissedRunSkip {
		return fmt.Errorf("missedRuns %q must be %q or %q", c.MissedRuns, schedule.MissedRunOnce, schedule.MissedRunSkip)
	}
	handles := 0
	for _, set := range []bool{c.SQLiteDB != nil, c.PostgresDB != nil, c.PostgresPool != nil} {
		if set {
			handles++
		}
	}
	switch {
	case handles > 1:
		return fmt.Errorf("give Kiln one database: SQLiteDB, PostgresDB or PostgresPool, not several")
	case handles == 1 && c.DB != "":
		return fmt.Errorf("give Kiln one database: the host's handle or the --db URL %q, not both", c.DB)
	case c.NATSConn != nil && c.NATS != "":
		return fmt.Errorf("give Kiln one NATS: the host's connection or the --nats URL %q, not both", c.NATS)
	}
	if c.NATS != "" && !strings.HasPrefix(c.NATS, "nats://") && !strings.HasPrefix(c.NATS, "tls://") {
		return fmt.Errorf("--nats %q must be a nats:// URL (leave it empty for the embedded queue)", c.NATS)
	}
	if _, err := c.hostModule(); err != nil {
		return err
	}
	if _, err := outbound.ParseAllow(c.HTTPAllow); err != nil {
		return fmt.Errorf("--http-allow: %w", err)
	}
	return nil
}
