package postgres_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // a driver OpenDB must refuse

	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/postgres"
	"github.com/kiln-run/kiln/store/storetest"
)

// hostHandle is what a host hands the store: its own *sql.DB or pgx pool
// on a schema, and a check that the host can still use it.
type hostHandle struct {
	open   func(ctx context.Context) (*postgres.Store, error)
	usable func(ctx context.Context) error
	// query runs a query on the host's handle, bypassing the store.
	query func(ctx context.Context, sql string, args ...any) (string, error)
}

// hostDB opens a *sql.DB with pgx's driver on schemaURL, as a host would,
// and closes it when the test ends.
func hostDB(t *testing.T, schemaURL string) hostHandle {
	t.Helper()
	db, err := sql.Open("pgx", schemaURL)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the host's handle: %v", err)
		}
	})
	return hostHandle{
		open:   func(ctx context.Context) (*postgres.Store, error) { return postgres.OpenDB(ctx, db) },
		usable: db.PingContext,
		query: func(ctx context.Context, q string, args ...any) (string, error) {
			var s string
			err := db.QueryRowContext(ctx, q, args...).Scan(&s)
			return s, err
		},
	}
}

// hostPool opens a pgx pool on schemaURL and closes it when the test ends.
func hostPool(t *testing.T, schemaURL string) hostHandle {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), schemaURL)
	if err != nil {
		t.Fatalf("pgxpool.New: %v", err)
	}
	t.Cleanup(pool.Close)
	return hostHandle{
		open:   func(ctx context.Context) (*postgres.Store, error) { return postgres.OpenPool(ctx, pool) },
		usable: pool.Ping,
		query: func(ctx context.Context, q string, args ...any) (string, error) {
			var s string
			err := pool.QueryRow(ctx, q, args...).Scan(&s)
			return s, err
		},
	}
}

var hosts = []struct {
	name string
	open func(t *testing.T, schemaURL string) hostHandle
}{
	{"DB", hostDB},
	{"Pool", hostPool},
}

// TestOpenHost runs the suite on a store opened through a host's *sql.DB
// and through a host's pgx pool, each test in a schema of its own; after
// each test's Close, the host's handle must still answer.
func TestOpenHost(t *testing.T) {
	dbURL, admin := connect(t)
	for _, h := range hosts {
		t.Run(h.name, func(t *testing.T) {
			storetest.Exercise(t, func(t *testing.T) store.Store {
				host := h.open(t, withSearchPath(dbURL, createSchema(t, admin)))
				s, err := host.open(t.Context())
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				t.Cleanup(func() {
					// Runs before the host's handle is closed.
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
					if err := host.usable(context.Background()); err != nil {
						t.Errorf("the host's handle after Close: %v", err)
					}
				})
				return s
			})
		})
	}
}

// TestOpenHostLeavesHandleOpen: after Close the host's handle still reads
// what the store wrote, and a second store on it (a restart) finds the
// schema migrated and the data there (storetest.ExerciseHostHandle).
func TestOpenHostLeavesHandleOpen(t *testing.T) {
	dbURL, admin := connect(t)
	for _, h := range hosts {
		t.Run(h.name, func(t *testing.T) {
			host := h.open(t, withSearchPath(dbURL, createSchema(t, admin)))
			storetest.ExerciseHostHandle(t, storetest.HostHandle{
				Open: func(ctx context.Context) (store.Store, error) { return host.open(ctx) },
				ScriptName: func(ctx context.Context, id string) (string, error) {
					return host.query(ctx, `SELECT name FROM scripts WHERE id = $1`, id)
				},
			})
		})
	}
}

// TestOpenDBRefusesOtherDrivers: the dialect reads PostgreSQL's error
// codes from pgx's errors, so a handle of another driver is refused.
func TestOpenDBRefusesOtherDrivers(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := postgres.OpenDB(t.Context(), db)
	if err == nil {
		s.Close()
		t.Fatal("OpenDB accepted a SQLite handle")
	}
	if !strings.Contains(err.Error(), "pgx") {
		t.Errorf("OpenDB: %v; want the message to name pgx", err)
	}
}
