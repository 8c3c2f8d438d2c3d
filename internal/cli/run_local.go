package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
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
// Scripts see it as ctx.tenantId; the store knows the tenant by the ID it
// generated, which localState substitutes on every call.
const localTenantSlug = "local"

// localState is kiln run's data folder: an SQLite store (kiln.db, the
// server's layout) with one tenant, and the key (secret.key) its secrets
// are sealed with. It implements sdk.Store for that tenant, so iota.db,
// iota.cache and iota.secrets are the server's modules over a real store.
//
// The folder is created and opened on the first call that needs it: a
// script that never touches iota.db, iota.cache or a stored secret leaves
// no folder behind.
//
// iota.secrets.get reads the flags' secrets (--secret, --env-file) first,
// then the folder's. sdk.SecretsModule opens what SecretGet returns with
// session, a box whose key lives only in this process: flag secrets never
// reach the disk, and a stored secret, opened with the folder's key for
// the tenant's real ID, is sealed again for session.
type localState struct {
	dir     string
	keyEnv  string            // $KILN_SECRET_KEY, as the server reads it
	flags   map[string]string // --secret and --env-file values, by name
	session *secrets.Box

	once     sync.Once
	err      error
	store    *sqlite.Store
	box      *secrets.Box // the folder's key
	tenantID string

	mu       sync.Mutex
	problems []string // failures a script saw only as INTERNAL
}

func newLocalState(dir, keyEnv string, flags map[string]string) (*localState, error) {
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	session, err := secrets.NewBox(key)
	if err != nil {
		return nil, err
	}
	return &localState{dir: dir, keyEnv: keyEnv, flags: flags, session: session}, nil
}

// open opens the folder once; every later call returns the first result.
func (l *localState) open(ctx context.Context) error {
	l.once.Do(func() {
		// The first caller's context may end (its script's timeout) while
		// later callers still wait on the result.
		l.err = l.openFolder(context.WithoutCancel(ctx))
		if l.err != nil {
			l.problem("data folder %s: %v", l.dir, l.err)
		}
	})
	return l.err
}

func (l *localState) openFolder(ctx context.Context) error {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("create it: %w", unwrapPathError(err))
	}
	key, err := secrets.LoadKey(l.dir, l.keyEnv)
	if err != nil {
		return err
	}
	if l.box, err = secrets.NewBox(key); err != nil {
		return err
	}
	if l.store, err = sqlite.Open(ctx, filepath.Join(l.dir, "kiln.db")); err != nil {
		return err
	}
	t, err := l.store.TenantGetBySlug(ctx, localTenantSlug)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		t, err = l.store.TenantCreate(ctx, store.TenantCreateParams{Slug: localTenantSlug, Name: "Local (kiln run)"})
		if kilntype.ErrorCode(err) == kilntype.EConflict { // another run created it first
			t, err = l.store.TenantGetBySlug(ctx, localTenantSlug)
		}
	}
	if err != nil {
		return fmt.Errorf("the %s tenant: %w", localTenantSlug, err)
	}
	l.tenantID = t.ID
	return nil
}

// problem notes a failure to print after the run: the script saw it as
// INTERNAL, without details.
func (l *localState) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
}

// takeProblems returns the failures noted since the last call.
func (l *localState) takeProblems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.problems
	l.problems = nil
	return p
}

// saveSecrets seals the flags' secrets with the folder's key and stores
// them, so later runs read them without flags. It returns their names.
func (l *localState) saveSecrets(ctx context.Context) ([]string, error) {
	if err := l.open(ctx); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", l.dir, err)
	}
	names := make([]string, 0, len(l.flags))
	for name := range l.flags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sealed, err := l.box.Seal(l.tenantID, name, []byte(l.flags[name]))
		if err != nil {
			return nil, fmt.Errorf("secret %s: %w", name, err)
		}
		if _, err := l.store.SecretPut(ctx, l.tenantID, name, sealed); err != nil {
			return nil, fmt.Errorf("save secret %s in %s: %w", name, l.dir, err)
		}
	}
	return names, nil
}

// close closes the store if it was opened.
func (l *localState) close() error {
	if l.store == nil {
		return nil
	}
	return l.store.Close()
}

// sdk.Store, for the local tenant. Every tenantID argument is the one
// scripts run as (localTenantSlug) and is replaced by the store's ID.

func (l *localState) DocQuery(ctx context.Context, _, collection string, q store.DocQuery) ([]store.Doc, error) {
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	return l.store.DocQuery(ctx, l.tenantID, collection, q)
}

func (l *localState) DocCount(ctx context.Context, _, collection string, where store.Filter) (int64, error) {
	if err := l.open(ctx); err != nil {
		return 0, err
	}
	return l.store.DocCount(ctx, l.tenantID, collection, where)
}

func (l *localState) DocGet(ctx context.Context, _, collection, id string) (*store.Doc, error) {
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	return l.store.DocGet(ctx, l.tenantID, collection, id)
}

func (l *localState) DocInsert(ctx context.Context, p store.DocInsertParams) (*store.Doc, error) {
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	p.TenantID = l.tenantID
	return l.store.DocInsert(ctx, p)
}

func (l *localState) DocUpdate(ctx context.Context, p store.DocUpdateParams) (*store.Doc, error) {
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	p.TenantID = l.tenantID
	return l.store.DocUpdate(ctx, p)
}

func (l *localState) DocDelete(ctx context.Context, _, collection, id string) (bool, error) {
	if err := l.open(ctx); err != nil {
		return false, err
	}
	return l.store.DocDelete(ctx, l.tenantID, collection, id)
}

func (l *localState) CacheGet(ctx context.Context, _, key string) (json.RawMessage, error) {
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	return l.store.CacheGet(ctx, l.tenantID, key)
}

func (l *localState) CacheSet(ctx context.Context, p store.CacheSetParams) error {
	if err := l.open(ctx); err != nil {
		return err
	}
	p.TenantID = l.tenantID
	return l.store.CacheSet(ctx, p)
}

func (l *localState) CacheDelete(ctx context.Context, _, key string) (bool, error) {
	if err := l.open(ctx); err != nil {
		return false, err
	}
	return l.store.CacheDelete(ctx, l.tenantID, key)
}

func (l *localState) CacheIncrement(ctx context.Context, p store.CacheIncrementParams) (float64, error) {
	if err := l.open(ctx); err != nil {
		return 0, err
	}
	p.TenantID = l.tenantID
	return l.store.CacheIncrement(ctx, p)
}

// SecretGet returns the secret sealed for session: a flag's value, else
// the folder's (NOT_FOUND if neither has it).
func (l *localState) SecretGet(ctx context.Context, tenantID, name string) ([]byte, error) {
	if v, ok := l.flags[name]; ok {
		return l.session.Seal(tenantID, name, []byte(v))
	}
	if err := l.open(ctx); err != nil {
		return nil, err
	}
	sealed, err := l.store.SecretGet(ctx, l.tenantID, name)
	if err != nil {
		return nil, err
	}
	value, err := l.box.Open(l.tenantID, name, sealed)
	if err != nil {
		l.problem("secret %s in %s does not open with the folder's key (%s, or KILN_SECRET_KEY): %v", name, l.dir, secrets.KeyFile, err)
		return nil, err
	}
	return l.session.Seal(tenantID, name, value)
}
