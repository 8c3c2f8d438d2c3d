// Package sqlstore is the one implementation of store.Store over
// database/sql that store/sqlite and store/postgres share. The two dialects
// differ in how they store times and JSON and in how they report constraint
// violations; a Dialect carries exactly those differences and nothing else,
// so every query is written once with $1…$N placeholders, which both
// modernc.org/sqlite and pgx bind by number.
//
// The SQL sticks to what SQLite (3.35+) and PostgreSQL (12+) both accept:
// INSERT … ON CONFLICT, UPDATE … RETURNING, row-value comparison, and
// lower(…) LIKE … ESCAPE.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name names the database in error messages ("sqlite", "postgres").
	Name string
	// Goose is the migration dialect.
	Goose goose.Dialect
	// Time converts a UTC time, already truncated to microseconds, to the
	// value the database stores. Times are read back by timeScanner, which
	// accepts both time.Time and the text form of FormatTime.
	Time func(time.Time) any
	// JSON converts valid JSON text to the value the database stores; nil
	// means store it unchanged.
	JSON func(string) string
	// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
	// violation.
	IsUniqueViolation func(error) bool
	// IsForeignKeyViolation reports whether err is a FOREIGN KEY violation.
	IsForeignKeyViolation func(error) bool
	// Positional makes the hottest statement (the execution upsert) use
	// anonymous ? placeholders: SQLite's driver looks up a $N parameter
	// by name on every bind, a tenth of the statement's cost.
	Positional bool
	// RowLocks says that a write transaction must lock the rows it reads
	// with SELECT … FOR UPDATE (and may skip rows others hold with SKIP
	// LOCKED), as on PostgreSQL, where writers run side by side. SQLite's
	// write transactions run one at a time and need neither.
	RowLocks bool
}

// Config opens a Store.
type Config struct {
	Dialect Dialect
	// Write runs every statement that changes data. SQLite gives it a
	// single connection so that writers queue in Go instead of failing
	// with SQLITE_BUSY.
	Write *sql.DB
	// Read runs reads; it may be the same *sql.DB as Write.
	Read *sql.DB
	// Migrations holds the goose .sql files at its root. The Go
	// migrations (goMigrations) are shared by both dialects and join them.
	Migrations fs.FS
	// Migrate, if set, runs up (which applies the migrations) in its
	// stead; PostgreSQL wraps it in an advisory lock so that nodes
	// starting together do not race.
	Migrate func(ctx context.Context, up func(context.Context) error) error
	// MigrateTo, if not 0, stops the migrations after that version. Tests
	// use it to write rows at an earlier schema and then migrate them.
	MigrateTo int64
	// Logger receives what the store reports on its own, such as the
	// scripts a migration renamed. Nil: slog.Default().
	Logger *slog.Logger
}

// Store implements store.Store over database/sql. It is safe for
// concurrent use.
type Store struct {
	dialect    Dialect
	read       *sql.DB
	write      *sql.DB
	migrations *goose.Provider
	now        func() time.Time
	newID      func() string

	// upsert is executionUpsert prepared once on the write pool: the
	// recorder writes a batch of executions many times a second, and
	// preparing the statement for each batch cost a tenth of the write.
	upsertMu sync.Mutex
	upsert   *sql.Stmt
	// stmts are the task appends' statements, by their text, prepared on
	// the write pool before the transaction that runs them (stmts.go).
	stmtMu      sync.Mutex
	stmts       map[string]*sql.Stmt
	stmtsClosed bool
}

// Open runs the migrations on cfg.Write and returns the Store. It does not
// close the databases on failure; the caller owns them until Open succeeds,
// and the Store owns them after.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var renames []store.ScriptRename
	// The global registry holds Go migrations registered by init functions
	// anywhere in the binary; Kiln's are the embedded SQL and its own.
	provider, err := goose.NewProvider(cfg.Dialect.Goose, cfg.Write, cfg.Migrations,
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations(cfg.Dialect, &renames)...))
	if err != nil {
		return nil, fmt.Errorf("%s: load migrations: %w", cfg.Dialect.Name, err)
	}
	up := func(ctx context.Context) error {
		if cfg.MigrateTo != 0 {
			_, err := provider.UpTo(ctx, cfg.MigrateTo)
			return err
		}
		_, err := provider.Up(ctx)
		return err
	}
	migrate := cfg.Migrate
	if migrate == nil {
		migrate = func(ctx context.Context, up func(context.Context) error) error { return up(ctx) }
	}
	if err := migrate(ctx, up); err != nil {
		return nil, fmt.Errorf("%s: migrate: %w", cfg.Dialect.Name, err)
	}
	logRenames(log, renames)
	return &Store{
		dialect:    cfg.Dialect,
		read:       cfg.Read,
		write:      cfg.Write,
		migrations: provider,
		now:        time.Now,
		newID:      newID,
	}, nil
}

// newID returns a UUIDv7: its leading bits are the creation time, so IDs
// sort like created_at and break its ties in "newest first" pages.
func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// Close closes the databases.
func (s *Store) Close() error {
	var err error
	s.upsertMu.Lock()
	if s.upsert != nil {
		err = s.upsert.Close()
	}
	s.upsertMu.Unlock()
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		err = errors.Join(err, st.Close())
	}
	s.stmts, s.stmtsClosed = nil, true
	s.stmtMu.Unlock()
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// Ping reports whether the database answers and every migration is applied.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return kilntype.Errorf(kilntype.EUnavailable, "%s: database does not answer: %v", s.dialect.Name, err)
	}
	pending, err := s.migrations.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("%s: check migrations: %w", s.dialect.Name, err)
	}
	if pending {
		return kilntype.Errorf(kilntype.EUnavailable, "%s: database schema is behind this binary: migrations are pending", s.dialect.Name)
	}
	return nil
}

// RawExec runs sql on the write connection. It exists for the conformance
// suite, which checks that the schema itself refuses to change a version;
// application code has no use for it.
func (s *Store) RawExec(ctx context.Context, sql string) error {
	_, err := s.write.ExecContext(ctx, sql)
	return err
}

// inTx runs fn in a write transaction and commits it if fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", s.dialect.Name, err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", s.dialect.Name, err)
	}
	return nil
}

// ignoreDone drops the error a rollback returns when the driver has already
// ended the transaction (as PostgreSQL does after a failed statement).
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// timestamp is the store's clock reading: UTC, truncated to microseconds,
// the finest precision PostgreSQL keeps, so that a value returned by a
// create equals the value read back later from either database.
func (s *Store) timestamp() time.Time { return normTime(s.now()) }

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeArg is t as a query argument.
func (s *Store) timeArg(t time.Time) any { return s.dialect.Time(normTime(t)) }

// nullTimeArg is t as a query argument, NULL if t is nil.
func (s *Store) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

// jsonArg is JSON text as a query argument, NULL if it is empty.
func (s *Store) jsonArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	if s.dialect.JSON != nil {
		return s.dialect.JSON(string(b))
	}
	return string(b)
}

// wrap adds the dialect and the operation to a driver error. Errors that
// are already a *kilntype.Error pass through unchanged.
func (s *Store) wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var ke *kilntype.Error
	if errors.As(err, &ke) {
		return err
	}
	return fmt.Errorf("%s: %s: %w", s.dialect.Name, fmt.Sprintf(format, args...), err)
}

// optional turns a nil pointer into a NULL argument, so that
// COALESCE($n, column) keeps the column.
func optional[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
