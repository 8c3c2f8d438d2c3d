package store

import (
	"encoding/json"
	"github.com/kiln-run/kiln/sdk/docquery"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
)

// Cache limits, when the caller sets none.
const (
	// DefaultMaxCacheValueBytes caps one entry's value, as JSON.
	DefaultMaxCacheValueBytes = 1 << 20
	// DefaultMaxCacheBytes caps the bytes (keys plus JSON values) of one
	// tenant's entries, expired ones included until they are swept.
	DefaultMaxCacheBytes = 10 << 20
	// MaxCacheKeyBytes is the longest key.
	MaxCacheKeyBytes = 512
)

// CacheSetParams creates or replaces a cache entry.
type CacheSetParams struct {
	TenantID string
	Key      string
	// Value is the entry's value as valid JSON.
	Value json.RawMessage
	// ExpiresAt is when the entry stops being readable; nil means never.
	ExpiresAt *time.Time
	// MaxValueBytes caps len(Value) (PAYLOAD_TOO_LARGE); 0 means
	// DefaultMaxCacheValueBytes.
	MaxValueBytes int
	// MaxTenantBytes caps the tenant's total (QUOTA_EXCEEDED); 0 means
	// DefaultMaxCacheBytes.
	MaxTenantBytes int64
}

// CacheIncrementParams adds to a numeric cache entry.
type CacheIncrementParams struct {
	TenantID string
	Key      string
	// By is added to the entry, which a missing or expired entry starts
	// at 0.
	By float64
	// ExpiresAt is the expiry of an entry the increment creates; an
	// existing entry keeps its own. Nil means never.
	ExpiresAt *time.Time
	// MaxTenantBytes is as in CacheSetParams.
	MaxTenantBytes int64
}

// ValidCacheKey returns INVALID_ARGUMENT unless key is a non-empty string
// of at most MaxCacheKeyBytes bytes of valid UTF-8 without NUL.
func ValidCacheKey(key string) error {
	if key == "" || len(key) > MaxCacheKeyBytes || !utf8.ValidString(key) || strings.ContainsRune(key, 0) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"cache key %q is not valid: use a non-empty string of at most %d bytes", docquery.Clip(key), MaxCacheKeyBytes)
	}
	return nil
}
