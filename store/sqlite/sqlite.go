// Package sqlite is Kiln's embedded store: one SQLite file, opened with the
// pure-Go modernc.org/sqlite driver, so the binary needs no cgo.
//
// SQLite allows one writer at a time. Rather than let concurrent writers
// collide and fail with SQLITE_BUSY, the Store sends every write through a
// pool of exactly one connection, so writers queue in Go, and opens each
// write transaction with BEGIN IMMEDIATE, so that even another process on
// the same file waits (busy_timeout) instead of failing half-way through a
// transaction. Reads use their own pool and, in WAL mode, never wait for
// the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a connection waits for another process's write
// lock before failing with SQLITE_BUSY. Writers in this process queue on
// the single write connection and never reach it.
const busyTimeout = 10 * time.Second

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	*sqlstore.Store
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and applies any
// pending migrations. path ":memory:" opens a private in-memory database
// for tests; it lives on a single connection, which then serves reads and
// writes alike, and disappears on Close.
func Open(ctx context.Context, path string, opts ...store.OpenOption) (*Store, error) {
	return open(ctx, path, 0, opts...)
}

// open is Open with the migrations stopped after version migrateTo, if it
// is not 0.
func open(ctx context.Context, path string, migrateTo int64, opts ...store.OpenOption) (*Store, error) {
	oc := store.NewOpenConfig(opts...)
	if path == "" || strings.ContainsAny(path, "?#") {
		// The driver splits its parameters off at the first '?'.
		return nil, fmt.Errorf("sqlite: open %q: path must be non-empty and contain no '?' or '#'", path)
	}
	write, read, err := openDBs(path)
	if err != nil {
		return nil, err
	}
	mfs, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: migrations: %w", err), closeDBs(write, read))
	}
	s, err := sqlstore.Open(ctx, sqlstore.Config{
		Dialect:    dialect(),
		Write:      write,
		Read:       read,
		Migrations: mfs,
		MigrateTo:  migrateTo,
		Logger:     oc.Logger,
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), closeDBs(write, read))
	}
	return &Store{Store: s}, nil
}

// openDBs returns the write pool and the read pool (the same pool for
// ":memory:").
func openDBs(path string) (write, read *sql.DB, err error) {
	params := url.Values{}
	params.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	params.Set("_foreign_keys", "1")
	params.Set("_txlock", "immediate")
	if path == ":memory:" {
		db, err := sql.Open("sqlite", path+"?"+params.Encode())
		if err != nil {
			return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		// Each connection to ":memory:" is a separate database, so there
		// must be exactly one, kept forever.
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, db, nil
	}

	params.Set("_journal_mode", "WAL")
	// In WAL mode, NORMAL syncs at checkpoints rather than at every
	// commit: a killed process loses nothing (committed pages are in the
	// operating system), a power loss or kernel crash can lose the last
	// commits — the same window as the embedded queue, which fsyncs every
	// second (docs/queue-internals.md). FULL cost a sync per batch of
	// execution records, which group commit waits on.
	params.Set("_synchronous", "NORMAL")
	write, err = sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)

	// Readers never write; query_only turns a write slipping into the read
	// pool into an error instead of a SQLITE_BUSY race with the writer.
	params.Del("_txlock")
	params.Set("_query_only", "1")
	read, err = sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), write.Close())
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
	return write, read, nil
}

func closeDBs(write, read *sql.DB) error {
	err := write.Close()
	if read != write {
		err = errors.Join(err, read.Close())
	}
	return err
}

func dialect() sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:  "sqlite",
		Goose: goose.DialectSQLite3,
		// Text in a fixed-width layout sorts like the time it encodes,
		// which the keyset pagination and the retention delete rely on.
		Time:                  func(t time.Time) any { return sqlstore.FormatTime(t) },
		IsUniqueViolation:     hasCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
		IsForeignKeyViolation: hasCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
		Positional:            true,
	}
}

// hasCode returns a function reporting whether an error is a SQLite error
// with one of the extended result codes.
func hasCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code() == c {
				return true
			}
		}
		return false
	}
}
