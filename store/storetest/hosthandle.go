package storetest

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// HostHandle is a store opened on a database handle its host owns
// (sqlite.OpenDB, postgres.OpenDB, postgres.OpenPool).
type HostHandle struct {
	// Open opens a store on the host's handle. ExerciseHostHandle calls it
	// twice: the second is a restart on the same handle.
	Open func(ctx context.Context) (store.Store, error)
	// ScriptName reads a script's name through the host's handle itself,
	// not through a store.
	ScriptName func(ctx context.Context, id string) (string, error)
	// Write, if set, writes through the host's handle itself (a table of
	// the host's own).
	Write func(ctx context.Context) error
}

// ExerciseHostHandle checks that a store leaves its host's handle open:
// the store writes a tenant, a script and an execution (which prepares a
// statement on the handle) and is closed; the host then still reads what
// it wrote (and writes, if it can), and a second store on the same handle
// finds the schema migrated and the data there.
func ExerciseHostHandle(t *testing.T, h HostHandle) {
	t.Helper()
	ctx := t.Context()
	s, err := h.Open(ctx)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	tenant, err := s.TenantCreate(ctx, store.TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	sc, err := s.ScriptCreate(ctx, store.ScriptCreateParams{
		TenantID: tenant.ID, Name: "hello", Type: kilntype.TypeManual, Status: kilntype.StatusActive,
		Version: store.VersionCreateParams{SourceCode: "export default () => 1"},
	})
	if err != nil {
		t.Fatalf("ScriptCreate: %v", err)
	}
	exec := kilntype.Execution{
		ID: uuid.Must(uuid.NewV7()).String(), TenantID: tenant.ID, ScriptID: sc.ID, Version: 1,
		Trigger: kilntype.TriggerManual, Attempt: 1, Status: kilntype.ExecCompleted, CreatedAt: sc.CreatedAt,
	}
	if err := s.ExecutionWrite(ctx, []kilntype.Execution{exec}); err != nil {
		t.Fatalf("ExecutionWrite (prepares the upsert on the host's handle): %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if name, err := h.ScriptName(ctx, sc.ID); err != nil || name != "hello" {
		t.Fatalf("the host reading the script after Close: %q, %v", name, err)
	}
	if h.Write != nil {
		if err := h.Write(ctx); err != nil {
			t.Fatalf("the host writing after Close: %v", err)
		}
	}

	again, err := h.Open(ctx)
	if err != nil {
		t.Fatalf("open again: %v", err)
	}
	defer func() { _ = again.Close() }()
	if err := again.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	got, err := again.ScriptGet(ctx, tenant.ID, sc.ID)
	if err != nil || got.Name != "hello" {
		t.Errorf("ScriptGet through a second store: %+v, %v", got, err)
	}
	if e, err := again.ExecutionGet(ctx, tenant.ID, exec.ID); err != nil || e.Status != kilntype.ExecCompleted {
		t.Errorf("ExecutionGet through a second store: %+v, %v", e, err)
	}
}
