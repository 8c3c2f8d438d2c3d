package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/http/api"
	"github.com/kiln-run/kiln/kilntype"
)

func TestPriceOrder(t *testing.T) {
	ex, err := run(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != "completed" || string(ex.Output) != `{"subtotal":3000,"discount":300,"tax":513,"total":3213}` {
		t.Fatalf("execution %+v", ex)
	}
	if len(ex.Logs) != 1 || ex.Logs[0].Message != "priced" || ex.Trigger != "embedded" {
		t.Fatalf("logs %+v", ex.Logs)
	}
}

// The host's collection and functions see only the calling script's
// tenant, and a host function's error reaches the script with its code.
func TestHostIsolation(t *testing.T) {
	ctx := context.Background()
	table := customers{}
	k, err := kiln.New(kiln.Config{DataDir: t.TempDir(),
		Collections: map[string]kiln.Collection{"customers": table},
		HostFuncs:   []kiln.HostFunc{{Name: "taxRate", Fn: taxRate}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer k.Stop(ctx)
	acme, _ := k.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme"})
	if _, err := k.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "globex", Name: "Globex"}); err != nil {
		t.Fatal(err)
	}
	table[acme.ID] = map[string]map[string]any{"c1": {"id": "c1", "tier": "gold"}}
	probe := `export default async () => {
		const c1 = await iota.db.get('customers', 'c1');
		const all = await iota.db.query('customers', {});
		let code;
		try { await iota.host.taxRate('XX'); } catch (e) { code = e.code; }
		let write;
		try { await iota.db.insert('customers', { id: 'c9' }); } catch (e) { write = e.code; }
		return { c1: c1?.tier ?? null, n: all.length, code, write };
	}`
	for tenant, want := range map[string]string{
		"acme":   `{"c1":"gold","n":1,"code":"INVALID_ARGUMENT","write":"INVALID_ARGUMENT"}`,
		"globex": `{"c1":null,"n":0,"code":"INVALID_ARGUMENT","write":"INVALID_ARGUMENT"}`,
	} {
		if _, err := k.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: tenant, Name: "probe", Source: probe, Language: "javascript"}); err != nil {
			t.Fatal(err)
		}
		res, err := k.Run(ctx, kiln.RunParams{TenantSlug: tenant, ScriptName: "probe", Trigger: kilntype.TriggerEmbedded})
		if err != nil {
			t.Fatal(err)
		}
		ex := res.Execution
		var got, w any
		_ = json.Unmarshal(ex.Output, &got)
		_ = json.Unmarshal([]byte(want), &w)
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) {
			t.Errorf("%s: got %s (%+v), want %s", tenant, ex.Output, ex.Error, want)
		}
	}
	// A second save makes version 2; a bad one is a SYNTAX_ERROR.
	s, err := k.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: "acme", Name: "probe", Source: `export default () => 2`})
	if err != nil || s.Version != 2 {
		t.Fatalf("second save: %v %+v", err, s)
	}
	_, err = k.ScriptSave(ctx, kiln.ScriptSaveParams{TenantSlug: "acme", Name: "probe", Source: `export default () => {`})
	if kilntype.ErrorCode(err) != kilntype.ESyntaxError {
		t.Fatalf("a source that does not compile: %v, want SYNTAX_ERROR", err)
	}
	_, err = k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "nope", Trigger: kilntype.TriggerEmbedded})
	if kilntype.ErrorCode(err) != kilntype.ENotFound {
		t.Fatalf("running a missing script: %v, want NOT_FOUND", err)
	}
	// The editor's types know the host's functions.
	rec := httptest.NewRecorder()
	api.New(k, api.Options{}).ServeHTTP(rec, httptest.NewRequest("GET", "/api/sdk/iota.d.ts", nil))
	if !strings.Contains(rec.Body.String(), "function taxRate(") {
		t.Fatal("iota.d.ts does not declare iota.host.taxRate")
	}
}
