package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

func checkSecretScope(tenantID, name string) error {
	if tenantID == "" {
		return kilntype.Errorf(kilntype.EInvalidArgument, "tenant is required")
	}
	return store.ValidSecretName(name)
}

func secretNotFound(name string) error {
	return kilntype.Errorf(kilntype.ENotFound, "secret %s is not set", name)
}

// SecretPut creates or replaces a secret's ciphertext, keeping its
// creation time.
func (s *Store) SecretPut(ctx context.Context, tenantID, name string, ciphertext []byte) (*store.SecretInfo, error) {
	if err := checkSecretScope(tenantID, name); err != nil {
		return nil, err
	}
	if len(ciphertext) == 0 || len(ciphertext) > store.MaxSecretCiphertextBytes {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "secret %s: the ciphertext must be 1 to %d bytes", name, store.MaxSecretCiphertextBytes)
	}
	now := s.timestamp()
	info := store.SecretInfo{Name: name}
	err := s.write.QueryRowContext(ctx, `
		INSERT INTO secrets (tenant_id, name, ciphertext, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
		RETURNING created_at, updated_at`,
		tenantID, name, ciphertext, s.timeArg(now)).Scan(timeScanner{&info.CreatedAt}, timeScanner{&info.UpdatedAt})
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "put secret %s", name)
	}
	return &info, nil
}

// SecretGet returns a secret's ciphertext, or NOT_FOUND.
func (s *Store) SecretGet(ctx context.Context, tenantID, name string) ([]byte, error) {
	if err := checkSecretScope(tenantID, name); err != nil {
		return nil, err
	}
	var ciphertext []byte
	err := s.read.QueryRowContext(ctx,
		`SELECT ciphertext FROM secrets WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&ciphertext)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, secretNotFound(name)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "get secret %s", name)
	}
	return ciphertext, nil
}

// SecretList returns the names and times of a tenant's secrets, by name.
func (s *Store) SecretList(ctx context.Context, tenantID string) ([]store.SecretInfo, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT name, created_at, updated_at FROM secrets WHERE tenant_id = $1 ORDER BY name`, tenantID)
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "list secrets")
	}
	defer func() { _ = rows.Close() }()
	list := []store.SecretInfo{}
	for rows.Next() {
		var info store.SecretInfo
		if err := rows.Scan(&info.Name, timeScanner{&info.CreatedAt}, timeScanner{&info.UpdatedAt}); err != nil {
			return nil, s.wrapCtx(ctx, err, "list secrets")
		}
		list = append(list, info)
	}
	return list, s.wrapCtx(ctx, rows.Err(), "list secrets")
}

// SecretDelete deletes a secret; NOT_FOUND if it does not exist.
func (s *Store) SecretDelete(ctx context.Context, tenantID, name string) error {
	if err := checkSecretScope(tenantID, name); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `DELETE FROM secrets WHERE tenant_id = $1 AND name = $2`, tenantID, name)
	if err != nil {
		return s.wrapCtx(ctx, err, "delete secret %s", name)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrapCtx(ctx, err, "delete secret %s", name)
	}
	if n == 0 {
		return secretNotFound(name)
	}
	return nil
}
