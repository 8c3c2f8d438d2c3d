package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"github.com/kiln-run/kiln/sdk/docquery"
	"math"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// Every cache write locks the tenant's cache_usage row first (creating it
// if needed) and only then touches cache_entries. The row holds the bytes
// of the tenant's entries, so the quota check costs one row, not a scan;
// and the one lock order (usage, then entries) lets CacheSweep run beside
// writers on PostgreSQL without deadlocks.

// lockCacheUsage locks a tenant's usage row and returns its bytes.
func (s *Store) lockCacheUsage(ctx context.Context, tx *sql.Tx, tenantID string) (int64, error) {
	var used int64
	err := tx.QueryRowContext(ctx, `
		INSERT INTO cache_usage (tenant_id, bytes) VALUES ($1, 0)
		ON CONFLICT (tenant_id) DO UPDATE SET bytes = cache_usage.bytes
		RETURNING bytes`, tenantID).Scan(&used)
	return used, s.wrapCtx(ctx, err, "lock cache usage")
}

func (s *Store) setCacheUsage(ctx context.Context, tx *sql.Tx, tenantID string, used int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE cache_usage SET bytes = $2 WHERE tenant_id = $1`, tenantID, used)
	return s.wrapCtx(ctx, err, "update cache usage")
}

// reclaimExpired deletes a tenant's entries expired at now, except key
// (which the caller is about to replace), and returns the bytes freed.
// The caller holds the tenant's usage lock.
func (s *Store) reclaimExpired(ctx context.Context, tx *sql.Tx, tenantID, key string, now time.Time) (bytes, count int64, err error) {
	const where = ` FROM cache_entries WHERE tenant_id = $1 AND expires_at <= $2 AND key <> $3`
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0), COUNT(*)`+where,
		tenantID, s.timeArg(now), key).Scan(&bytes, &count); err != nil {
		return 0, 0, s.wrapCtx(ctx, err, "measure expired cache entries")
	}
	if count == 0 {
		return 0, 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE`+where, tenantID, s.timeArg(now), key); err != nil {
		return 0, 0, s.wrapCtx(ctx, err, "delete expired cache entries")
	}
	return bytes, count, nil
}

// cacheEntry is the part of an entry a write reads first.
type cacheEntry struct {
	found     bool
	value     []byte
	size      int64
	expiresAt *time.Time
}

func (e cacheEntry) live(now time.Time) bool {
	return e.found && (e.expiresAt == nil || e.expiresAt.After(now))
}

func (s *Store) readCacheEntry(ctx context.Context, tx *sql.Tx, tenantID, key string) (cacheEntry, error) {
	e := cacheEntry{found: true}
	err := tx.QueryRowContext(ctx,
		`SELECT value, size, expires_at FROM cache_entries WHERE tenant_id = $1 AND key = $2`, tenantID, key).
		Scan(textScanner{&e.value}, &e.size, nullTimeScanner{&e.expiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return cacheEntry{}, nil
	}
	return e, s.wrapCtx(ctx, err, "read cache entry")
}

// writeCacheEntry replaces key's entry, charging its size against the
// tenant's quota; it returns QUOTA_EXCEEDED (after committing the room it
// reclaimed from expired entries) when even then it does not fit.
func (s *Store) writeCacheEntry(ctx context.Context, tenantID, key string, maxBytes int64,
	value func(old cacheEntry, now time.Time) ([]byte, *time.Time, error)) error {
	if maxBytes <= 0 {
		maxBytes = store.DefaultMaxCacheBytes
	}
	now := s.timestamp()
	var refused error
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		used, err := s.lockCacheUsage(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		old, err := s.readCacheEntry(ctx, tx, tenantID, key)
		if err != nil {
			return err
		}
		raw, expiresAt, err := value(old, now)
		if err != nil {
			return err
		}
		size := int64(len(key) + len(raw))
		next := used - old.size + size
		if next > maxBytes {
			freed, _, err := s.reclaimExpired(ctx, tx, tenantID, key, now)
			if err != nil {
				return err
			}
			used, next = used-freed, next-freed
			if next > maxBytes {
				refused = kilntype.Errorf(kilntype.EQuotaExceeded,
					"the tenant's cache holds %d bytes; this entry of %d bytes would pass its %d-byte limit: delete entries or give them shorter TTLs",
					used, size, maxBytes)
				return s.setCacheUsage(ctx, tx, tenantID, used)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO cache_entries (tenant_id, key, value, size, expires_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, key) DO UPDATE SET
				value = excluded.value, size = excluded.size, expires_at = excluded.expires_at`,
			tenantID, key, s.jsonArg(raw), size, s.nullTimeArg(expiresAt)); err != nil {
			return s.wrapCtx(ctx, err, "write cache entry")
		}
		return s.setCacheUsage(ctx, tx, tenantID, next)
	})
	if err != nil {
		return err
	}
	return refused
}

func checkCacheScope(tenantID, key string) error {
	if tenantID == "" {
		return kilntype.Errorf(kilntype.EInvalidArgument, "tenant is required")
	}
	return store.ValidCacheKey(key)
}

// CacheGet returns a live entry's value, or NOT_FOUND.
func (s *Store) CacheGet(ctx context.Context, tenantID, key string) (json.RawMessage, error) {
	if err := checkCacheScope(tenantID, key); err != nil {
		return nil, err
	}
	var value []byte
	err := s.read.QueryRowContext(ctx, `
		SELECT value FROM cache_entries
		WHERE tenant_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)`,
		tenantID, key, s.timeArg(s.timestamp())).Scan(textScanner{&value})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "cache key %q not found", key)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "get cache entry")
	}
	return value, nil
}

// CacheSet creates or replaces an entry.
func (s *Store) CacheSet(ctx context.Context, p store.CacheSetParams) error {
	if err := checkCacheScope(p.TenantID, p.Key); err != nil {
		return err
	}
	maxValue := p.MaxValueBytes
	if maxValue <= 0 {
		maxValue = store.DefaultMaxCacheValueBytes
	}
	switch {
	case !json.Valid(p.Value):
		return kilntype.Errorf(kilntype.EInvalidArgument, "cache value is not valid JSON")
	case len(p.Value) > maxValue:
		return kilntype.Errorf(kilntype.EValueTooLarge, "cache value is %d bytes of JSON, more than the %d-byte limit", len(p.Value), maxValue)
	case store.HasNUL(p.Value):
		return kilntype.Errorf(kilntype.EInvalidArgument, "cache value contains the NUL character (\\u0000), which the cache cannot hold")
	}
	return s.writeCacheEntry(ctx, p.TenantID, p.Key, p.MaxTenantBytes, func(cacheEntry, time.Time) ([]byte, *time.Time, error) {
		return p.Value, p.ExpiresAt, nil
	})
}

// CacheIncrement adds to a numeric entry and returns the new value.
func (s *Store) CacheIncrement(ctx context.Context, p store.CacheIncrementParams) (float64, error) {
	if err := checkCacheScope(p.TenantID, p.Key); err != nil {
		return 0, err
	}
	if math.IsNaN(p.By) || math.IsInf(p.By, 0) {
		return 0, kilntype.Errorf(kilntype.EInvalidArgument, "the increment must be a finite number")
	}
	var result float64
	err := s.writeCacheEntry(ctx, p.TenantID, p.Key, p.MaxTenantBytes, func(old cacheEntry, now time.Time) ([]byte, *time.Time, error) {
		current, expiresAt := 0.0, p.ExpiresAt
		if old.live(now) {
			var v any
			if err := json.Unmarshal(old.value, &v); err != nil {
				return nil, nil, s.wrap(err, "decode cache entry")
			}
			n, ok := v.(float64)
			if !ok {
				return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "cache key %q holds %s, not a number, so it cannot be incremented", p.Key, docquery.Describe(v))
			}
			current, expiresAt = n, old.expiresAt
		}
		result = current + p.By
		if math.IsInf(result, 0) {
			return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "incrementing cache key %q would overflow", p.Key)
		}
		raw, err := json.Marshal(result)
		return raw, expiresAt, err
	})
	return result, err
}

// CacheDelete deletes an entry and reports whether a live one existed.
func (s *Store) CacheDelete(ctx context.Context, tenantID, key string) (bool, error) {
	if err := checkCacheScope(tenantID, key); err != nil {
		return false, err
	}
	now := s.timestamp()
	var existed bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		used, err := s.lockCacheUsage(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		var e cacheEntry
		err = tx.QueryRowContext(ctx,
			`DELETE FROM cache_entries WHERE tenant_id = $1 AND key = $2 RETURNING size, expires_at`,
			tenantID, key).Scan(&e.size, nullTimeScanner{&e.expiresAt})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return s.wrapCtx(ctx, err, "delete cache entry")
		}
		e.found = true
		existed = e.live(now)
		return s.setCacheUsage(ctx, tx, tenantID, used-e.size)
	})
	return existed, err
}

// CacheSweep deletes every tenant's entries expired at now, one tenant per
// transaction.
func (s *Store) CacheSweep(ctx context.Context, now time.Time) (int64, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT DISTINCT tenant_id FROM cache_entries WHERE expires_at <= $1`, s.timeArg(now))
	if err != nil {
		return 0, s.wrapCtx(ctx, err, "find expired cache entries")
	}
	var tenants []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			_ = rows.Close()
			return 0, s.wrapCtx(ctx, err, "find expired cache entries")
		}
		tenants = append(tenants, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, s.wrapCtx(ctx, err, "find expired cache entries")
	}
	var total int64
	for _, tenantID := range tenants {
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			used, err := s.lockCacheUsage(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			// No key is spared: "" is never a valid key.
			var freed int64
			if freed, n, err = s.reclaimExpired(ctx, tx, tenantID, "", now); err != nil {
				return err
			}
			return s.setCacheUsage(ctx, tx, tenantID, used-freed)
		})
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}
