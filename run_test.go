package kiln

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// TestRunRefusals: what keeps a script from running is Run's error, with
// a stable code; a script's own failure is in the record.
func TestRunRefusals(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string, typ kilntype.ScriptType, status kilntype.ScriptStatus, trigger kilntype.TriggerConfig) string {
		s, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: name, Type: typ, Status: status,
			Source: "export default (x) => { if (x === 'boom') throw new Error('boom'); return x }", Trigger: trigger})
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	manual := create("manual", kilntype.TypeManual, kilntype.StatusDraft, kilntype.TriggerConfig{})
	disabled := create("off", kilntype.TypeManual, kilntype.StatusDisabled, kilntype.TriggerConfig{})
	event := create("ev", kilntype.TypeEvent, kilntype.StatusPaused, kilntype.TriggerConfig{Events: []string{"a.b"}})
	for _, tt := range []struct {
		name string
		p    RunParams
		want kilntype.Code
	}{
		{"no tenant", RunParams{ScriptID: manual, Trigger: kilntype.TriggerManual}, kilntype.EInvalidArgument},
		{"unknown tenant", RunParams{TenantSlug: "nope", ScriptID: manual, Trigger: kilntype.TriggerManual}, kilntype.ENotFound},
		{"no script", RunParams{TenantID: tenant.ID, Trigger: kilntype.TriggerManual}, kilntype.EInvalidArgument},
		{"unknown script name", RunParams{TenantID: tenant.ID, ScriptName: "nope", Trigger: kilntype.TriggerManual}, kilntype.ENotFound},
		{"unknown trigger", RunParams{TenantID: tenant.ID, ScriptID: manual, Trigger: "webhook"}, kilntype.EInvalidArgument},
		{"input not JSON", RunParams{TenantID: tenant.ID, ScriptID: manual, Trigger: kilntype.TriggerManual, Input: json.RawMessage("{")}, kilntype.EInvalidArgument},
		{"HTTP input for another trigger", RunParams{TenantID: tenant.ID, ScriptID: manual, Trigger: kilntype.TriggerManual, HTTP: &kilntype.HTTPInput{}}, kilntype.EInvalidArgument},
		{"disabled", RunParams{TenantID: tenant.ID, ScriptID: disabled, Trigger: kilntype.TriggerEmbedded}, kilntype.EConflict},
		{"paused event script on an event", RunParams{TenantID: tenant.ID, ScriptID: event, Trigger: kilntype.TriggerEvent}, kilntype.EConflict},
		{"manual script on an event", RunParams{TenantID: tenant.ID, ScriptID: manual, Trigger: kilntype.TriggerEvent}, kilntype.EConflict},
		{"another tenant's script", RunParams{TenantSlug: "acme", ScriptID: "not-" + manual, Trigger: kilntype.TriggerManual}, kilntype.ENotFound},
	} {
		res, err := c.Run(ctx, tt.p)
		if kilntype.ErrorCode(err) != tt.want || res != nil {
			t.Errorf("%s: Run = %+v, %v; want %s", tt.name, res, err, tt.want)
		}
	}
	// A draft runs by hand; its failure is the record's, not Run's.
	res, err := c.Run(ctx, RunParams{TenantSlug: "acme", ScriptName: "manual", Trigger: kilntype.TriggerManual, Input: json.RawMessage(`"boom"`)})
	if err != nil || res.Execution.Status != kilntype.ExecFailed || res.Execution.Error.Code != kilntype.ERuntimeError {
		t.Fatalf("a failing draft run: %+v, %v", res, err)
	}
	got, err := c.ExecutionGet(ctx, tenant.ID, res.Execution.ID)
	if err != nil || got.Status != kilntype.ExecFailed || got.Trigger != kilntype.TriggerManual {
		t.Fatalf("the failed run's record: %+v, %v", got, err)
	}
}
