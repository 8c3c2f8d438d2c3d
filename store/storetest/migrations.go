package storetest

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/internal/sqlstore"
)

// Migrations opens one database of an implementation twice: first at an
// earlier schema version, to write rows the way an older Kiln did, then
// with every migration applied. Both functions open the same database,
// fresh for each call of ExerciseMigrations's fresh, and close what they
// open in t.Cleanup.
type Migrations struct {
	// OpenAt opens the database with the migrations up to version applied
	// and no later one.
	OpenAt func(t *testing.T, version int64) store.Store
	// Open opens the database with every migration applied.
	Open func(t *testing.T, opts ...store.OpenOption) store.Store
}

// ExerciseMigrations runs the tests of migrations that change rows. fresh
// is called once per subtest, possibly from parallel subtests.
func ExerciseMigrations(t *testing.T, fresh func(t *testing.T) Migrations) {
	tests := []struct {
		name string
		run  func(t *testing.T, m Migrations)
	}{
		{"UniqueScriptNames", testMigrateUniqueScriptNames},
		{"UniqueScriptNamesNoDuplicates", testMigrateUniqueScriptNamesNoDuplicates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, fresh(t))
		})
	}
}

// logBuffer collects a logger's JSON records.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(l.buf.String()) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(l, nil)) }

// testMigrateUniqueScriptNames seeds duplicate names at the schema before
// the unique index, migrates, and checks that every duplicate but the
// oldest was renamed to a free name, that archived scripts were left
// alone, and that the renames are in the log and in the
// store.SettingScriptRenames setting.
func testMigrateUniqueScriptNames(t *testing.T, m Migrations) {
	old := &bundle{ctx: t.Context(), s: m.OpenAt(t, sqlstore.UniqueScriptNamesVersion-1)}
	var err error
	if old.tenant, err = old.s.TenantCreate(old.ctx, store.TenantCreateParams{Slug: "acme", Name: "Acme"}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	if old.other, err = old.s.TenantCreate(old.ctx, store.TenantCreateParams{Slug: "globex", Name: "Globex"}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	acme, globex := old.tenant.ID, old.other.ID
	archived := kilntype.StatusArchived
	// Created in this order, so oldest first.
	seeds := []struct {
		key, tenant, name string
		status            kilntype.ScriptStatus
		want              string // the name after the migration
	}{
		{"o1", acme, "orders", "", "orders"}, // the oldest keeps the name
		{"literal", acme, "orders (2)", "", "orders (2)"},
		{"o2", acme, "orders", "", "orders (4)"}, // (2) is live, (3) archived: both taken
		{"archived3", acme, "orders (3)", archived, "orders (3)"},
		{"o3", acme, "orders", kilntype.StatusDraft, "orders (5)"},
		{"archivedDup", acme, "orders", archived, "orders"}, // archived: may share a name
		{"p1", acme, "pay", kilntype.StatusPaused, "pay"},
		{"p2", acme, "pay", kilntype.StatusDisabled, "pay (2)"},
		{"unique", acme, "unique", "", "unique"},
		{"g1", globex, "orders", "", "orders"}, // another tenant's duplicate of acme's name
		{"d1", globex, "dup", "", "dup"},
		{"d2", globex, "dup", "", "dup (2)"},
	}
	ids := map[string]string{}
	for _, s := range seeds {
		sc := createScript(t, old, s.tenant, scriptSpec{name: s.name, status: s.status})
		ids[s.key] = sc.ID
	}

	var logs logBuffer
	s := m.Open(t, store.WithLogger(logs.logger()))
	b := &bundle{ctx: t.Context(), s: s, tenant: old.tenant, other: old.other}
	if err := s.Ping(b.ctx); err != nil {
		t.Fatalf("Ping after migrating: %v", err)
	}
	for _, seed := range seeds {
		sc, err := s.ScriptGet(b.ctx, seed.tenant, ids[seed.key])
		if err != nil {
			t.Fatalf("ScriptGet(%s): %v", seed.key, err)
		}
		if sc.Name != seed.want {
			t.Errorf("script %s (%q): named %q after the migration, want %q", seed.key, seed.name, sc.Name, seed.want)
		}
	}
	if got, err := s.ScriptGetByName(b.ctx, acme, "orders"); err != nil || got.ID != ids["o1"] {
		t.Errorf("ScriptGetByName(orders) = %+v, %v; want the oldest, %s", got, err, ids["o1"])
	}

	// The trace: the setting, and a warning per rename.
	want := []store.ScriptRename{
		{TenantID: acme, TenantSlug: "acme", ScriptID: ids["o2"], From: "orders", To: "orders (4)", KeptBy: ids["o1"]},
		{TenantID: acme, TenantSlug: "acme", ScriptID: ids["o3"], From: "orders", To: "orders (5)", KeptBy: ids["o1"]},
		{TenantID: acme, TenantSlug: "acme", ScriptID: ids["p2"], From: "pay", To: "pay (2)", KeptBy: ids["p1"]},
		{TenantID: globex, TenantSlug: "globex", ScriptID: ids["d2"], From: "dup", To: "dup (2)", KeptBy: ids["d1"]},
	}
	value, err := s.SettingGet(b.ctx, store.SettingScriptRenames)
	if err != nil {
		t.Fatalf("SettingGet(%s): %v", store.SettingScriptRenames, err)
	}
	var got []store.ScriptRename
	if err := json.Unmarshal([]byte(value), &got); err != nil {
		t.Fatalf("setting %s = %s: %v", store.SettingScriptRenames, value, err)
	}
	for i := range got {
		recent(t, "ScriptRename.At", got[i].At)
		got[i].At = want[0].At
	}
	sortRenames := func(rs []store.ScriptRename) {
		slices.SortFunc(rs, func(a, b store.ScriptRename) int { return strings.Compare(a.ScriptID, b.ScriptID) })
	}
	sortRenames(got)
	sortRenames(want)
	same(t, "setting "+store.SettingScriptRenames, got, want)

	var warned []string
	for _, r := range logs.records(t) {
		if r["level"] == "WARN" && r["script"] != nil {
			warned = append(warned, r["script"].(string)+": "+r["from"].(string)+" → "+r["to"].(string))
		}
	}
	var wantWarned []string
	for _, r := range want {
		wantWarned = append(wantWarned, r.ScriptID+": "+r.From+" → "+r.To)
	}
	slices.Sort(warned)
	slices.Sort(wantWarned)
	if !slices.Equal(warned, wantWarned) {
		t.Errorf("warnings logged for:\n %q\nwant\n %q", warned, wantWarned)
	}

	// The index holds from now on.
	_, err = s.ScriptCreate(b.ctx, store.ScriptCreateParams{
		TenantID: acme, Name: "orders (4)", Type: kilntype.TypeManual, Status: kilntype.StatusActive,
	})
	wantCode(t, "ScriptCreate of a renamed script's new name", err, kilntype.EConflict)

	// Opening again migrates nothing: no new warning, the same setting.
	var again logBuffer
	s2 := m.Open(t, store.WithLogger(again.logger()))
	if r := again.records(t); len(r) != 0 {
		t.Errorf("opening a migrated database logged %v", r)
	}
	if v, err := s2.SettingGet(b.ctx, store.SettingScriptRenames); err != nil || v != value {
		t.Errorf("setting after opening again = %s, %v; want %s", v, err, value)
	}
}

// testMigrateUniqueScriptNamesNoDuplicates: without duplicates the
// migration renames nothing and leaves no trace.
func testMigrateUniqueScriptNamesNoDuplicates(t *testing.T, m Migrations) {
	old := &bundle{ctx: t.Context(), s: m.OpenAt(t, sqlstore.UniqueScriptNamesVersion-1)}
	var err error
	if old.tenant, err = old.s.TenantCreate(old.ctx, store.TenantCreateParams{Slug: "acme"}); err != nil {
		t.Fatalf("TenantCreate: %v", err)
	}
	a := createScript(t, old, old.tenant.ID, scriptSpec{name: "a"})
	createScript(t, old, old.tenant.ID, scriptSpec{name: "a", status: kilntype.StatusArchived})

	var logs logBuffer
	s := m.Open(t, store.WithLogger(logs.logger()))
	if r := logs.records(t); len(r) != 0 {
		t.Errorf("a migration without duplicates logged %v", r)
	}
	_, err = s.SettingGet(t.Context(), store.SettingScriptRenames)
	wantCode(t, "SettingGet("+store.SettingScriptRenames+") without duplicates", err, kilntype.ENotFound)
	if got, err := s.ScriptGet(t.Context(), old.tenant.ID, a.ID); err != nil || got.Name != "a" {
		t.Errorf("script a after the migration = %+v, %v", got, err)
	}
}
