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
	// borrowed is set by OpenDB: the host owns the handle, and Close
	// leaves it open.
	borrowed bool
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
	s, err := migrate(ctx, write, read, migrateTo, oc)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("sqlite: open %s: %w", path, err), closeDBs(write, read))
	}
	return &Store{Store: s}, nil
}

// OpenDB returns a Store on a database handle the host opened with the
// modernc.org/sqlite driver, applying any pending migrations. The one
// handle serves reads and writes. The host keeps ownership: Close leaves
// db open, and the host closes it after the Store.
//
// Open configures its own handles; a host's handle must be configured the
// same way for the store to be correct, in the DSN, so that every
// connection of its pool is alike:
//
//   - _pragma=foreign_keys(1): a script, key or execution written for a
//     tenant or script that does not exist fails (NOT_FOUND) instead of
//     leaving an orphan row. Required.
//   - _pragma=busy_timeout(10000): a write that finds the file locked by
//     another connection waits instead of failing with SQLITE_BUSY.
//     Required.
//   - _txlock=immediate: each transaction takes the write lock when it
//     begins. A deferred transaction that reads and then writes cannot
//     wait for a concurrent writer on another connection: it fails with
//     SQLITE_BUSY whatever the busy timeout. Required unless the handle
//     has a single connection (db.SetMaxOpenConns(1)) and no other
//     process writes the file.
//   - _pragma=journal_mode(WAL): readers do not wait for the writer.
//     Recommended; Open uses WAL with _pragma=synchronous(NORMAL).
//   - query_only off: the store writes through this handle.
//
// OpenDB checks what it can on one connection of the pool and refuses a
// handle whose driver is not modernc.org/sqlite, whose foreign keys are
// off, whose busy timeout is 0 or which is query_only; it cannot see
// _txlock. An in-memory database is private to each connection, so a
// handle on ":memory:" must have exactly one connection, kept forever
// (SetMaxOpenConns(1), SetConnMaxLifetime(0), SetConnMaxIdleTime(0)).
//
// Unlike Open's single write connection, on which writers queue in Go, the
// host's writers meet in SQLite's lock and wait with the busy timeout.
func OpenDB(ctx context.Context, db *sql.DB, opts ...store.OpenOption) (*Store, error) {
	if err := checkDB(ctx, db); err != nil {
		return nil, err
	}
	s, err := migrate(ctx, db, db, 0, store.NewOpenConfig(opts...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open the host's database: %w", err)
	}
	return &Store{Store: s, borrowed: true}, nil
}

// Close closes the database handles the Store opened. A Store from OpenDB
// leaves the host's handle open and usable; the Store must not be used
// after Close either way.
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

// migrate runs the migrations (up to migrateTo, if it is not 0) and
// returns the store on write and read.
func migrate(ctx context.Context, write, read *sql.DB, migrateTo int64, oc store.OpenConfig) (*sqlstore.Store, error) {
	mfs, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return sqlstore.Open(ctx, sqlstore.Config{
		Dialect:    dialect(),
		Write:      write,
		Read:       read,
		Migrations: mfs,
		MigrateTo:  migrateTo,
		Logger:     oc.Logger,
	})
}

// checkDB refuses a host's handle configured in a way that would make the
// store wrong: another driver, foreign keys off, no busy timeout, or
// query_only. The PRAGMAs are per connection; it reads them on one.
func checkDB(ctx context.Context, db *sql.DB) error {
	if db == nil {
		return errors.New("sqlite: OpenDB: the database handle is nil")
	}
	if _, ok := db.Driver().(*sqlite.Driver); !ok {
		return fmt.Errorf("sqlite: OpenDB: the handle's driver is %T; it must be modernc.org/sqlite (sql.Open(\"sqlite\", …))", db.Driver())
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: OpenDB: connect: %w", err)
	}
	defer func() { _ = conn.Close() }()
	pragma := func(name string) (int64, error) {
		var v int64
		if err := conn.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			return 0, fmt.Errorf("sqlite: OpenDB: read PRAGMA %s: %w", name, err)
		}
		return v, nil
	}
	for _, check := range []struct {
		pragma string
		ok     func(int64) bool
		fix    string
	}{
		{"foreign_keys", func(v int64) bool { return v == 1 }, "foreign keys are off; open the handle with _pragma=foreign_keys(1) so that a row naming a missing tenant or script is refused"},
		{"busy_timeout", func(v int64) bool { return v > 0 }, "the busy timeout is 0; open the handle with _pragma=busy_timeout(10000) so that a write waits for another connection's lock instead of failing with SQLITE_BUSY"},
		{"query_only", func(v int64) bool { return v == 0 }, "the handle is query_only; the store writes through it"},
	} {
		v, err := pragma(check.pragma)
		if err != nil {
			return err
		}
		if !check.ok(v) {
			return fmt.Errorf("sqlite: OpenDB: %s", check.fix)
		}
	}
	return nil
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
	readers := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(readers)
	// As many kept idle: database/sql keeps 2 by default, and a third
	// concurrent reader then opened a connection (and read the schema) for
	// each query and closed it after — 13% of a busy task node's CPU.
	read.SetMaxIdleConns(readers)
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
