package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib" // a driver OpenDB must refuse

	"github.com/kiln-run/kiln/kilntype"
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
// the schema migrated and the data there.
func TestOpenDBLeavesHandleOpen(t *testing.T) {
	ctx := t.Context()
	db := hostDB(t, filepath.Join(t.TempDir(), "kiln.db")+"?"+hostParams)
	s, err := sqlite.OpenDB(ctx, db)
	if err != nil {
		t.Fatalf("OpenDB: %v", err)
	}
	tenant, err := s.TenantCreate(ctx, store.TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	sc, err := s.ScriptCreate(ctx, store.ScriptCreateParams{
		TenantID: tenant.ID, Name: "hello", Type: kilntype.TypeManual, Status: kilntype.StatusActive,
		Version: store.VersionCreateParams{SourceCode: "export default () => 1"},
	})
	if err != nil {
		t.Fatalf("ScriptCreate: %v", err)
	}
	exec := kilntype.Execution{
		ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, ScriptID: sc.ID, Version: 1,
		Trigger: "manual", Attempt: 1, Status: kilntype.ExecCompleted, CreatedAt: sc.CreatedAt,
	}
	if err := s.ExecutionWrite(ctx, []kilntype.Execution{exec}); err != nil {
		t.Fatalf("ExecutionWrite (prepares the upsert on the host's handle): %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	var name string
	if err := db.QueryRowContext(ctx, `SELECT name FROM scripts WHERE id = $1`, sc.ID).Scan(&name); err != nil || name != "hello" {
		t.Fatalf("the host reading the script after Close: %q, %v", name, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE host_own (x INTEGER)`); err != nil {
		t.Fatalf("the host writing after Close: %v", err)
	}

	again, err := sqlite.OpenDB(ctx, db)
	if err != nil {
		t.Fatalf("OpenDB again: %v", err)
	}
	defer again.Close()
	if err := again.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	got, err := again.ScriptGet(ctx, tenant.ID, sc.ID)
	if err != nil || got.Name != "hello" {
		t.Errorf("ScriptGet through a second store: %+v, %v", got, err)
	}
	if e, err := again.ExecutionGet(ctx, tenant.ID, exec.ID); err != nil || e.Status != kilntype.ExecCompleted {
		t.Errorf("ExecutionGet through a second store: %+v, %v", e, err)
	}
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
