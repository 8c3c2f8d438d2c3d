package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

const testOperatorKey = "operator-key-for-tests-0123456789"

// newTestAPI serves a real client (SQLite and embedded JetStream in a
// temporary folder, opts applied) through the adapter.
func newTestAPI(t *testing.T, opts ...kiln.Option) (*kiln.Client, *API, *httptest.Server) {
	t.Helper()
	c, err := kiln.New(kiln.Config{DataDir: t.TempDir(), OperatorKey: testOperatorKey, ShutdownTimeout: 5 * time.Second}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := New(c, Options{})
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return c, a, srv
}

// TestRouteAccess walks every API route with every kind of caller and
// checks the answer against the route's declared Access: a caller the
// table refuses gets 401 (no key) or 403; a caller it admits gets past the
// middleware (whatever the handler then says of the empty request). And a
// tenant's admin never reaches another tenant's script, execution, key or
// keys or task through the routes that name them.
func TestRouteAccess(t *testing.T) {
	ctx := context.Background()
	c, a, srv := newTestAPI(t)
	acme, err := c.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	globex, err := c.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "globex", Name: "Globex"})
	if err != nil {
		t.Fatal(err)
	}
	key := func(tenant *kilntype.Tenant, role kilntype.Role) *kiln.KeyCreated {
		k, err := c.KeyCreate(ctx, kiln.KeyCreateParams{TenantID: tenant.ID, Name: string(role), Role: role})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	admin := key(acme, kilntype.RoleAdmin)
	callers := []struct {
		name   string
		key    string
		admits func(Access) bool
	}{
		{"no key", "", func(Access) bool { return false }},
		{"operator", testOperatorKey, func(a Access) bool { return a <= AccessOperatorOrAdmin }},
		{"admin", admin.Key, func(a Access) bool { return a != AccessOperator }},
		{"developer", key(acme, kilntype.RoleDeveloper).Key, func(a Access) bool {
			return a == AccessAnyKey || a == AccessViewer || a == AccessDeveloper
		}},
		{"viewer", key(acme, kilntype.RoleViewer).Key, func(a Access) bool { return a == AccessAnyKey || a == AccessViewer }},
		{"other tenant's admin", key(globex, kilntype.RoleAdmin).Key, func(a Access) bool { return a != AccessOperator }},
	}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	routes := a.apiRoutes()
	// Who may call what, written out once more: changing a route's access
	// is a decision to make in two places, never a slip in one.
	want := map[string]Access{
		"GET /api/me": AccessAnyKey, "POST /api/tenants": AccessOperator, "GET /api/tenants": AccessOperator,
		"PUT /api/tenants/{slug}": AccessOperator, "POST /api/tenants/{slug}/keys": AccessOperatorOrAdmin,
		"DELETE /api/keys/{id}": AccessOperatorOrAdmin, "GET /api/scripts": AccessViewer, "POST /api/scripts": AccessDeveloper,
		"GET /api/scripts/{id}": AccessViewer, "PUT /api/scripts/{id}": AccessDeveloper, "DELETE /api/scripts/{id}": AccessAdmin,
		"GET /api/scripts/{id}/versions": AccessViewer, "GET /api/scripts/{id}/versions/{n}": AccessViewer,
		"GET /api/scripts/{id}/diff": AccessViewer, "POST /api/scripts/{id}/rollback": AccessDeveloper,
		"POST /api/scripts/{id}/execute": AccessDeveloper, "GET /api/executions": AccessViewer, "GET /api/executions/{id}": AccessViewer,
		"GET /api/executions/{id}/journal": AccessViewer,
		"GET /api/pool":                    AccessOperator, "PUT /api/secrets/{name}": AccessAdmin, "GET /api/secrets": AccessAdmin,
		"DELETE /api/secrets/{name}": AccessAdmin, "POST /api/events": AccessDeveloper, "GET /api/dlq": AccessViewer,
		"GET /api/dlq/{id}": AccessViewer, "POST /api/dlq/{id}/replay": AccessDeveloper, "DELETE /api/dlq/{id}": AccessDeveloper,
		"POST /api/tasks": AccessDeveloper, "GET /api/tasks": AccessViewer, "GET /api/tasks/{id}": AccessViewer,
		"GET /api/tasks/{id}/journal": AccessViewer, "POST /api/tasks/{id}/events": AccessDeveloper,
		"DELETE /api/tasks/{id}": AccessDeveloper, "GET /metrics": AccessOperator,
	}
	if len(routes) != len(want) {
		t.Errorf("the table has %d routes, the test knows %d: add the new route's access here", len(routes), len(want))
	}
	for _, rt := range routes {
		if w, ok := want[rt.Method+" "+rt.Path]; !ok || w != rt.Access {
			t.Errorf("%s %s: the table says %s, the test %s", rt.Method, rt.Path, rt.Access, w)
		}
	}
	for _, rt := range routes {
		// Path parameters name things that do not exist (or, for a slug,
		// the caller's own tenant): an admitted caller then gets a 4xx
		// from the handler, never 401 or 403, and nothing is changed.
		path := param.ReplaceAllStringFunc(rt.Path, func(p string) string {
			switch p {
			case "{slug}":
				return "acme"
			case "{n}":
				return "1"
			case "{name}":
				return "NO_SUCH_SECRET"
			}
			return "no-such-id"
		})
		for _, caller := range callers {
			status := send(t, srv, rt.Method, path, caller.key, "{}")
			refused := status == http.StatusUnauthorized || status == http.StatusForbidden
			if caller.admits(rt.Access) == refused {
				t.Errorf("%s %s (%s) by %s: got %d, want it %s", rt.Method, rt.Path, rt.Access, caller.name, status,
					map[bool]string{true: "admitted", false: "refused"}[caller.admits(rt.Access)])
			}
			if caller.key == "" && status != http.StatusUnauthorized {
				t.Errorf("%s %s with no key: got %d, want 401", rt.Method, rt.Path, status)
			}
		}
	}

	// Tenant isolation through the routes that name acme's things.
	s, err := c.ScriptCreate(ctx, kiln.ScriptCreateParams{TenantID: acme.ID, Name: "s", Type: kilntype.TypeManual, Source: "export default () => 1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(ctx, kiln.RunParams{TenantID: acme.ID, ScriptID: s.ID, Trigger: kilntype.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.ScriptCreate(ctx, kiln.ScriptCreateParams{TenantID: acme.ID, Name: "waits", Type: kilntype.TypeTask,
		Source: "export default async () => { const e = await iota.tasks.receive({timeout: 60}); return e && e.type; }"})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Spawn(ctx, kiln.SpawnParams{TenantID: acme.ID, ScriptID: ts.ID})
	if err != nil {
		t.Fatal(err)
	}
	other := callers[len(callers)-1].key
	for _, probe := range []struct{ method, path, body string }{
		{"GET", "/api/scripts/" + s.ID, ""},
		{"PUT", "/api/scripts/" + s.ID, `{"description":"mine now"}`},
		{"DELETE", "/api/scripts/" + s.ID, ""},
		{"GET", "/api/scripts/" + s.ID + "/versions", ""},
		{"POST", "/api/scripts/" + s.ID + "/execute", "{}"},
		{"GET", "/api/executions/" + res.Execution.ID, ""},
		{"POST", "/api/tenants/acme/keys", `{"name":"x","role":"admin"}`},
		{"DELETE", "/api/keys/" + admin.ID, ""},
		{"POST", "/api/tasks", `{"scriptId":"` + ts.ID + `"}`},
		{"GET", "/api/tasks/" + task.ID, ""},
		{"GET", "/api/tasks/" + task.ID + "/journal", ""},
		{"POST", "/api/tasks/" + task.ID + "/events", `{"type":"hijack"}`},
		{"DELETE", "/api/tasks/" + task.ID, ""},
		{"GET", "/api/tasks?script=" + ts.ID, ""},
	} {
		if status := send(t, srv, probe.method, probe.path, other, probe.body); status != http.StatusNotFound {
			t.Errorf("%s %s by another tenant's admin: got %d, want 404", probe.method, probe.path, status)
		}
	}
	if got, err := c.ScriptGet(ctx, acme.ID, s.ID); err != nil || got.Status == kilntype.StatusArchived || got.Description != "" {
		t.Fatalf("acme's script after the probes: %+v, %v", got, err)
	}
	if _, err := c.Authenticate(ctx, admin.Key); err != nil {
		t.Fatalf("acme's admin key after the probes: %v", err)
	}
	if got, err := c.Task(ctx, acme.ID, task.ID); err != nil || got.State.Terminal() || got.InboxDepth != 0 {
		t.Fatalf("acme's task after the probes: %+v, %v", got, err)
	}
	if list, _, err := c.Tasks(ctx, store.TaskListParams{TenantID: acme.ID}); err != nil || len(list) != 1 {
		t.Fatalf("acme's tasks after the probes: %d, %v (another tenant started one?)", len(list), err)
	}
}

func send(t *testing.T, srv *httptest.Server, method, path, key, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
