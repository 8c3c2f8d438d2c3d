package sdk

import (
	"strings"
	"testing"
	"time"
)

func TestCacheCalls(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, CacheModule(st, CacheOptions{}))
	got := b.value(t, "acme", `export default async () => {
		const out = {};
		out.missing = await iota.cache.get('k');
		out.setResult = await iota.cache.set('k', { a: [1, 'two', null], ok: true });
		out.roundTrip = await iota.cache.get('k');
		await iota.cache.set('k', 'replaced', 3600);
		out.replaced = await iota.cache.get('k');
		out.counts = [await iota.cache.increment('hits'), await iota.cache.increment('hits'), await iota.cache.increment('hits', 10), await iota.cache.increment('hits', -0.5)];
		out.windowed = await iota.cache.increment('minute', 1, 60);
		out.deleted = [await iota.cache.delete('k'), await iota.cache.delete('k')];
		out.afterDelete = await iota.cache.get('k');
		out.keys = await iota.cache.set('user:42/profile?x=1 \u00e9', 1).then(() => iota.cache.get('user:42/profile?x=1 \u00e9'));
		return out;
	}`)
	want := `{"afterDelete":null,"counts":[1,2,12,11.5],"deleted":[true,false],"keys":1,"missing":null,` +
		`"replaced":"replaced","roundTrip":{"a":[1,"two",null],"ok":true},"setResult":null,"windowed":1}`
	if canon(t, got) != canon(t, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestCacheTTL moves the module's clock back an hour, so that a TTL it
// computes is already over by the store's clock.
func TestCacheTTL(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	past := func() time.Time { return time.Now().Add(-time.Hour) }
	b := setupSDK(t, st, CacheModule(st, CacheOptions{Now: past}))
	got := b.value(t, "acme", `export default async () => {
		await iota.cache.set('short', 1, 60);
		await iota.cache.set('long', 1, 7200);
		await iota.cache.set('forever', 1);
		await iota.cache.set('alsoForever', 1, null);
		return [await iota.cache.get('short'), await iota.cache.get('long'), await iota.cache.get('forever'), await iota.cache.get('alsoForever'),
			await iota.cache.delete('short')];
	}`)
	if got != `[null,1,1,1,false]` {
		t.Fatalf("got %s", got)
	}
}

func TestCacheErrors(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, CacheModule(st, CacheOptions{MaxValueBytes: 100, MaxTenantBytes: 300}))
	tests := []struct{ expr, code, msg string }{
		{`iota.cache.get()`, "INVALID_ARGUMENT", "iota.cache.get: the key is missing"},
		{`iota.cache.get(1)`, "INVALID_ARGUMENT", "the key must be a string, not a number"},
		{`iota.cache.get('')`, "INVALID_ARGUMENT", `iota.cache.get: cache key "" is not valid`},
		{`iota.cache.get('k'.repeat(513))`, "INVALID_ARGUMENT", "at most 512 bytes"},
		{`iota.cache.set('k')`, "INVALID_ARGUMENT", "iota.cache.set: it takes a key, a value and an optional ttlSeconds"},
		{`iota.cache.set('k', 1, 0)`, "INVALID_ARGUMENT", "ttlSeconds must be a number of seconds from 0.001 to 31622400, or left out for no expiry; got 0"},
		{`iota.cache.set('k', 1, '60')`, "INVALID_ARGUMENT", "ttlSeconds must be a number"},
		{`iota.cache.set('k', 1, 1e9)`, "INVALID_ARGUMENT", "ttlSeconds"},
		{`iota.cache.set('k', 'x'.repeat(200))`, "TOO_LARGE", "iota.cache.set: cache value is 202 bytes of JSON, more than the 100-byte limit"},
		{`iota.cache.set('k', 'a\u0000b')`, "INVALID_ARGUMENT", "NUL"},
		{`iota.cache.set('s', 'text').then(() => iota.cache.increment('s'))`, "INVALID_ARGUMENT", `iota.cache.increment: cache key "s" holds a string, not a number`},
		{`iota.cache.increment('n', '1')`, "INVALID_ARGUMENT", "the amount must be a number, not a string"},
		{`iota.cache.set('big', 1e308).then(() => iota.cache.increment('big', 1e308))`, "INVALID_ARGUMENT", "would overflow"},
		{`(async () => { for (let i = 0; i < 5; i++) await iota.cache.set('k' + i, 'x'.repeat(90)) })()`, "QUOTA_EXCEEDED",
			"iota.cache.set: the tenant's cache holds"},
	}
	for _, tt := range tests {
		b.wantThrow(t, "acme", tt.expr, tt.code, tt.msg)
	}
	// Another tenant has its own quota.
	if got := b.value(t, "globex", `export default async () => { await iota.cache.set('k0', 'x'.repeat(90)); return iota.cache.get('k0') }`); !strings.HasPrefix(got, `"xxx`) {
		t.Errorf("globex: %s", got)
	}
}

func TestCacheTenantIsolation(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, CacheModule(st, CacheOptions{}))
	b.value(t, "acme", `export default async () => { await iota.cache.set('token', 'acme-secret'); await iota.cache.increment('hits', 5) }`)
	got := b.value(t, "globex", `export default async () => [
		await iota.cache.get('token'), await iota.cache.get('acme:token'), await iota.cache.delete('token'), await iota.cache.increment('hits'),
	]`)
	if got != `[null,null,false,1]` {
		t.Fatalf("as globex: %s", got)
	}
	if got := b.value(t, "acme", `export default async () => [await iota.cache.get('token'), await iota.cache.get('hits')]`); got != `["acme-secret",5]` {
		t.Fatalf("as acme: %s", got)
	}
}
