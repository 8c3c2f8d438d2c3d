package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// SettingGet returns a server-wide setting, or NOT_FOUND.
func (s *Store) SettingGet(ctx context.Context, key string) (string, error) {
	var value string
	err := s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", kilntype.Errorf(kilntype.ENotFound, "setting %q not found", key)
	}
	return value, s.wrap(err, "get setting %q", key)
}

// SettingPut creates or replaces a setting.
func (s *Store) SettingPut(ctx context.Context, key, value string) error {
	_, err := s.write.ExecContext(ctx, `
		INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, s.timeArg(s.timestamp()))
	return s.wrap(err, "put setting %q", key)
}

const tenantColumns = `id, slug, name, created_at, settings`

func scanTenant(row interface{ Scan(...any) error }, t *kilntype.Tenant) error {
	var settings []byte
	if err := row.Scan(&t.ID, &t.Slug, &t.Name, timeScanner{&t.CreatedAt}, textScanner{&settings}); err != nil {
		return err
	}
	if err := json.Unmarshal(settings, &t.Settings); err != nil {
		return fmt.Errorf("decode tenant settings: %w", err)
	}
	return nil
}

// TenantCreate creates a tenant; CONFLICT if the slug is taken.
func (s *Store) TenantCreate(ctx context.Context, p store.TenantCreateParams) (*kilntype.Tenant, error) {
	if p.Slug == "" {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "tenant slug is required")
	}
	t := &kilntype.Tenant{ID: s.newID(), Slug: p.Slug, Name: p.Name, CreatedAt: s.timestamp()}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.Slug, t.Name, s.timeArg(t.CreatedAt), s.jsonArg([]byte(`{"caps":{}}`)))
	if err != nil && s.dialect.IsUniqueViolation(err) {
		return nil, kilntype.Errorf(kilntype.EConflict, "tenant slug %q is already taken", p.Slug)
	}
	if err != nil {
		return nil, s.wrap(err, "create tenant %q", p.Slug)
	}
	return t, nil
}

// TenantGet returns a tenant by ID, or NOT_FOUND.
func (s *Store) TenantGet(ctx context.Context, id string) (*kilntype.Tenant, error) {
	var t kilntype.Tenant
	err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "tenant %s not found", id)
	}
	if err != nil {
		return nil, s.wrap(err, "get tenant %s", id)
	}
	return &t, nil
}

// TenantGetBySlug returns a tenant by slug, or NOT_FOUND.
func (s *Store) TenantGetBySlug(ctx context.Context, slug string) (*kilntype.Tenant, error) {
	var t kilntype.Tenant
	err := scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "tenant %q not found", slug)
	}
	if err != nil {
		return nil, s.wrap(err, "get tenant %q", slug)
	}
	return &t, nil
}

// TenantUpdate changes a tenant's name or settings; NOT_FOUND if missing.
func (s *Store) TenantUpdate(ctx context.Context, p store.TenantUpdateParams) (*kilntype.Tenant, error) {
	var settings any
	if p.Settings != nil {
		b, err := json.Marshal(p.Settings)
		if err != nil {
			return nil, s.wrap(err, "encode tenant settings")
		}
		settings = s.jsonArg(b)
	}
	var t kilntype.Tenant
	err := scanTenant(s.write.QueryRowContext(ctx,
		`UPDATE tenants SET name = COALESCE($2, name), settings = COALESCE($3, settings) WHERE id = $1 RETURNING `+tenantColumns,
		p.ID, p.Name, settings), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "tenant %s not found", p.ID)
	}
	if err != nil {
		return nil, s.wrap(err, "update tenant %s", p.ID)
	}
	return &t, nil
}

// TenantList returns every tenant, oldest first.
func (s *Store) TenantList(ctx context.Context) ([]kilntype.Tenant, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, s.wrap(err, "list tenants")
	}
	defer func() { _ = rows.Close() }()
	var out []kilntype.Tenant
	for rows.Next() {
		var t kilntype.Tenant
		if err := scanTenant(rows, &t); err != nil {
			return nil, s.wrap(err, "list tenants")
		}
		out = append(out, t)
	}
	return out, s.wrap(rows.Err(), "list tenants")
}

const keyColumns = `id, tenant_id, name, role, hash, created_at, revoked_at`

func scanKey(row interface{ Scan(...any) error }, k *kilntype.APIKey) error {
	return row.Scan(&k.ID, &k.TenantID, &k.Name, &k.Role, &k.Hash,
		timeScanner{&k.CreatedAt}, nullTimeScanner{&k.RevokedAt})
}

// KeyCreate stores a key; NOT_FOUND if the tenant does not exist,
// CONFLICT if another key has the same hash.
func (s *Store) KeyCreate(ctx context.Context, p store.KeyCreateParams) (*kilntype.APIKey, error) {
	if !p.Role.Valid() {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "role %q is not one of admin, developer, viewer", p.Role)
	}
	if p.Hash == "" {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "key hash is required")
	}
	k := &kilntype.APIKey{
		ID: s.newID(), TenantID: p.TenantID, Name: p.Name, Role: p.Role, Hash: p.Hash,
		CreatedAt: s.timestamp(),
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO api_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
		k.ID, k.TenantID, k.Name, string(k.Role), k.Hash, s.timeArg(k.CreatedAt))
	switch {
	case err != nil && s.dialect.IsForeignKeyViolation(err):
		return nil, kilntype.Errorf(kilntype.ENotFound, "tenant %s not found", p.TenantID)
	case err != nil && s.dialect.IsUniqueViolation(err):
		return nil, kilntype.Errorf(kilntype.EConflict, "a key with this hash already exists")
	case err != nil:
		return nil, s.wrap(err, "create key for tenant %s", p.TenantID)
	}
	return k, nil
}

// KeyGet returns a key by ID, revoked or not, or NOT_FOUND.
func (s *Store) KeyGet(ctx context.Context, id string) (*kilntype.APIKey, error) {
	var k kilntype.APIKey
	err := scanKey(s.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id), &k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "key %s not found", id)
	}
	if err != nil {
		return nil, s.wrap(err, "get key %s", id)
	}
	return &k, nil
}

// KeyGetByHash returns the unrevoked key with this hash, or NOT_FOUND.
func (s *Store) KeyGetByHash(ctx context.Context, hash string) (*kilntype.APIKey, error) {
	var k kilntype.APIKey
	err := scanKey(s.read.QueryRowContext(ctx,
		`SELECT `+keyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash), &k)
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is a credential: it stays out of the message.
		return nil, kilntype.Errorf(kilntype.ENotFound, "no active key with this hash")
	}
	if err != nil {
		return nil, s.wrap(err, "get key by hash")
	}
	return &k, nil
}

// KeyRevoke marks a key revoked at the given time; NOT_FOUND if it does not
// exist. Revoking again keeps the first revocation time.
func (s *Store) KeyRevoke(ctx context.Context, id string, at time.Time) error {
	res, err := s.write.ExecContext(ctx,
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, s.timeArg(at))
	if err != nil {
		return s.wrap(err, "revoke key %s", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(err, "revoke key %s", id)
	}
	if n == 0 {
		return kilntype.Errorf(kilntype.ENotFound, "key %s not found", id)
	}
	return nil
}
