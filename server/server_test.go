package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const helloHTTP = `export default async function (req: { params: { id: string }, query: Record<string, string>, body: any }) {
  console.log("order", req.params.id);
  return { id: req.params.id, name: req.query.name ?? "none", body: req.body };
}`

func forEachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			test(t, setup(t, b))
		})
	}
}

func TestHealthAndAuth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		h.expect(h.do("GET", "/healthz", "", nil), 200, "")
		h.expect(h.do("GET", "/readyz", "", nil), 200, "")
		h.expect(h.do("GET", "/api/openapi.json", "", nil), 200, "")
		h.expect(h.do("GET", "/api/scripts", "", nil), 401, "UNAUTHORIZED")
		h.expect(h.do("GET", "/api/scripts", "kiln_not_a_key", nil), 401, "UNAUTHORIZED")
		h.expect(h.do("GET", "/api/nope", testOperatorKey, nil), 404, "NOT_FOUND")
		admin, dev, viewer := h.tenant("acme")
		h.expect(h.do("GET", "/api/tenants", dev, nil), 403, "FORBIDDEN")
		h.expect(h.do("POST", "/api/tenants", admin, map[string]string{"slug": "x1", "name": "X"}), 403, "FORBIDDEN")
		h.expect(h.do("POST", "/api/tenants", testOperatorKey, map[string]string{"slug": "acme", "name": "again"}), 409, "CONFLICT")
		h.expect(h.do("POST", "/api/tenants", testOperatorKey, map[string]string{"slug": "Bad Slug!", "name": "x"}), 400, "INVALID_ARGUMENT")
		h.expect(h.do("POST", "/api/tenants", testOperatorKey, `{"slug": "ok-slug", "name": "x", "extra": 1}`), 400, "INVALID_ARGUMENT")
		h.expect(h.do("POST", "/api/tenants", testOperatorKey, `{not json`), 400, "INVALID_ARGUMENT")
		// A developer cannot mint keys; an admin can, and can revoke them.
		h.expect(h.do("POST", "/api/tenants/acme/keys", dev, map[string]string{"name": "k", "role": "viewer"}), 403, "FORBIDDEN")
		h.expect(h.do("POST", "/api/tenants/acme/keys", admin, map[string]string{"name": "k", "role": "owner"}), 400, "INVALID_ARGUMENT")
		r := h.do("POST", "/api/tenants/acme/keys", admin, map[string]string{"name": "temp", "role": "viewer"})
		h.expect(r, 201, "")
		var k struct{ ID, Key string }
		r.json(t, &k)
		h.expect(h.do("GET", "/api/scripts", k.Key, nil), 200, "")
		h.expect(h.do("DELETE", "/api/keys/"+k.ID, admin, nil), 204, "")
		h.expect(h.do("GET", "/api/scripts", k.Key, nil), 401, "UNAUTHORIZED")
		// Roles: a viewer reads but cannot write.
		h.expect(h.do("POST", "/api/scripts", viewer, map[string]any{"name": "n", "type": "manual", "source": "export default () => 1"}), 403, "FORBIDDEN")
	})
}

func TestOperatorActsInTenant(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, _ := h.tenant("acme")
		var me struct {
			Operator bool
			Role     string
			Tenant   *struct{ Slug string }
		}
		r := h.do("GET", "/api/me", testOperatorKey, nil)
		h.expect(r, 200, "")
		r.json(t, &me)
		if !me.Operator || me.Role != "operator" || me.Tenant != nil {
			t.Fatalf("operator /api/me = %s", r.Body)
		}
		r = h.do("GET", "/api/me", dev, nil)
		h.expect(r, 200, "")
		r.json(t, &me)
		if me.Operator || me.Role != "developer" || me.Tenant == nil || me.Tenant.Slug != "acme" {
			t.Fatalf("developer /api/me = %s", r.Body)
		}

		// Without the header the operator cannot act inside a tenant; with
		// it, it acts as that tenant's admin and sees only that tenant.
		h.expect(h.do("GET", "/api/scripts", testOperatorKey, nil), 403, "FORBIDDEN")
		acme := http.Header{"X-Kiln-Tenant": {"acme"}}
		r = h.doHeader("POST", "/api/scripts", testOperatorKey, acme, map[string]any{"name": "by-op", "type": "manual", "source": "export default () => 1"})
		h.expect(r, 201, "")
		r = h.doHeader("GET", "/api/me", testOperatorKey, acme, nil)
		r.json(t, &me)
		if !me.Operator || me.Role != "admin" || me.Tenant == nil || me.Tenant.Slug != "acme" {
			t.Fatalf("operator in acme /api/me = %s", r.Body)
		}
		var list struct{ Scripts []struct{ Name string } }
		h.do("GET", "/api/scripts", dev, nil).json(t, &list)
		if len(list.Scripts) != 1 || list.Scripts[0].Name != "by-op" {
			t.Fatalf("acme's scripts = %+v", list.Scripts)
		}
		h.tenant("other")
		h.doHeader("GET", "/api/scripts", testOperatorKey, http.Header{"X-Kiln-Tenant": {"other"}}, nil).json(t, &list)
		if len(list.Scripts) != 0 {
			t.Fatalf("other tenant sees %+v", list.Scripts)
		}
		h.expect(h.doHeader("GET", "/api/scripts", testOperatorKey, http.Header{"X-Kiln-Tenant": {"nope"}}, nil), 404, "NOT_FOUND")
		// A tenant key cannot use the header to reach another tenant.
		h.doHeader("GET", "/api/scripts", dev, http.Header{"X-Kiln-Tenant": {"other"}}, nil).json(t, &list)
		if len(list.Scripts) != 1 {
			t.Fatalf("a tenant key with the header saw %+v", list.Scripts)
		}
	})
}

func TestScriptVersionsLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		admin, dev, viewer := h.tenant("acme")
		id := h.script(dev, map[string]any{"name": "greeter", "type": "manual", "source": "export default () => 'v1'", "changeDescription": "first"})

		// A source that does not compile is refused with its position; no version is written.
		r := h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"source": "export default () => {\n  let x = ;\n}"})
		h.expect(r, 422, "SYNTAX_ERROR")
		var e struct {
			Error struct{ Details struct{ Line, Column int } }
		}
		r.json(t, &e)
		if e.Error.Details.Line != 2 || e.Error.Details.Column != 11 {
			t.Fatalf("want the error at 2:11, got %s", r.Body)
		}
		h.expect(h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"source": "import fs from 'fs'; export default () => fs"}), 422, "SANDBOX_VIOLATION")

		h.expect(h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"source": "export default () => 'v2'", "changeDescription": "second"}), 200, "")
		// A change that touches neither source nor trigger makes no version.
		r = h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"description": "now described"})
		h.expect(r, 200, "")
		var s struct {
			Version     int
			Description string
			Source      string
		}
		r.json(t, &s)
		if s.Version != 2 || s.Description != "now described" || s.Source != "export default () => 'v2'" {
			t.Fatalf("got %s", r.Body)
		}
		r = h.do("POST", "/api/scripts/"+id+"/rollback", dev, map[string]any{"version": 1, "changeDescription": "back"})
		h.expect(r, 200, "")
		r.json(t, &s)
		if s.Version != 3 || s.Source != "export default () => 'v1'" {
			t.Fatalf("rollback must write version 3 with v1's source, got %s", r.Body)
		}
		r = h.do("GET", "/api/scripts/"+id+"/versions", viewer, nil)
		h.expect(r, 200, "")
		var vs struct {
			Versions []struct {
				Version           int
				ChangeDescription string
				Source            string
				CreatedBy         string
			}
		}
		r.json(t, &vs)
		if len(vs.Versions) != 3 || vs.Versions[0].Version != 3 || vs.Versions[2].ChangeDescription != "first" || vs.Versions[0].Source != "" || vs.Versions[0].CreatedBy == "" {
			t.Fatalf("versions newest first without source, got %s", r.Body)
		}
		r = h.do("GET", "/api/scripts/"+id+"/versions/2", viewer, nil)
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), "'v2'") {
			t.Fatalf("version 2 source missing: %s", r.Body)
		}
		h.expect(h.do("GET", "/api/scripts/"+id+"/versions/9", viewer, nil), 404, "NOT_FOUND")
		h.expect(h.do("GET", "/api/scripts/"+id+"/versions/x", viewer, nil), 400, "INVALID_ARGUMENT")
		r = h.do("GET", "/api/scripts/"+id+"/diff?from=1&to=2", viewer, nil)
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `-export default () => 'v1'`) || !strings.Contains(string(r.Body), `+export default () => 'v2'`) {
			t.Fatalf("unified diff missing lines: %s", r.Body)
		}
		h.expect(h.do("GET", "/api/scripts/"+id+"/diff?from=1", viewer, nil), 400, "INVALID_ARGUMENT")
		h.expect(h.do("DELETE", "/api/scripts/"+id, dev, nil), 403, "FORBIDDEN")
		h.expect(h.do("DELETE", "/api/scripts/"+id, admin, nil), 204, "")
		r = h.do("GET", "/api/scripts/"+id, viewer, nil)
		if !strings.Contains(string(r.Body), `"status":"archived"`) {
			t.Fatalf("archived script must still be readable with history: %s", r.Body)
		}
		h.expect(h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{}), 409, "CONFLICT")
	})
}

func TestConcurrentSavesKeepEveryVersion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, _ := h.tenant("acme")
		id := h.script(dev, map[string]any{"name": "busy", "type": "manual", "source": "export default () => 0"})
		const writers = 12
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"source": fmt.Sprintf("export default () => %d", i+1)})
				if r.Status != 200 {
					t.Errorf("save %d: %d %s", i, r.Status, r.Body)
				}
			}()
		}
		wg.Wait()
		r := h.do("GET", "/api/scripts/"+id+"/versions", dev, nil)
		var vs struct{ Versions []struct{ Version int } }
		r.json(t, &vs)
		if len(vs.Versions) != writers+1 {
			t.Fatalf("want %d versions, got %d", writers+1, len(vs.Versions))
		}
		for i, v := range vs.Versions {
			if v.Version != writers+1-i {
				t.Fatalf("version numbers must be %d..1 with no gaps or duplicates: %s", writers+1, r.Body)
			}
		}
	})
}

func TestExecuteAndRecords(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, viewer := h.tenant("acme")
		id := h.script(dev, map[string]any{"name": "double", "type": "manual", "status": "active",
			"source": "export default async (n: number, ctx: any) => { console.log('doubling', n); return { out: n * 2, trigger: ctx.trigger } }"})
		r := h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{"input": 21})
		h.expect(r, 200, "")
		var ex struct {
			ID, Status, Trigger string
			Output              json.RawMessage
			Logs                []struct{ Level, Message string }
			Version             int
		}
		r.json(t, &ex)
		if ex.Status != "completed" || string(ex.Output) != `{"out":42,"trigger":"manual"}` || len(ex.Logs) != 1 || ex.Version != 1 {
			t.Fatalf("got %s", r.Body)
		}
		// The record is durable by the time the sync call answers.
		r = h.do("GET", "/api/executions/"+ex.ID, viewer, nil)
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `"doubling 21"`) {
			t.Fatalf("execution record lacks logs: %s", r.Body)
		}
		// Async answers 202 with a pending record that completes.
		r = h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{"input": 1, "async": true})
		h.expect(r, 202, "")
		r.json(t, &ex)
		deadline := time.Now().Add(5 * time.Second)
		for {
			r = h.do("GET", "/api/executions/"+ex.ID, viewer, nil)
			if strings.Contains(string(r.Body), `"status":"completed"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("async execution did not complete: %s", r.Body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A failing script is recorded with its code and position.
		bad := h.script(dev, map[string]any{"name": "bad", "type": "manual", "source": "export default () => {\n  throw new Error('nope');\n}"})
		r = h.do("POST", "/api/scripts/"+bad+"/execute", dev, map[string]any{})
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `"status":"failed"`) || !strings.Contains(string(r.Body), `"position":"script.ts:2:9"`) {
			t.Fatalf("got %s", r.Body)
		}
		h.expect(h.do("GET", "/metrics", "", nil), 401, "UNAUTHORIZED")
		h.expect(h.do("GET", "/metrics", viewer, nil), 403, "FORBIDDEN")
		r = h.do("GET", "/metrics", testOperatorKey, nil)
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `kiln_executions_total{status="failed",tenant="acme",trigger="manual"} 1`) {
			t.Fatalf("metrics lack the failed execution, labelled with the tenant's slug: %.400s", r.Body)
		}
		r = h.do("GET", "/api/executions?script="+bad+"&status=failed", viewer, nil)
		var list struct{ Executions []struct{ ID string } }
		r.json(t, &list)
		if len(list.Executions) != 1 {
			t.Fatalf("filter by script and status: %s", r.Body)
		}
		h.expect(h.do("GET", "/api/executions?status=weird", viewer, nil), 400, "INVALID_ARGUMENT")
		h.expect(h.do("GET", "/api/executions?limit=0", viewer, nil), 400, "INVALID_ARGUMENT")
	})
}

func TestHTTPScripts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, viewer := h.tenant("acme")
		h.script(dev, map[string]any{"name": "order", "type": "http", "status": "active", "source": helloHTTP,
			"trigger": map[string]any{"http": map[string]any{"path": "/orders/{id}", "methods": []string{"GET", "POST"}}}})
		r := h.do("GET", "/run/acme/orders/42?name=Ada", "", nil)
		h.expect(r, 200, "")
		if strings.TrimSpace(string(r.Body)) != `{"id":"42","name":"Ada","body":null}` {
			t.Fatalf("got %s", r.Body)
		}
		r = h.do("POST", "/run/acme/orders/7", "", map[string]any{"qty": 3})
		if strings.TrimSpace(string(r.Body)) != `{"id":"7","name":"none","body":{"qty":3}}` {
			t.Fatalf("JSON body: %s", r.Body)
		}
		h.expect(h.do("DELETE", "/run/acme/orders/7", "", nil), 405, "METHOD_NOT_ALLOWED")
		h.expect(h.do("GET", "/run/acme/nowhere", "", nil), 404, "NOT_FOUND")
		h.expect(h.do("GET", "/run/nobody/orders/1", "", nil), 404, "NOT_FOUND")
		h.expect(h.do("POST", "/run/acme/orders/7", "", strings.Repeat("x", 2<<20)), 413, "PAYLOAD_TOO_LARGE")
		// The same path and method cannot be served twice in a tenant.
		h.expect(h.do("POST", "/api/scripts", dev, map[string]any{"name": "dup", "type": "http", "source": helloHTTP,
			"trigger": map[string]any{"http": map[string]any{"path": "/orders/{orderId}", "methods": []string{"GET"}}}}), 409, "CONFLICT")
		h.expect(h.do("POST", "/api/scripts", dev, map[string]any{"name": "nohttp", "type": "http", "source": helloHTTP}), 400, "INVALID_ARGUMENT")
		h.expect(h.do("POST", "/api/scripts", dev, map[string]any{"name": "cron", "type": "scheduled", "source": helloHTTP,
			"trigger": map[string]any{"cron": map[string]any{"expression": "every day"}}}), 400, "INVALID_ARGUMENT")
		h.expect(h.do("POST", "/api/scripts", dev, map[string]any{"name": "t", "type": "webhook", "source": helloHTTP}), 400, "INVALID_ARGUMENT")

		// {status, headers, body}, errors and timeouts.
		h.script(dev, map[string]any{"name": "teapot", "type": "http", "status": "active",
			"source":  `export default () => ({ status: 418, headers: { "x-kiln": "yes" }, body: "short and stout" })`,
			"trigger": map[string]any{"http": map[string]any{"path": "/teapot"}}})
		r = h.do("GET", "/run/acme/teapot", "", nil)
		if r.Status != 418 || r.Header.Get("X-Kiln") != "yes" || string(r.Body) != "short and stout" {
			t.Fatalf("got %d %v %s", r.Status, r.Header, r.Body)
		}
		h.script(dev, map[string]any{"name": "limited", "type": "http", "status": "active",
			"source":  `export default () => ({ status: 429 })`,
			"trigger": map[string]any{"http": map[string]any{"path": "/limited"}}})
		if r = h.do("GET", "/run/acme/limited", "", nil); r.Status != 429 || len(r.Body) != 0 {
			t.Fatalf("{status: 429} alone: %d %s", r.Status, r.Body)
		}
		h.script(dev, map[string]any{"name": "data", "type": "http", "status": "active",
			"source":  `export default () => ({ status: 200, count: 5 })`,
			"trigger": map[string]any{"http": map[string]any{"path": "/data"}}})
		if r = h.do("GET", "/run/acme/data", "", nil); r.Status != 200 || strings.TrimSpace(string(r.Body)) != `{"status":200,"count":5}` {
			t.Fatalf("data with a status field: %d %s", r.Status, r.Body)
		}
		h.script(dev, map[string]any{"name": "webresponse", "type": "http", "status": "active",
			"source":  `export default async (req: any) => Response.json({ echoed: req.params.word }, { status: 201, headers: { "x-kind": "web" } })`,
			"trigger": map[string]any{"http": map[string]any{"path": "/web/{word}"}}})
		r = h.do("GET", "/run/acme/web/hi", "", nil)
		if r.Status != 201 || r.Header.Get("X-Kind") != "web" || r.Header.Get("Content-Type") != "application/json" || string(r.Body) != `{"echoed":"hi"}` {
			t.Fatalf("a returned Response is sent as is: %d %v %s", r.Status, r.Header, r.Body)
		}
		h.script(dev, map[string]any{"name": "neterr", "type": "http", "status": "active",
			"source": `export default () => Response.error()`, "trigger": map[string]any{"http": map[string]any{"path": "/neterr"}}})
		h.expect(h.do("GET", "/run/acme/neterr", "", nil), http.StatusBadGateway, "SCRIPT_RESPONSE_ERROR")
		h.script(dev, map[string]any{"name": "boom", "type": "http", "status": "active",
			"source": `export default () => { throw new Error("secret detail") }`, "trigger": map[string]any{"http": map[string]any{"path": "/boom"}}})
		r = h.do("GET", "/run/acme/boom", "", nil)
		h.expect(r, 500, "RUNTIME_ERROR")
		if strings.Contains(string(r.Body), "secret detail") || !strings.Contains(string(r.Body), "executionId") {
			t.Fatalf("a script error answers with the execution id and no details: %s", r.Body)
		}
		h.script(dev, map[string]any{"name": "slow", "type": "http", "status": "active", "limits": map[string]any{"timeoutMs": 100},
			"source": `export default () => { for (;;) {} }`, "trigger": map[string]any{"http": map[string]any{"path": "/slow"}}})
		h.expect(h.do("GET", "/run/acme/slow", "", nil), http.StatusGatewayTimeout, "TIMEOUT")
		// A draft is not served; activating it is.
		id := h.script(dev, map[string]any{"name": "later", "type": "http", "source": `export default () => "on"`,
			"trigger": map[string]any{"http": map[string]any{"path": "/later"}}})
		h.expect(h.do("GET", "/run/acme/later", "", nil), 404, "NOT_FOUND")
		h.expect(h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"status": "active"}), 200, "")
		h.expect(h.do("GET", "/run/acme/later", "", nil), 200, "")
		r = h.do("GET", "/api/executions?trigger=http&limit=2", viewer, nil)
		var list struct {
			Executions []struct{ Trigger string }
			NextCursor string
		}
		r.json(t, &list)
		if len(list.Executions) != 2 || list.NextCursor == "" {
			t.Fatalf("paged list of HTTP executions: %s", r.Body)
		}
	})
}

// TestTenantIsolation: another tenant's ids are not found on every route.
func TestTenantIsolation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		adminA, devA, _ := h.tenant("alpha")
		adminB, devB, _ := h.tenant("beta")
		id := h.script(devA, map[string]any{"name": "mine", "type": "manual", "source": "export default () => 'a'"})
		r := h.do("POST", "/api/scripts/"+id+"/execute", devA, map[string]any{})
		var ex struct{ ID string }
		r.json(t, &ex)
		r = h.do("POST", "/api/tenants/alpha/keys", adminA, map[string]string{"name": "k", "role": "viewer"})
		var k struct{ ID string }
		r.json(t, &k)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/scripts/" + id, nil}, {"PUT", "/api/scripts/" + id, map[string]any{"description": "x"}},
			{"GET", "/api/scripts/" + id + "/versions", nil}, {"GET", "/api/scripts/" + id + "/versions/1", nil},
			{"GET", "/api/scripts/" + id + "/diff?from=1&to=1", nil}, {"POST", "/api/scripts/" + id + "/rollback", map[string]any{"version": 1}},
			{"POST", "/api/scripts/" + id + "/execute", map[string]any{}}, {"GET", "/api/executions/" + ex.ID, nil},
		} {
			h.expect(h.do(c.method, c.path, devB, c.body), 404, "NOT_FOUND")
		}
		h.expect(h.do("DELETE", "/api/scripts/"+id, adminB, nil), 404, "NOT_FOUND")
		h.expect(h.do("DELETE", "/api/keys/"+k.ID, adminB, nil), 404, "NOT_FOUND")
		h.expect(h.do("POST", "/api/tenants/alpha/keys", adminB, map[string]string{"name": "x", "role": "admin"}), 404, "NOT_FOUND")
		r = h.do("GET", "/api/scripts", devB, nil)
		if strings.Contains(string(r.Body), id) {
			t.Fatalf("tenant B lists tenant A's script: %s", r.Body)
		}
		r = h.do("GET", "/api/executions", devB, nil)
		if strings.Contains(string(r.Body), ex.ID) {
			t.Fatalf("tenant B lists tenant A's execution: %s", r.Body)
		}
	})
}
