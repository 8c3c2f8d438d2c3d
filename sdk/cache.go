package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/store"
)

// Cache is what iota.cache needs of the store.
type Cache interface {
	CacheGet(ctx context.Context, tenantID, key string) (json.RawMessage, error)
	CacheSet(ctx context.Context, p store.CacheSetParams) error
	CacheDelete(ctx context.Context, tenantID, key string) (bool, error)
	CacheIncrement(ctx context.Context, p store.CacheIncrementParams) (float64, error)
}

// CacheOptions configures iota.cache. The zero value is usable.
type CacheOptions struct {
	// MaxValueBytes caps one value's JSON size (TOO_LARGE past it).
	// Default store.DefaultMaxCacheValueBytes (1 MiB).
	MaxValueBytes int
	// MaxTenantBytes caps a tenant's keys and values together
	// (QUOTA_EXCEEDED past it). Default store.DefaultMaxCacheBytes
	// (10 MiB).
	MaxTenantBytes int64
	// Timeout bounds each call (TIMEOUT past it). Default 5s.
	Timeout time.Duration
	// Now is the clock TTLs start from. Default time.Now.
	Now func() time.Time
	// TenantLimits, if set, returns a tenant's own caps; its zero fields
	// keep the options' values.
	TenantLimits func(tenantID string) CacheLimits
}

// CacheLimits are the caps iota.cache applies to one tenant.
type CacheLimits struct {
	MaxValueBytes  int
	MaxTenantBytes int64
}

// WithDefaults returns o with every unset field set to its default.
func (o CacheOptions) WithDefaults() CacheOptions {
	if o.MaxValueBytes == 0 {
		o.MaxValueBytes = store.DefaultMaxCacheValueBytes
	}
	if o.MaxTenantBytes == 0 {
		o.MaxTenantBytes = store.DefaultMaxCacheBytes
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// maxTTL keeps expiry times far from overflow; a year is longer than any
// cache entry should live.
const maxTTL = 366 * 24 * time.Hour

// CacheModule returns iota.cache over c, each function async and scoped to
// the calling script's tenant:
//
//	get(key)                          → the value, or null if missing or expired
//	set(key, value, ttlSeconds?)      → undefined; no ttl means no expiry
//	delete(key)                       → whether a live entry existed
//	increment(key, by = 1, ttlSeconds?) → the new value; a missing entry
//	                                    starts at 0 (and gets the ttl)
//
// Keys are strings of 1 to 512 bytes; values are anything JSON can hold.
func CacheModule(c Cache, opts CacheOptions) engine.Module {
	cm := &cacheModule{cache: c, opts: opts.WithDefaults()}
	m := engine.Module{Name: "iota.cache"}
	for _, f := range []struct {
		name string
		fn   func(ctx context.Context, tenantID string, lim CacheLimits, args []any) (any, error)
	}{{"get", cm.get}, {"set", cm.set}, {"delete", cm.delete}, {"increment", cm.increment}} {
		name := "iota.cache." + f.name
		m.Funcs = append(m.Funcs, engine.HostFunc{Name: name, Async: true, Fn: func(ctx context.Context, call engine.HostCall) (any, error) {
			return cm.call(ctx, name, call, f.fn)
		}})
	}
	return m
}

type cacheModule struct {
	cache Cache
	opts  CacheOptions
}

func (cm *cacheModule) call(ctx context.Context, name string, call engine.HostCall,
	fn func(context.Context, string, CacheLimits, []any) (any, error)) (any, error) {
	if call.Meta.TenantID == "" {
		return nil, fmt.Errorf("%s: the invocation has no tenant", name)
	}
	if len(call.Args) == 0 {
		return nil, invalid(name, "the key is missing: call %s('key', …)", name)
	}
	if _, ok := call.Args[0].(string); !ok {
		return nil, invalid(name, "the key must be a string, not %s", docquery.Describe(call.Args[0]))
	}
	lim := CacheLimits{MaxValueBytes: cm.opts.MaxValueBytes, MaxTenantBytes: cm.opts.MaxTenantBytes}
	if cm.opts.TenantLimits != nil {
		t := cm.opts.TenantLimits(call.Meta.TenantID)
		if t.MaxValueBytes > 0 {
			lim.MaxValueBytes = t.MaxValueBytes
		}
		if t.MaxTenantBytes > 0 {
			lim.MaxTenantBytes = t.MaxTenantBytes
		}
	}
	cctx, cancel := context.WithTimeout(ctx, cm.opts.Timeout)
	defer cancel()
	result, err := fn(cctx, call.Meta.TenantID, lim, call.Args)
	if err != nil {
		if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			return nil, engine.Errorf(engine.CodeTimeout, "%s: the cache did not answer within %s", name, cm.opts.Timeout)
		}
		return nil, scriptError(name, err)
	}
	return result, nil
}

func (cm *cacheModule) get(ctx context.Context, tenantID string, _ CacheLimits, args []any) (any, error) {
	if len(args) != 1 {
		return nil, invalid("iota.cache.get", "it takes one key, not %d arguments", len(args))
	}
	v, err := cm.cache.CacheGet(ctx, tenantID, args[0].(string))
	if code(err) == kilntype.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

func (cm *cacheModule) set(ctx context.Context, tenantID string, lim CacheLimits, args []any) (any, error) {
	const name = "iota.cache.set"
	if len(args) < 2 || len(args) > 3 {
		return nil, invalid(name, "it takes a key, a value and an optional ttlSeconds, as in %s('token', value, 3600)", name)
	}
	value, err := json.Marshal(args[1])
	if err != nil {
		return nil, invalid(name, "the value cannot be stored as JSON: %v", err)
	}
	var expiresAt *time.Time
	if len(args) == 3 {
		if expiresAt, err = cm.expiry(args[2]); err != nil {
			return nil, invalid(name, "%v", err)
		}
	}
	return nil, cm.cache.CacheSet(ctx, store.CacheSetParams{
		TenantID: tenantID, Key: args[0].(string), Value: value, ExpiresAt: expiresAt,
		MaxValueBytes: lim.MaxValueBytes, MaxTenantBytes: lim.MaxTenantBytes,
	})
}

func (cm *cacheModule) delete(ctx context.Context, tenantID string, _ CacheLimits, args []any) (any, error) {
	if len(args) != 1 {
		return nil, invalid("iota.cache.delete", "it takes one key, not %d arguments", len(args))
	}
	return cm.cache.CacheDelete(ctx, tenantID, args[0].(string))
}

func (cm *cacheModule) increment(ctx context.Context, tenantID string, lim CacheLimits, args []any) (any, error) {
	const name = "iota.cache.increment"
	if len(args) > 3 {
		return nil, invalid(name, "it takes a key, an optional amount and an optional ttlSeconds, as in %s('hits', 1, 60)", name)
	}
	by := 1.0
	if len(args) >= 2 && args[1] != nil {
		n, ok := args[1].(float64)
		if !ok {
			return nil, invalid(name, "the amount must be a number, not %s", docquery.Describe(args[1]))
		}
		by = n
	}
	var expiresAt *time.Time
	if len(args) == 3 {
		var err error
		if expiresAt, err = cm.expiry(args[2]); err != nil {
			return nil, invalid(name, "%v", err)
		}
	}
	return cm.cache.CacheIncrement(ctx, store.CacheIncrementParams{
		TenantID: tenantID, Key: args[0].(string), By: by, ExpiresAt: expiresAt, MaxTenantBytes: lim.MaxTenantBytes,
	})
}

// expiry reads ttlSeconds: null or undefined for no expiry, else a
// positive number of seconds (fractions allowed) up to a year.
func (cm *cacheModule) expiry(v any) (*time.Time, error) {
	if v == nil {
		return nil, nil
	}
	s, ok := v.(float64)
	ttl := time.Duration(s * float64(time.Second))
	if !ok || math.IsNaN(s) || s <= 0 || s > maxTTL.Seconds() || ttl < time.Millisecond {
		return nil, fmt.Errorf("ttlSeconds must be a number of seconds from 0.001 to %d, or left out for no expiry; got %s", int(maxTTL.Seconds()), docquery.ShortValue(v))
	}
	t := cm.opts.Now().Add(ttl)
	return &t, nil
}
