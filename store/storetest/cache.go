package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

func cacheSet(t *testing.T, b *bundle, tenantID, key, value string, expiresAt *time.Time) {
	t.Helper()
	if err := b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenantID, Key: key, Value: json.RawMessage(value), ExpiresAt: expiresAt}); err != nil {
		t.Fatalf("CacheSet(%s, %s): %v", key, value, err)
	}
}

// cacheValue returns key's JSON value, canonical, or "NOT_FOUND".
func cacheValue(t *testing.T, b *bundle, tenantID, key string) string {
	t.Helper()
	v, err := b.s.CacheGet(b.ctx, tenantID, key)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		return string(kilntype.ENotFound)
	}
	if err != nil {
		t.Fatalf("CacheGet(%s): %v", key, err)
	}
	return canonical(t, v)
}

func at(t time.Time) *time.Time { return &t }

func testCache(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	if got := cacheValue(t, b, tenant, "missing"); got != string(kilntype.ENotFound) {
		t.Errorf("CacheGet of a missing key = %s", got)
	}
	for _, v := range []string{`{"a":[1,"x",null]}`, `42`, `"text"`, `null`, `true`} {
		cacheSet(t, b, tenant, "k", v, nil)
		if got := cacheValue(t, b, tenant, "k"); got != v {
			t.Errorf("CacheGet after setting %s = %s", v, got)
		}
	}
	cacheSet(t, b, tenant, "later", `1`, at(time.Now().Add(time.Hour)))
	cacheSet(t, b, tenant, "past", `1`, at(time.Now().Add(-time.Second)))
	if got := cacheValue(t, b, tenant, "later"); got != "1" {
		t.Errorf("an entry expiring in an hour reads %s", got)
	}
	if got := cacheValue(t, b, tenant, "past"); got != string(kilntype.ENotFound) {
		t.Errorf("an expired entry reads %s, want NOT_FOUND", got)
	}

	for _, tt := range []struct {
		key  string
		want bool
	}{{"k", true}, {"k", false}, {"past", false}, {"never", false}} {
		if got, err := b.s.CacheDelete(b.ctx, tenant, tt.key); err != nil || got != tt.want {
			t.Errorf("CacheDelete(%s) = %v, %v; want %v", tt.key, got, err, tt.want)
		}
	}

	errs := []struct {
		name string
		err  error
		code kilntype.Code
	}{
		{"empty key", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Value: json.RawMessage(`1`)}), kilntype.EInvalidArgument},
		{"long key", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: strings.Repeat("k", store.MaxCacheKeyBytes+1), Value: json.RawMessage(`1`)}), kilntype.EInvalidArgument},
		{"not JSON", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: "x", Value: json.RawMessage(`{`)}), kilntype.EInvalidArgument},
		{"NUL", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: "x", Value: json.RawMessage(`"\u0000"`)}), kilntype.EInvalidArgument},
		{"value past its cap", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: "x", Value: json.RawMessage(`"` + strings.Repeat("v", 100) + `"`), MaxValueBytes: 50}), kilntype.EValueTooLarge},
		{"value past the default cap", b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: "x", Value: json.RawMessage(`"` + strings.Repeat("v", store.DefaultMaxCacheValueBytes) + `"`)}), kilntype.EValueTooLarge},
		{"empty tenant", b.s.CacheSet(b.ctx, store.CacheSetParams{Key: "x", Value: json.RawMessage(`1`)}), kilntype.EInvalidArgument},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.err, e.code)
	}
}

func testCacheIncrement(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	inc := func(key string, by float64, expiresAt *time.Time) (float64, error) {
		return b.s.CacheIncrement(b.ctx, store.CacheIncrementParams{TenantID: tenant, Key: key, By: by, ExpiresAt: expiresAt})
	}
	for i, want := range []float64{1, 2, 4.5, -0.5} {
		by := []float64{1, 1, 2.5, -5}[i]
		if got, err := inc("n", by, nil); err != nil || got != want {
			t.Errorf("CacheIncrement by %v = %v, %v; want %v", by, got, err, want)
		}
	}
	if got := cacheValue(t, b, tenant, "n"); got != "-0.5" {
		t.Errorf("CacheGet after increments = %s", got)
	}
	cacheSet(t, b, tenant, "s", `"seven"`, nil)
	_, err := inc("s", 1, nil)
	wantCode(t, "CacheIncrement of a string", err, kilntype.EInvalidArgument)
	if got := cacheValue(t, b, tenant, "s"); got != `"seven"` {
		t.Errorf("a refused increment changed the value to %s", got)
	}
	cacheSet(t, b, tenant, "big", `1.7e308`, nil)
	_, err = inc("big", 1.7e308, nil)
	wantCode(t, "CacheIncrement past the largest number", err, kilntype.EInvalidArgument)

	// An expired entry, even a string, counts as missing: the increment
	// starts again from 0 with the expiry it gives.
	cacheSet(t, b, tenant, "window", `"old"`, at(time.Now().Add(-time.Second)))
	if got, err := inc("window", 3, at(time.Now().Add(time.Hour))); err != nil || got != 3 {
		t.Errorf("CacheIncrement of an expired entry = %v, %v; want 3", got, err)
	}
	// A live entry keeps its expiry: a sweep past it takes the entry.
	cacheSet(t, b, tenant, "expiring", `5`, at(time.Now().Add(time.Minute)))
	if got, err := inc("expiring", 1, nil); err != nil || got != 6 {
		t.Errorf("CacheIncrement = %v, %v; want 6", got, err)
	}
	if n, err := b.s.CacheSweep(b.ctx, time.Now().Add(2*time.Minute)); err != nil || n != 1 {
		t.Errorf("CacheSweep past the incremented entry's expiry = %d, %v; want 1", n, err)
	}
	if got := cacheValue(t, b, tenant, "expiring"); got != string(kilntype.ENotFound) {
		t.Errorf("the incremented entry outlived its expiry: %s", got)
	}

	const writers = 20
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			if _, err := inc("counter", 1, nil); err != nil {
				t.Errorf("concurrent CacheIncrement: %v", err)
			}
		})
	}
	wg.Wait()
	if got := cacheValue(t, b, tenant, "counter"); got != fmt.Sprint(writers) {
		t.Errorf("after %d concurrent increments the counter is %s", writers, got)
	}
}

// testCacheQuota fills a tenant's cache to an exact cap: sizes are key
// bytes plus value bytes.
func testCacheQuota(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	const limit = 100
	set := func(key string, valueBytes int, expiresAt *time.Time) error {
		value := `"` + strings.Repeat("v", valueBytes-2) + `"`
		return b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: tenant, Key: key, Value: json.RawMessage(value), ExpiresAt: expiresAt, MaxTenantBytes: limit})
	}
	if err := set("k1", 48, nil); err != nil { // 50 bytes
		t.Fatal(err)
	}
	if err := set("k2", 48, nil); err != nil { // 100: exactly full
		t.Fatalf("filling to exactly the cap: %v", err)
	}
	wantCode(t, "one byte past the cap", set("k3", 2, nil), kilntype.EQuotaExceeded)
	if got := cacheValue(t, b, tenant, "k3"); got != string(kilntype.ENotFound) {
		t.Errorf("a refused set stored %s", got)
	}
	// Replacing an entry charges only the difference.
	if err := set("k1", 40, nil); err != nil {
		t.Fatalf("shrinking k1: %v", err)
	}
	if err := set("k3", 6, nil); err != nil { // 8 bytes into the 8 freed
		t.Fatalf("set into freed room: %v", err)
	}
	wantCode(t, "increment past the cap", func() error {
		_, err := b.s.CacheIncrement(b.ctx, store.CacheIncrementParams{TenantID: tenant, Key: "n", By: 1, MaxTenantBytes: limit})
		return err
	}(), kilntype.EQuotaExceeded)
	if deleted, err := b.s.CacheDelete(b.ctx, tenant, "k2"); err != nil || !deleted {
		t.Fatalf("CacheDelete: %v %v", deleted, err)
	}
	if _, err := b.s.CacheIncrement(b.ctx, store.CacheIncrementParams{TenantID: tenant, Key: "n", By: 1, MaxTenantBytes: limit}); err != nil {
		t.Fatalf("increment after a delete freed room: %v", err)
	}

	// Expired entries count until something needs their room.
	other := b.other.ID
	setOther := func(key string, valueBytes int, expiresAt *time.Time) error {
		value := `"` + strings.Repeat("v", valueBytes-2) + `"`
		return b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: other, Key: key, Value: json.RawMessage(value), ExpiresAt: expiresAt, MaxTenantBytes: limit})
	}
	if err := setOther("old", 87, at(time.Now().Add(-time.Second))); err != nil { // 90, expired
		t.Fatal(err)
	}
	if err := setOther("n1", 48, nil); err != nil {
		t.Fatalf("a set that needs the room of expired entries: %v", err)
	}
	if err := setOther("n2", 48, nil); err != nil { // 50 + 50
		t.Fatalf("after reclaiming: %v", err)
	}
	wantCode(t, "full again", setOther("x", 2, nil), kilntype.EQuotaExceeded)
	wantCode(t, "an entry larger than the whole cap", set("huge", limit, nil), kilntype.EQuotaExceeded)
}

func testCacheSweep(t *testing.T, b *bundle) {
	past, future := at(time.Now().Add(-time.Minute)), at(time.Now().Add(time.Hour))
	cacheSet(t, b, b.tenant.ID, "a", `1`, past)
	cacheSet(t, b, b.tenant.ID, "b", `2`, past)
	cacheSet(t, b, b.tenant.ID, "c", `3`, future)
	cacheSet(t, b, b.tenant.ID, "d", `4`, nil)
	cacheSet(t, b, b.other.ID, "a", `1`, past)
	n, err := b.s.CacheSweep(b.ctx, time.Now())
	if err != nil || n != 3 {
		t.Fatalf("CacheSweep = %d, %v; want 3", n, err)
	}
	if n, err := b.s.CacheSweep(b.ctx, time.Now()); err != nil || n != 0 {
		t.Errorf("second CacheSweep = %d, %v; want 0", n, err)
	}
	for key, want := range map[string]string{"a": string(kilntype.ENotFound), "c": "3", "d": "4"} {
		if got := cacheValue(t, b, b.tenant.ID, key); got != want {
			t.Errorf("after sweep %s = %s, want %s", key, got, want)
		}
	}
	// Sweeping at a later time takes the entries that expire by then, and
	// returns their bytes to the quota: "c" (2 bytes) and "d" (2 bytes)
	// leave exactly room for a 98-byte entry once "c" is gone.
	if n, err := b.s.CacheSweep(b.ctx, future.Add(time.Second)); err != nil || n != 1 {
		t.Errorf("CacheSweep past c's expiry = %d, %v; want 1", n, err)
	}
	err = b.s.CacheSet(b.ctx, store.CacheSetParams{TenantID: b.tenant.ID, Key: "e", Value: json.RawMessage(`"` + strings.Repeat("v", 95) + `"`), MaxTenantBytes: 100})
	if err != nil {
		t.Errorf("set into the room the sweep freed: %v", err)
	}
}

// testCacheIsolation uses the first tenant's keys as the other tenant.
func testCacheIsolation(t *testing.T, b *bundle) {
	cacheSet(t, b, b.tenant.ID, "token", `"mine"`, nil)
	cacheSet(t, b, b.tenant.ID, "hits", `10`, nil)
	other := b.other.ID
	if got := cacheValue(t, b, other, "token"); got != string(kilntype.ENotFound) {
		t.Errorf("other tenant reads %s", got)
	}
	if deleted, err := b.s.CacheDelete(b.ctx, other, "token"); err != nil || deleted {
		t.Errorf("other tenant's CacheDelete = %v, %v", deleted, err)
	}
	if n, err := b.s.CacheIncrement(b.ctx, store.CacheIncrementParams{TenantID: other, Key: "hits", By: 1}); err != nil || n != 1 {
		t.Errorf("other tenant's CacheIncrement = %v, %v; want its own counter at 1", n, err)
	}
	cacheSet(t, b, other, "token", `"theirs"`, nil)
	if got := cacheValue(t, b, b.tenant.ID, "token"); got != `"mine"` {
		t.Errorf("owner's token after the other tenant's calls = %s", got)
	}
	if got := cacheValue(t, b, b.tenant.ID, "hits"); got != "10" {
		t.Errorf("owner's hits after the other tenant's calls = %s", got)
	}
}
