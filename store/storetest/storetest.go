// Package storetest is the conformance suite every store.Store must pass.
// Each implementation's tests call Exercise with a function that opens a
// fresh, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Exercise(t, func(t *testing.T) store.Store { … })
//	}
package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// RawExecer is implemented by stores that can run a statement directly on
// their database. The suite uses it only to prove that the schema itself
// refuses to change or delete a script version; a store without it skips
// that test.
type RawExecer interface {
	RawExec(ctx context.Context, sql string) error
}

// Exercise runs the suite. open is called once per subtest, possibly from
// parallel subtests, and must return an empty, migrated store that it
// closes in t.Cleanup.
func Exercise(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, b *bundle)
	}{
		{"Ping", testPing},
		{"Settings", testSettings},
		{"Tenants", testTenants},
		{"TenantUpdate", testTenantUpdate},
		{"Keys", testKeys},
		{"ScriptCreate", testScriptCreate},
		{"ScriptListFilters", testScriptListFilters},
		{"ScriptListPages", testScriptListPages},
		{"ScriptUpdate", testScriptUpdate},
		{"ScriptUpdateNewVersion", testScriptUpdateNewVersion},
		{"ScriptListByStatus", testScriptListByStatus},
		{"ScriptGetByName", testScriptGetByName},
		{"ScriptNameUnique", testScriptNameUnique},
		{"ScriptNameRace", testScriptNameRace},
		{"VersionNotFound", testVersionNotFound},
		{"TenantIsolation", testTenantIsolation},
		{"ConcurrentSaves", testConcurrentSaves},
		{"VersionsImmutable", testVersionsImmutable},
		{"ExecutionWrite", testExecutionWrite},
		{"ExecutionList", testExecutionList(write)},
		{"ExecutionListAppended", testExecutionList(appendExecs)},
		{"ExecutionListMixed", testExecutionList(mixed)},
		{"ExecutionDeleteBefore", testExecutionDeleteBefore(write)},
		{"ExecutionDeleteBeforeAppended", testExecutionDeleteBefore(appendExecs)},
		{"ExecutionJournal", testExecutionJournal},
		{"ExecutionErrors", testExecutionErrors},
		{"ExecutionAppend", testExecutionAppend},
		{"ExecutionAppendErrors", testExecutionAppendErrors},
		{"ExecutionAppendPages", testExecutionAppendPages},
		{"DocWhere", testDocWhere},
		{"DocOrder", testDocOrder},
		{"DocCRUD", testDocCRUD},
		{"DocLimits", testDocLimits},
		{"DocInjection", testDocInjection},
		{"DocConcurrentUpdates", testDocConcurrentUpdates},
		{"DocIsolation", testDocIsolation},
		{"Cache", testCache},
		{"CacheIncrement", testCacheIncrement},
		{"CacheQuota", testCacheQuota},
		{"CacheSweep", testCacheSweep},
		{"CacheIsolation", testCacheIsolation},
		{"Secrets", testSecrets},
		{"SecretIsolation", testSecretIsolation},
		{"ExecutionAttempt", testExecutionAttempt},
		{"DeadLetters", testDeadLetters},
		{"TaskCreate", testTaskCreate},
		{"TaskLiveCap", testTaskLiveCap},
		{"TaskList", testTaskList},
		{"TaskIsolation", testTaskIsolation},
		{"TaskFencing", testTaskFencing},
		{"TaskAppend", testTaskAppend},
		{"TaskAppendBatch", testTaskAppendBatch},
		{"TaskAppendShapesConcurrently", testTaskAppendShapesConcurrently},
		{"TaskReceive", testTaskReceive},
		{"TaskSend", testTaskSend},
		{"TaskJournalCaps", testTaskJournalCaps},
		{"TaskContinueAsNew", testTaskContinueAsNew},
		{"TasksDue", testTasksDue},
		{"TasksDueConcurrent", testTasksDueConcurrent},
		{"TaskReceiveTimeoutRace", testTaskReceiveTimeoutRace},
		{"TaskSendsCrossed", testTaskSendsCrossed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, setup(t, open))
		})
	}
}

// bundle is what every test starts with: a fresh store and two tenants,
// the second there to prove the first's data never leaks to it.
type bundle struct {
	ctx    context.Context
	s      store.Store
	tenant *kilntype.Tenant
	other  *kilntype.Tenant
}

func setup(t *testing.T, open func(t *testing.T) store.Store) *bundle {
	t.Helper()
	b := &bundle{ctx: t.Context(), s: open(t)}
	var err error
	if b.tenant, err = b.s.TenantCreate(b.ctx, store.TenantCreateParams{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	if b.other, err = b.s.TenantCreate(b.ctx, store.TenantCreateParams{Slug: "globex", Name: "Globex"}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	return b
}

// wantCode fails the test unless err is a *kilntype.Error with code.
func wantCode(t *testing.T, what string, err error, code kilntype.Code) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %s", what, code)
		return
	}
	if got := kilntype.ErrorCode(err); got != code {
		t.Errorf("%s: got %v (code %s), want code %s", what, err, got, code)
	}
}

// same compares values by their JSON, after a round trip that normalizes
// embedded raw JSON: PostgreSQL's JSONB reorders keys and drops spaces.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := canonical(t, got), canonical(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatalf("unmarshal %T: %v", v, err)
	}
	b, _ = json.Marshal(x)
	return string(b)
}

// now is the current time as stores keep it: UTC, whole microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// recent fails the test unless at is within a minute of now; it catches
// zero times and times in the wrong zone without depending on clock skew.
func recent(t *testing.T, what string, at time.Time) {
	t.Helper()
	if d := time.Since(at); d < -time.Minute || d > time.Minute {
		t.Errorf("%s = %v, want about now", what, at)
	}
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func testPing(t *testing.T, b *bundle) {
	if err := b.s.Ping(b.ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testSettings(t *testing.T, b *bundle) {
	_, err := b.s.SettingGet(b.ctx, "operator_key_hash")
	wantCode(t, "SettingGet before SettingPut", err, kilntype.ENotFound)

	for _, value := range []string{"first", "second", ""} {
		if err := b.s.SettingPut(b.ctx, "operator_key_hash", value); err != nil {
			t.Fatalf("SettingPut(%q): %v", value, err)
		}
		got, err := b.s.SettingGet(b.ctx, "operator_key_hash")
		if err != nil || got != value {
			t.Errorf("SettingGet after SettingPut(%q) = %q, %v", value, got, err)
		}
	}
	if err := b.s.SettingPut(b.ctx, "other", "x"); err != nil {
		t.Fatalf("SettingPut: %v", err)
	}
	if got, _ := b.s.SettingGet(b.ctx, "operator_key_hash"); got != "" {
		t.Errorf("putting another key changed operator_key_hash to %q", got)
	}
}

func testTenants(t *testing.T, b *bundle) {
	if b.tenant.ID == "" || b.tenant.ID == b.other.ID {
		t.Fatalf("tenant IDs %q and %q: want distinct, non-empty", b.tenant.ID, b.other.ID)
	}
	if b.tenant.Slug != "acme" || b.tenant.Name != "Acme" {
		t.Errorf("TenantCreate returned %+v", b.tenant)
	}
	recent(t, "CreatedAt", b.tenant.CreatedAt)

	got, err := b.s.TenantGet(b.ctx, b.tenant.ID)
	if err != nil {
		t.Fatalf("TenantGet: %v", err)
	}
	same(t, "TenantGet", got, b.tenant)
	got, err = b.s.TenantGetBySlug(b.ctx, "globex")
	if err != nil {
		t.Fatalf("TenantGetBySlug: %v", err)
	}
	same(t, "TenantGetBySlug", got, b.other)

	list, err := b.s.TenantList(b.ctx)
	if err != nil {
		t.Fatalf("TenantList: %v", err)
	}
	same(t, "TenantList (oldest first)", list, []kilntype.Tenant{*b.tenant, *b.other})

	errs := []struct {
		name string
		call func() error
		code kilntype.Code
	}{
		{"duplicate slug", func() error {
			_, err := b.s.TenantCreate(b.ctx, store.TenantCreateParams{Slug: "acme", Name: "Another"})
			return err
		}, kilntype.EConflict},
		{"empty slug", func() error {
			_, err := b.s.TenantCreate(b.ctx, store.TenantCreateParams{Name: "Nameless"})
			return err
		}, kilntype.EInvalidArgument},
		{"get missing", func() error { _, err := b.s.TenantGet(b.ctx, newID()); return err }, kilntype.ENotFound},
		{"get missing slug", func() error { _, err := b.s.TenantGetBySlug(b.ctx, "initech"); return err }, kilntype.ENotFound},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.call(), e.code)
	}
	if list, _ := b.s.TenantList(b.ctx); len(list) != 2 {
		t.Errorf("after failed creates, TenantList has %d tenants, want 2", len(list))
	}
}

func testKeys(t *testing.T, b *bundle) {
	k, err := b.s.KeyCreate(b.ctx, store.KeyCreateParams{
		TenantID: b.tenant.ID, Name: "ci", Role: kilntype.RoleDeveloper, Hash: "hash-1",
	})
	if err != nil {
		t.Fatalf("KeyCreate: %v", err)
	}
	if k.ID == "" || k.TenantID != b.tenant.ID || k.Name != "ci" || k.Role != kilntype.RoleDeveloper ||
		k.Hash != "hash-1" || k.RevokedAt != nil {
		t.Errorf("KeyCreate returned %+v", k)
	}
	recent(t, "CreatedAt", k.CreatedAt)

	for name, get := range map[string]func() (*kilntype.APIKey, error){
		"KeyGet":       func() (*kilntype.APIKey, error) { return b.s.KeyGet(b.ctx, k.ID) },
		"KeyGetByHash": func() (*kilntype.APIKey, error) { return b.s.KeyGetByHash(b.ctx, "hash-1") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		same(t, name, got, k)
		if got.Hash != k.Hash {
			t.Errorf("%s: hash %q, want %q", name, got.Hash, k.Hash)
		}
	}

	errs := []struct {
		name string
		call func() error
		code kilntype.Code
	}{
		{"create for missing tenant", func() error {
			_, err := b.s.KeyCreate(b.ctx, store.KeyCreateParams{TenantID: newID(), Name: "x", Role: kilntype.RoleAdmin, Hash: "hash-2"})
			return err
		}, kilntype.ENotFound},
		{"create with unknown role", func() error {
			_, err := b.s.KeyCreate(b.ctx, store.KeyCreateParams{TenantID: b.tenant.ID, Name: "x", Role: "root", Hash: "hash-3"})
			return err
		}, kilntype.EInvalidArgument},
		{"create with duplicate hash", func() error {
			_, err := b.s.KeyCreate(b.ctx, store.KeyCreateParams{TenantID: b.other.ID, Name: "x", Role: kilntype.RoleViewer, Hash: "hash-1"})
			return err
		}, kilntype.EConflict},
		{"get missing", func() error { _, err := b.s.KeyGet(b.ctx, newID()); return err }, kilntype.ENotFound},
		{"get missing hash", func() error { _, err := b.s.KeyGetByHash(b.ctx, "no-such-hash"); return err }, kilntype.ENotFound},
		{"revoke missing", func() error { return b.s.KeyRevoke(b.ctx, newID(), time.Now()) }, kilntype.ENotFound},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.call(), e.code)
	}

	revokedAt := now().Add(-time.Minute)
	if err := b.s.KeyRevoke(b.ctx, k.ID, revokedAt); err != nil {
		t.Fatalf("KeyRevoke: %v", err)
	}
	_, err = b.s.KeyGetByHash(b.ctx, "hash-1")
	wantCode(t, "KeyGetByHash after revoke", err, kilntype.ENotFound)
	// Revoking again succeeds and keeps the first time.
	if err := b.s.KeyRevoke(b.ctx, k.ID, now()); err != nil {
		t.Fatalf("second KeyRevoke: %v", err)
	}
	got, err := b.s.KeyGet(b.ctx, k.ID)
	if err != nil {
		t.Fatalf("KeyGet after revoke: %v", err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, revokedAt)
	}
}

func testVersionsImmutable(t *testing.T, b *bundle) {
	raw, ok := b.s.(RawExecer)
	if !ok {
		t.Skipf("%T does not implement storetest.RawExecer", b.s)
	}
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "ledger"})
	// The control proves RawExec works, so the failures below are the
	// schema's doing.
	if err := raw.RawExec(b.ctx, "UPDATE scripts SET name = 'ledger2' WHERE id = '"+sc.ID+"'"); err != nil {
		t.Fatalf("control UPDATE scripts: %v", err)
	}
	for _, stmt := range []string{
		"UPDATE script_versions SET source_code = 'tampered' WHERE script_id = '" + sc.ID + "'",
		"UPDATE script_versions SET version_number = 7 WHERE script_id = '" + sc.ID + "'",
		"DELETE FROM script_versions WHERE script_id = '" + sc.ID + "'",
	} {
		err := raw.RawExec(b.ctx, stmt)
		if err == nil {
			t.Errorf("%s: succeeded, want the schema to refuse", stmt)
		} else if !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: %v, want the immutability trigger's error", stmt, err)
		}
	}
	v, err := b.s.VersionGet(b.ctx, b.tenant.ID, sc.ID, 1)
	if err != nil || v.SourceCode != sourceOf("ledger") {
		t.Errorf("version 1 after refused changes = %+v, %v", v, err)
	}
}

func testTenantUpdate(t *testing.T, b *bundle) {
	settings := kilntype.TenantSettings{RetentionDays: 7, Caps: kilntype.Limits{TimeoutMs: 5000, MemoryBytes: 32 << 20}}
	got, err := b.s.TenantUpdate(b.ctx, store.TenantUpdateParams{ID: b.tenant.ID, Settings: &settings})
	if err != nil {
		t.Fatalf("TenantUpdate: %v", err)
	}
	if got.Settings != settings || got.Name != "Acme" {
		t.Fatalf("TenantUpdate returned %+v", got)
	}
	name := "Acme Renamed"
	got, err = b.s.TenantUpdate(b.ctx, store.TenantUpdateParams{ID: b.tenant.ID, Name: &name})
	if err != nil || got.Name != name || got.Settings != settings {
		t.Fatalf("a name change must keep the settings: %+v %v", got, err)
	}
	again, err := b.s.TenantGetBySlug(b.ctx, "acme")
	if err != nil || again.Settings != settings {
		t.Fatalf("settings not stored: %+v %v", again, err)
	}
	other, _ := b.s.TenantGet(b.ctx, b.other.ID)
	if other.Settings != (kilntype.TenantSettings{}) {
		t.Fatalf("another tenant's settings changed: %+v", other.Settings)
	}
	if _, err := b.s.TenantUpdate(b.ctx, store.TenantUpdateParams{ID: "missing", Name: &name}); kilntype.ErrorCode(err) != kilntype.ENotFound {
		t.Fatalf("TenantUpdate of a missing tenant: %v", err)
	}
}
