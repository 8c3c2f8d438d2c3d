package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// TestMetricsAccess: /metrics lists every tenant's counts and latencies,
// so the main handler serves it to the operator key only — no key is 401,
// a tenant's key (even its admin's) 403 — and its tenant label is the
// slug, never the tenant's ID. MetricsHandler, for a listener of its own,
// serves the same without a key and nothing else.
func TestMetricsAccess(t *testing.T) {
	ctx := context.Background()
	c, a, srv := newTestAPI(t)
	acme, err := c.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := c.KeyCreate(ctx, kiln.KeyCreateParams{TenantID: acme.ID, Name: "admin", Role: kilntype.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScriptCreate(ctx, kiln.ScriptCreateParams{TenantID: acme.ID, Name: "s", Type: kilntype.TypeManual, Source: "export default () => 1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Run(ctx, kiln.RunParams{TenantID: acme.ID, ScriptName: "s", Trigger: kilntype.TriggerManual}); err != nil {
		t.Fatal(err)
	}

	get := func(base, path, key string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct {
		who, key, code string
		status         int
	}{
		{"no key", "", string(kilntype.EUnauthorized), http.StatusUnauthorized},
		{"a tenant's admin", admin.Key, string(kilntype.EForbidden), http.StatusForbidden},
	} {
		if status, body := get(srv.URL, "/metrics", tc.key); status != tc.status || !strings.Contains(body, tc.code) || strings.Contains(body, "kiln_executions_total") {
			t.Errorf("/metrics with %s: %d %.200s; want %d %s", tc.who, status, body, tc.status, tc.code)
		}
	}
	status, body := get(srv.URL, "/metrics", testOperatorKey)
	if status != http.StatusOK || !strings.Contains(body, `kiln_executions_total{status="completed",tenant="acme",trigger="manual"} 1`) ||
		!strings.Contains(body, `kiln_pool_wait_seconds_count{tenant="acme"} 1`) {
		t.Fatalf("/metrics with the operator key: %d %.2000s", status, body)
	}
	if strings.Contains(body, acme.ID) {
		t.Errorf("/metrics names acme by its ID %s; the label is the slug", acme.ID)
	}

	own := httptest.NewServer(a.MetricsHandler())
	defer own.Close()
	if status, body := get(own.URL, "/metrics", ""); status != http.StatusOK || !strings.Contains(body, `tenant="acme"`) {
		t.Errorf("the metrics listener without a key: %d %.200s", status, body)
	}
	for _, path := range []string{"/api/tenants", "/", "/run/acme/x"} {
		if status, body := get(own.URL, path, testOperatorKey); status != http.StatusNotFound || !strings.Contains(body, string(kilntype.ENotFound)) {
			t.Errorf("the metrics listener serves %s: %d %.200s; want 404", path, status, body)
		}
	}
}
