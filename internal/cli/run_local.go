package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/secrets"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

// localTenantSlug names the one tenant kiln run keeps in its data folder.
const localTenantSlug = "local"

// localState is kiln run's data folder: an SQLite store (kiln.db, the
// server's layout) with one tenant, and the key (secret.key, or
// $KILN_SECRET_KEY) its secrets are sealed with.
//
// It is opened before any script runs, never from a script's SDK call: the
// engine charges the heap a run grows to that run, and opening SQLite (its
// migrations, on a new folder) would count against the script's memory
// limit.
type localState struct {
	dir      string
	store    *sqlite.Store
	box      *secrets.Box
	tenantID string
}

// openLocalState creates the folder if needed, opens the store and finds
// or creates the local tenant.
func openLocalState(ctx context.Context, dir, keyEnv string) (_ *localState, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create it: %w", unwrapPathError(err))
	}
	key, err := secrets.LoadKey(dir, keyEnv)
	if err != nil {
		return nil, err
	}
	l := &localState{dir: dir}
	if l.box, err = secrets.NewBox(key); err != nil {
		return nil, err
	}
	if l.store, err = sqlite.Open(ctx, filepath.Join(dir, "kiln.db")); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = l.store.Close()
		}
	}()
	t, err := l.store.TenantGetBySlug(ctx, localTenantSlug)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		t, err = l.store.TenantCreate(ctx, store.TenantCreateParams{Slug: localTenantSlug, Name: "Local (kiln run)"})
		if kilntype.ErrorCode(err) == kilntype.EConflict { // another run created it first
			t, err = l.store.TenantGetBySlug(ctx, localTenantSlug)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the %s tenant: %w", localTenantSlug, err)
	}
	l.tenantID = t.ID
	return l, nil
}

// saveSecrets seals secrets with the folder's key and stores them, so
// later runs read them without flags. It returns their names.
func (l *localState) saveSecrets(ctx context.Context, values map[string]string) ([]string, error) {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sealed, err := l.box.Seal(l.tenantID, name, []byte(values[name]))
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		if _, err := l.store.SecretPut(ctx, l.tenantID, name, sealed); err != nil {
			return nil, fmt.Errorf("save secret %s in %s: %w", name, l.dir, err)
		}
	}
	return names, nil
}

func (l *localState) close() error { return l.store.Close() }

// localStore is the store the SDK modules get: the folder's, with the
// flags' secrets (--secret, --env-file) in front of the saved ones. A
// flag's value is sealed in memory only, as the saved ones are on disk,
// for sdk.SecretsModule to open.
type localStore struct {
	*sqlite.Store
	box   *secrets.Box
	dir   string
	flags map[string]string

	mu       sync.Mutex
	problems []string // failures a script saw only as INTERNAL
}

func (s *localStore) SecretGet(ctx context.Context, tenantID, name string) ([]byte, error) {
	if v, ok := s.flags[name]; ok {
		return s.box.Seal(tenantID, name, []byte(v))
	}
	sealed, err := s.Store.SecretGet(ctx, tenantID, name)
	if err == nil {
		// A value that does not open reaches the script as INTERNAL,
		// without details, as in the server; the server logs why for its
		// operator, and kiln run prints it after the run.
		if _, openErr := s.box.Open(tenantID, name, sealed); openErr != nil {
			s.mu.Lock()
			s.problems = append(s.problems, fmt.Sprintf("secret %s saved in %s does not open with this key (%s there, or $KILN_SECRET_KEY): save it again with --secret %s=… --save-secrets",
				name, s.dir, secrets.KeyFile, name))
			s.mu.Unlock()
		}
	}
	return sealed, err
}

// takeProblems returns the failures noted since the last call.
func (s *localStore) takeProblems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.problems
	s.problems = nil
	return p
}
