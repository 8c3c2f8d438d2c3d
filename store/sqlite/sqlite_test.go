package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
	"github.com/kiln-run/kiln/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "kiln.db"))
	})
}

// TestMemory runs the suite on ":memory:", whose single connection serves
// reads and writes alike.
func TestMemory(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) store.Store { return open(t, ":memory:") })
}

// TestMigrations seeds a database file at an earlier schema version and
// migrates it.
func TestMigrations(t *testing.T) {
	storetest.ExerciseMigrations(t, func(t *testing.T) storetest.Migrations {
		path := filepath.Join(t.TempDir(), "kiln.db")
		return storetest.Migrations{
			OpenAt: func(t *testing.T, version int64) store.Store {
				s, err := sqlite.OpenAt(t.Context(), path, version)
				if err != nil {
					t.Fatalf("OpenAt(%d): %v", version, err)
				}
				t.Cleanup(func() { _ = s.Close() })
				return s
			},
			Open: func(t *testing.T, opts ...store.OpenOption) store.Store { return open(t, path, opts...) },
		}
	})
}

func open(t testing.TB, path string, opts ...store.OpenOption) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestTwoStoresOneFile stands in for two processes sharing a database:
// their write connections are separate, so only BEGIN IMMEDIATE and the
// busy timeout keep concurrent saves from failing with SQLITE_BUSY.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kiln.db")
	a, b := open(t, path), open(t, path)
	ctx := t.Context()
	tenant, err := a.TenantCreate(ctx, store.TenantCreateParams{Slug: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := a.ScriptCreate(ctx, store.ScriptCreateParams{
		TenantID: tenant.ID, Name: "hot", Type: kilntype.TypeManual, Status: kilntype.StatusActive,
	})
	if err != nil {
		t.Fatal(err)
	}
	const saves = 20
	var wg sync.WaitGroup
	for i := range saves {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			_, err := s.ScriptUpdate(ctx, store.ScriptUpdateParams{
				TenantID: tenant.ID, ID: sc.ID, NewVersion: &store.VersionCreateParams{SourceCode: "x"},
			})
			if err != nil {
				t.Errorf("save %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	vs, err := b.VersionList(ctx, tenant.ID, sc.ID)
	if err != nil {
		t.Fatalf("VersionList: %v", err)
	}
	if len(vs) != saves+1 || vs[0].Number != saves+1 {
		t.Errorf("after %d saves through two stores: %d versions, newest %d; want %d", saves, len(vs), vs[0].Number, saves+1)
	}
}
