package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // a driver OpenDB must refuse

	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
	"github.com/kiln-run/kiln/store/storetest"
)

// hostParams are the settings OpenDB documents, as a host would put them
// in its DSN.
const hostParams = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"

// TestOpenDB runs the suite on a handle the test opens as a host would:
// one pool of several connections for reads and writes, so concurrent
// writers meet in SQLite's lock rather than queueing on Open's single
// write connection. (Without _txlock=immediate, DocConcurrentUpdates
// fails with SQLITE_BUSY.)
func TestOpenDB(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store {
		db := hostDB(t, filepath.Join(t.TempDir(), "kiln.db")+"?"+hostParams)
		s := openDB(t, db)
		t.Cleanup(func() {
			// Runs before hostDB's cleanup closes the handle.
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := db.PingContext(context.Background()); err != nil {
				t.Errorf("the host's handle after Close: %v", err)
			}
		})
		return s
	})
}

// TestOpenDBLeavesHandleOpen: after Close the host's handle still reads
// what the store wrote and still writes, and a second store on it finds
// the schema migrated and the data there (storetest.ExerciseHostHandle).
func TestOpenDBLeavesHandleOpen(t *testing.T) {
	db := hostDB(t, filepath.Join(t.TempDir(), "kiln.db")+"?"+hostParams)
	storetest.ExerciseHostHandle(t, storetest.HostHandle{
		Open: func(ctx context.Context) (store.Store, error) { return sqlite.OpenDB(ctx, db) },
		ScriptName: func(ctx context.Context, id string) (string, error) {
			var name string
			err := db.QueryRowContext(ctx, `SELECT name FROM scripts WHERE id = $1`, id).Scan(&name)
			return name, err
		},
		Write: func(ctx context.Context) error {
			_, err := db.ExecContext(ctx, `CREATE TABLE host_own (x INTEGER)`)
			return err
		},
	})
}

// TestOpenDBRefuses: a handle configured so that the store would be wrong
// is refused at open, with the fix in the message, and left open.
func TestOpenDBRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, driver, params, want string
	}{
		{"foreign keys off", "sqlite", "_pragma=busy_timeout(10000)&_txlock=immediate", "foreign_keys(1)"},
		{"no busy timeout", "sqlite", "_pragma=foreign_keys(1)&_txlock=immediate", "busy_timeout(10000)"},
		{"query only", "sqlite", hostParams + "&_query_only=1", "query_only"},
		{"another driver", "pgx", "", "modernc.org/sqlite"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dsn := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".db") + "?" + tt.params
			if tt.driver == "pgx" {
				dsn = "postgres://nobody@127.0.0.1:1/none"
			}
			db, err := sql.Open(tt.driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, err := sqlite.OpenDB(t.Context(), db)
			if err == nil {
				s.Close()
				t.Fatalf("OpenDB accepted a handle with %s", tt.name)
			}
			t.Logf("OpenDB: %v", err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenDB: %v; want the message to mention %q", err, tt.want)
			}
			if tt.driver == "sqlite" {
				if err := db.PingContext(t.Context()); err != nil {
					t.Errorf("the host's handle after a refused OpenDB: %v", err)
				}
			}
		})
	}
}

func hostDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("sql.Open(%s): %v", dsn, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing the host's handle: %v", err)
		}
	})
	return db
}

func openDB(t *testing.T, db *sql.DB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.OpenDB(t.Context(), db)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	return s
}
