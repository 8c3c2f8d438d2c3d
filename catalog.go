package kiln

import (
	"context"
	"sync"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/store"
)

// catalog caches what the HTTP trigger path reads on every request — the
// tenant by slug, a script and its current version — so a request costs no
// store reads. Changes made through this node invalidate at once; changes
// made through another node are seen within catalogTTL.
type catalog struct {
	store store.Store
	pool  *pool.Pool
	ttl   time.Duration

	mu      sync.Mutex
	tenants map[string]cachedTenant // by slug
	byID    map[string]cachedTenant
	scripts map[string]cachedScript // by tenant ID + "/" + script ID
}

// catalogTTL bounds how stale a cached entry may be.
const catalogTTL = 2 * time.Second

type cachedTenant struct {
	tenant  *kilntype.Tenant
	fetched time.Time
}

type cachedScript struct {
	script  *kilntype.Script
	version *kilntype.Version
	fetched time.Time
}

func newCatalog(st store.Store, p *pool.Pool) *catalog {
	return &catalog{store: st, pool: p, ttl: catalogTTL, tenants: map[string]cachedTenant{}, byID: map[string]cachedTenant{},
		scripts: map[string]cachedScript{}}
}

// tenant returns the tenant with slug, and keeps the pool's quotas for it
// in step with its settings.
func (c *catalog) tenant(ctx context.Context, slug string) (*kilntype.Tenant, error) {
	c.mu.Lock()
	e, ok := c.tenants[slug]
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < c.ttl {
		return e.tenant, nil
	}
	t, err := c.store.TenantGetBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	c.applyPool(t)
	c.mu.Lock()
	c.tenants[slug] = cachedTenant{tenant: t, fetched: time.Now()}
	c.mu.Unlock()
	return t, nil
}

// tenantByID returns the tenant with id.
func (c *catalog) tenantByID(ctx context.Context, id string) (*kilntype.Tenant, error) {
	c.mu.Lock()
	e, ok := c.byID[id]
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < c.ttl {
		return e.tenant, nil
	}
	t, err := c.store.TenantGet(ctx, id)
	if err != nil {
		return nil, err
	}
	c.applyPool(t)
	c.mu.Lock()
	c.byID[id] = cachedTenant{tenant: t, fetched: time.Now()}
	c.mu.Unlock()
	return t, nil
}

// applyPool sets the pool's quotas for t from its settings.
func (c *catalog) applyPool(t *kilntype.Tenant) {
	c.pool.SetTenantLimits(t.ID, pool.TenantLimits{Concurrent: t.Settings.Pool.MaxConcurrent, VMs: t.Settings.Pool.MaxVMs})
}

// tenantChanged drops the cached tenant and applies its new settings.
func (c *catalog) tenantChanged(t *kilntype.Tenant) {
	c.applyPool(t)
	c.mu.Lock()
	delete(c.tenants, t.Slug)
	delete(c.byID, t.ID)
	c.mu.Unlock()
}

// current returns a script and its current version.
func (c *catalog) current(ctx context.Context, tenantID, scriptID string) (*kilntype.Script, *kilntype.Version, error) {
	key := tenantID + "/" + scriptID
	c.mu.Lock()
	e, ok := c.scripts[key]
	c.mu.Unlock()
	if ok && time.Since(e.fetched) < c.ttl {
		return e.script, e.version, nil
	}
	s, err := c.store.ScriptGet(ctx, tenantID, scriptID)
	if err != nil {
		return nil, nil, err
	}
	v, err := c.store.VersionGet(ctx, tenantID, s.ID, s.Version)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	c.scripts[key] = cachedScript{script: s, version: v, fetched: time.Now()}
	c.mu.Unlock()
	return s, v, nil
}

// scriptChanged drops a script's cached entry.
func (c *catalog) scriptChanged(s *kilntype.Script) {
	c.mu.Lock()
	delete(c.scripts, s.TenantID+"/"+s.ID)
	c.mu.Unlock()
}

// loadTenants applies every tenant's pool settings, at start.
func (c *catalog) loadTenants(ctx context.Context) error {
	ts, err := c.store.TenantList(ctx)
	if err != nil {
		return err
	}
	for i := range ts {
		c.applyPool(&ts[i])
	}
	return nil
}
