package kiln

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// routeTable maps each tenant's active HTTP scripts to their paths. It is
// rebuilt per tenant whenever one of its scripts changes.
type routeTable struct {
	mu       sync.RWMutex
	byTenant map[string][]route
}

type route struct {
	segments []string // literal segments, or "{name}" for a parameter
	methods  []string
	scriptID string
}

func newRouteTable() *routeTable { return &routeTable{byTenant: map[string][]route{}} }

func toRoute(s kilntype.Script) (route, bool) {
	if s.Trigger.HTTP == nil {
		return route{}, false
	}
	return route{segments: splitPath(s.Trigger.HTTP.Path), methods: s.Trigger.HTTP.Methods, scriptID: s.ID}, true
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// load builds the table for every tenant.
func (t *routeTable) load(ctx context.Context, st store.Store) error {
	scripts, err := st.ScriptListByStatus(ctx, kilntype.TypeHTTP, kilntype.StatusActive)
	if err != nil {
		return err
	}
	byTenant := map[string][]route{}
	for _, s := range scripts {
		if r, ok := toRoute(s); ok {
			byTenant[s.TenantID] = append(byTenant[s.TenantID], r)
		}
	}
	t.mu.Lock()
	t.byTenant = byTenant
	t.mu.Unlock()
	return nil
}

// reloadTenant rebuilds one tenant's routes from the store.
func (t *routeTable) reloadTenant(ctx context.Context, st store.Store, tenantID string) error {
	var routes []route
	cursor := ""
	for {
		scripts, next, err := st.ScriptList(ctx, store.ScriptListParams{TenantID: tenantID, Type: kilntype.TypeHTTP, Status: kilntype.StatusActive, Limit: 200, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, s := range scripts {
			if r, ok := toRoute(s); ok {
				routes = append(routes, r)
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	t.mu.Lock()
	t.byTenant[tenantID] = routes
	t.mu.Unlock()
	return nil
}

// match finds the route for path and method. With no route for the method
// but one for the path, it returns the methods that path allows.
func (t *routeTable) match(tenantID, method, path string) (scriptID string, params map[string]string, allowed []string) {
	segs := splitPath(path)
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, r := range t.byTenant[tenantID] {
		p, ok := matchSegments(r.segments, segs)
		if !ok {
			continue
		}
		for _, m := range r.methods {
			if m == method || (method == "HEAD" && m == "GET") {
				return r.scriptID, p, nil
			}
		}
		allowed = append(allowed, r.methods...)
	}
	return "", nil, allowed
}

func matchSegments(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			params[strings.Trim(p, "{}")] = segs[i]
		} else if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// HTTPRoute is the script that serves an HTTP request.
type HTTPRoute struct {
	TenantID string
	ScriptID string
	// Params are the path's {parameters}.
	Params map[string]string
}

// RouteHTTP finds the tenant's active HTTP script that serves method and
// path ("/orders/42"). NOT_FOUND when the tenant or a route is missing;
// METHOD_NOT_ALLOWED, with the allowed methods as the details' "allow",
// when a script serves the path but not the method.
func (c *Client) RouteHTTP(ctx context.Context, tenantSlug, method, path string) (HTTPRoute, error) {
	tenant, err := c.resolveTenant(ctx, "", tenantSlug)
	if err != nil {
		return HTTPRoute{}, err
	}
	scriptID, params, allowed := c.routes.match(tenant.ID, method, path)
	if scriptID != "" {
		return HTTPRoute{TenantID: tenant.ID, ScriptID: scriptID, Params: params}, nil
	}
	if len(allowed) > 0 {
		slices.Sort(allowed)
		allowed = slices.Compact(allowed)
		return HTTPRoute{}, &kilntype.Error{Code: kilntype.EMethodNotAllowed,
			Message: method + " is not served at " + path + "; allowed: " + strings.Join(allowed, ", "),
			Details: map[string][]string{"allow": allowed}}
	}
	return HTTPRoute{}, kilntype.Errorf(kilntype.ENotFound, "no active HTTP script serves %s %s", method, path)
}
