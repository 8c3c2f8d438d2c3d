// Package postgres is Kiln's store for deployments of several nodes: one
// PostgreSQL database shared by all of them.
//
// It uses pgx through database/sql (pgx/v5/stdlib) rather than pgxpool so
// that the SQLite store and this one share every query and transaction in
// store/internal/sqlstore, and so that goose, which speaks database/sql,
// can run the migrations on the same pool. A host that has its own
// *sql.DB or pgxpool.Pool hands it over with OpenDB or OpenPool.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxConns bounds the pool. PostgreSQL's default max_connections is 100,
// shared by every node and every other client of the database.
const maxConns = 20

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	*sqlstore.Store
	// borrowed is set by OpenDB: the host owns the handle, and Close
	// leaves it open.
	borrowed bool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgx accepts) and applies any pending migrations.
// The tables live in the connection's search_path, so a schema can be
// chosen with search_path=… in the URL.
func Open(ctx context.Context, url string, opts ...store.OpenOption) (*Store, error) {
	return open(ctx, url, 0, opts...)
}

// open is Open with the migrations stopped after version migrateTo, if it
// is not 0.
func open(ctx context.Context, url string, migrateTo int64, opts ...store.OpenOption) (*Store, error) {
	oc := store.NewOpenConfig(opts...)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: the connection URL is not valid")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns / 2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s, err := migrate(ctx, db, migrateTo, oc)
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{Store: s}, nil
}

// OpenDB returns a Store on a database handle the host opened with pgx's
// database/sql driver (github.com/jackc/pgx/v5/stdlib: sql.Open("pgx", …)
// or stdlib.OpenDB), applying any pending migrations under the same
// advisory lock as Open. The tables live in the handle's search_path. The
// host keeps ownership: Close leaves db open, and the host closes it after
// the Store. The store uses the pool as the host configured it (Open caps
// its own at 20 connections); it refuses a handle of another driver.
//
// The migration lock is a session lock held on one connection while the
// migrations run, so the handle must reach PostgreSQL directly or through
// a session-mode pooler, not a transaction-mode one such as PgBouncer's
// default.
func OpenDB(ctx context.Context, db *sql.DB, opts ...store.OpenOption) (*Store, error) {
	if db == nil {
		return nil, errors.New("postgres: OpenDB: the database handle is nil")
	}
	if _, ok := db.Driver().(*stdlib.Driver); !ok {
		return nil, fmt.Errorf("postgres: OpenDB: the handle's driver is %T; it must be pgx's (github.com/jackc/pgx/v5/stdlib)", db.Driver())
	}
	s, err := migrate(ctx, db, 0, store.NewOpenConfig(opts...))
	if err != nil {
		return nil, err
	}
	return &Store{Store: s, borrowed: true}, nil
}

// OpenPool returns a Store on the host's pgx pool, applying any pending
// migrations under the same advisory lock as Open. The tables live in the
// pool's search_path. The store takes connections from the pool as it
// needs them and gives them back when done (stdlib.OpenDBFromPool), so it
// shares the pool's limits with the host's own queries. The host keeps
// ownership: Close leaves the pool open, and the host closes it after the
// Store. The advice on poolers under OpenDB applies.
func OpenPool(ctx context.Context, pool *pgxpool.Pool, opts ...store.OpenOption) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres: OpenPool: the pool is nil")
	}
	// Closing this *sql.DB does not close the pool, so the Store owns it
	// like Open's.
	db := stdlib.OpenDBFromPool(pool)
	s, err := migrate(ctx, db, 0, store.NewOpenConfig(opts...))
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return &Store{Store: s}, nil
}

// Close closes the database handle the Store opened. A Store from OpenDB
// leaves the host's handle open and usable, and one from OpenPool leaves
// the pool open; the Store must not be used after Close either way.
func (s *Store) Close() error {
	if s.borrowed {
		// sqlstore.Store.Close would close the host's handle. It also
		// closes the execution upsert it prepares on the handle, which
		// nothing else can reach: that statement stays until the host
		// closes the handle or the connections it was prepared on.
		return nil
	}
	return s.Store.Close()
}

// migrate runs the migrations on db (up to migrateTo, if it is not 0)
// under the advisory lock and returns the store on it. It does not close
// db.
func migrate(ctx context.Context, db *sql.DB, migrateTo int64, oc store.OpenConfig) (*sqlstore.Store, error) {
	mfs, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return sqlstore.Open(ctx, sqlstore.Config{
		Dialect:    dialect(),
		Write:      db,
		Read:       db,
		Migrations: mfs,
		Migrate:    func(ctx context.Context, up func(context.Context) error) error { return migrateLocked(ctx, db, up) },
		MigrateTo:  migrateTo,
		Logger:     oc.Logger,
	})
}

// migrateLocked runs the migrations while holding an advisory lock on the
// current schema, so that nodes starting together apply each migration
// once. The lock is taken on its own connection and blocks in the server,
// where goose's own session locker would poll every few seconds; keying it
// by schema lets schemas (one per test, say) migrate in parallel.
func migrateLocked(ctx context.Context, db *sql.DB, up func(context.Context) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close() }()
	const key = `hashtext('kiln migrations ' || current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		// Unlock even if ctx has ended; closing the connection would
		// release the lock too, but the pool keeps connections open.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+key+`)`)
	}()
	return up(ctx)
}

func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:                  "postgres",
		Goose:                 goose.DialectPostgres,
		Time:                  func(t time.Time) any { return t },
		JSON:                  stripNUL,
		IsUniqueViolation:     hasCode("23505"), // unique_violation
		IsForeignKeyViolation: hasCode("23503"), // foreign_key_violation
		RowLocks:              true,
	}
}

// hasCode returns a function reporting whether an error is a PostgreSQL
// error with the SQLSTATE code.
func hasCode(code string) func(error) bool {
	return func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && e.Code == code
	}
}

// stripNUL replaces the escape \u0000 in JSON text with \ufffd. JSONB
// cannot hold U+0000, and scripts can log or return any string; without
// this one NUL character would fail a whole batch of execution writes.
func stripNUL(s string) string {
	if !strings.Contains(s, `\u0000`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		// In valid JSON a backslash always starts an escape inside a
		// string, so skipping escapes whole keeps "\\u0000" (a backslash
		// then "u0000") intact.
		if strings.HasPrefix(s[i:], `\u0000`) {
			b.WriteString(`\ufffd`)
			i += len(`\u0000`) - 1
			continue
		}
		b.WriteByte('\\')
		if i+1 < len(s) {
			i++
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
