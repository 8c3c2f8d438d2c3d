package storetest

import (
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// testTenantIsolation uses one tenant's IDs with the other tenant's ID:
// every read and write must act as if the row did not exist.
func testTenantIsolation(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "private"})
	e := execution(sc, now())
	write(t, b, e)
	otherScript := createScript(t, b, b.other.ID, scriptSpec{name: "theirs"})
	hijacked := "hijacked"

	tests := []struct {
		name string
		call func() error
		code kilntype.Code
	}{
		{"ScriptGet", func() error { _, err := b.s.ScriptGet(b.ctx, b.other.ID, sc.ID); return err }, kilntype.ENotFound},
		{"ScriptUpdate", func() error {
			_, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{
				TenantID: b.other.ID, ID: sc.ID, Name: &hijacked,
				NewVersion: &store.VersionCreateParams{SourceCode: "stolen"},
			})
			return err
		}, kilntype.ENotFound},
		{"VersionList", func() error { _, err := b.s.VersionList(b.ctx, b.other.ID, sc.ID); return err }, kilntype.ENotFound},
		{"VersionGet", func() error { _, err := b.s.VersionGet(b.ctx, b.other.ID, sc.ID, 1); return err }, kilntype.ENotFound},
		{"ExecutionGet", func() error { _, err := b.s.ExecutionGet(b.ctx, b.other.ID, e.ID); return err }, kilntype.ENotFound},
		{"ExecutionWrite for another tenant's script", func() error {
			x := execution(sc, now())
			x.TenantID = b.other.ID
			return b.s.ExecutionWrite(b.ctx, []kilntype.Execution{x})
		}, kilntype.ENotFound},
		{"ExecutionWrite reusing another tenant's execution ID", func() error {
			x := execution(otherScript, now())
			x.ID, x.Status = e.ID, kilntype.ExecCompleted
			return b.s.ExecutionWrite(b.ctx, []kilntype.Execution{x})
		}, kilntype.EConflict},
	}
	for _, tt := range tests {
		wantCode(t, tt.name+" with the other tenant's ID", tt.call(), tt.code)
	}

	got, err := b.s.ScriptGet(b.ctx, b.tenant.ID, sc.ID)
	if err != nil || got.Name != "private" || got.Version != 1 {
		t.Errorf("owner's script after the other tenant's attempts = %+v, %v", got, err)
	}
	if ge, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID); err != nil || ge.Status != kilntype.ExecPending || ge.TenantID != b.tenant.ID {
		t.Errorf("owner's execution after the other tenant's attempts = %+v, %v", ge, err)
	}
	list, _, err := b.s.ScriptList(b.ctx, store.ScriptListParams{TenantID: b.other.ID})
	if err != nil || len(list) != 1 || list[0].ID != otherScript.ID {
		t.Errorf("other tenant's ScriptList = %v, %v; want only its own script", names(list), err)
	}
	execs, _, err := b.s.ExecutionList(b.ctx, store.ExecutionListParams{TenantID: b.other.ID})
	if err != nil || len(execs) != 0 {
		t.Errorf("other tenant's ExecutionList = %v, %v; want none", ids(execs), err)
	}
	execs, _, err = b.s.ExecutionList(b.ctx, store.ExecutionListParams{TenantID: b.other.ID, ScriptID: sc.ID})
	if err != nil || len(execs) != 0 {
		t.Errorf("other tenant's ExecutionList by the owner's script = %v, %v; want none", ids(execs), err)
	}
	if n, err := b.s.ExecutionDeleteBefore(b.ctx, b.other.ID, time.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("other tenant's ExecutionDeleteBefore = %d, %v; want 0", n, err)
	}
	if _, err := b.s.ExecutionGet(b.ctx, b.tenant.ID, e.ID); err != nil {
		t.Errorf("owner's execution after the other tenant's delete: %v", err)
	}
}
