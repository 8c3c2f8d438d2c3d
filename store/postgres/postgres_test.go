package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/postgres"
	"github.com/kiln-run/kiln/store/storetest"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// TestStore runs the suite against the PostgreSQL at $KILN_TEST_POSTGRES,
// each test in a schema of its own that is dropped afterwards.
func TestStore(t *testing.T) {
	dbURL, admin := connect(t)
	storetest.Exercise(t, func(t *testing.T) store.Store {
		schema := createSchema(t, admin)
		s, err := postgres.Open(t.Context(), withSearchPath(dbURL, schema))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}

// TestMigrations seeds a schema at an earlier version and migrates it.
func TestMigrations(t *testing.T) {
	dbURL, admin := connect(t)
	storetest.ExerciseMigrations(t, func(t *testing.T) storetest.Migrations {
		schemaURL := withSearchPath(dbURL, createSchema(t, admin))
		opened := func(t *testing.T, s *postgres.Store, err error) store.Store {
			t.Helper()
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
		return storetest.Migrations{
			OpenAt: func(t *testing.T, version int64) store.Store {
				s, err := postgres.OpenAt(t.Context(), schemaURL, version)
				return opened(t, s, err)
			},
			Open: func(t *testing.T, opts ...store.OpenOption) store.Store {
				s, err := postgres.Open(t.Context(), schemaURL, opts...)
				return opened(t, s, err)
			},
		}
	})
}

// TestOpenTwice checks that opening a migrated schema again (a second node,
// or a restart) is a no-op, and that nodes starting together do not race.
func TestOpenTwice(t *testing.T) {
	dbURL, admin := connect(t)
	schemaURL := withSearchPath(dbURL, createSchema(t, admin))
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := postgres.Open(t.Context(), schemaURL)
			if err == nil {
				err = s.Ping(t.Context())
				s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
}

// connect returns the database URL and an admin pool for creating schemas.
// It skips the test when PostgreSQL is unreachable, unless CI=true, where a
// silently skipped suite would hide a broken setup.
func connect(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dbURL := os.Getenv("KILN_TEST_POSTGRES")
	if dbURL == "" {
		dbURL = defaultURL
	}
	unreachable := func(err error) {
		t.Helper()
		msg := "PostgreSQL for tests is unreachable (set KILN_TEST_POSTGRES, default " + defaultURL + "): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		unreachable(err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		unreachable(err)
	}
	return dbURL, admin
}

// createSchema creates an empty schema and drops it, with everything in
// it, when the test ends.
func createSchema(t *testing.T, admin *sql.DB) string {
	t.Helper()
	schema := "kiln_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// withSearchPath adds search_path to a connection URL or key=value string;
// pgx sends parameters it does not know as run-time parameters.
func withSearchPath(dbURL, schema string) string {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dbURL + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
