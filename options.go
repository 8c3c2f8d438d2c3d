package kiln

import (
	"database/sql"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiln-run/kiln/engine"
)

// Option changes a Config before New applies its defaults. Options are a
// convenience for the outside world a host injects; every one of them
// sets a Config field that can be set directly too.
type Option func(*Config)

// WithLogger sends Kiln's logs to log.
func WithLogger(log *slog.Logger) Option { return func(c *Config) { c.Logger = log } }

// WithClock makes scripts see clock's time.
func WithClock(clock engine.Clock) Option { return func(c *Config) { c.Clock = clock } }

// WithRandom makes scripts draw their randomness from r.
func WithRandom(r engine.Random) Option { return func(c *Config) { c.Random = r } }

// WithSQLite stores Kiln's data in the host's SQLite database (see
// Config.SQLiteDB).
func WithSQLite(db *sql.DB) Option { return func(c *Config) { c.SQLiteDB = db } }

// WithPostgres stores Kiln's data in the host's PostgreSQL database,
// through a database/sql handle on pgx's driver (see Config.PostgresDB).
func WithPostgres(db *sql.DB) Option { return func(c *Config) { c.PostgresDB = db } }

// WithPostgresPool stores Kiln's data in the host's PostgreSQL database,
// through its pgx pool (see Config.PostgresPool).
func WithPostgresPool(pool *pgxpool.Pool) Option { return func(c *Config) { c.PostgresPool = pool } }

// WithNATS runs the event queue on the host's NATS connection (see
// Config.NATSConn).
func WithNATS(conn *nats.Conn) Option { return func(c *Config) { c.NATSConn = conn } }

// WithTracerProvider makes every execution a span of the host's tracer
// provider (see Config.TracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *Config) { c.TracerProvider = tp }
}
