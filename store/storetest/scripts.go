package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// scriptSpec is what a test cares about in a new script; zero fields take
// defaults.
type scriptSpec struct {
	name, description string
	typ               kilntype.ScriptType
	status            kilntype.ScriptStatus
}

func sourceOf(name string) string {
	return "export default function handler() { return " + fmt.Sprintf("%q", name) + " }"
}

func createScript(t *testing.T, b *bundle, tenantID string, spec scriptSpec) *kilntype.Script {
	t.Helper()
	if spec.typ == "" {
		spec.typ = kilntype.TypeHTTP
	}
	if spec.status == "" {
		spec.status = kilntype.StatusActive
	}
	sc, err := b.s.ScriptCreate(b.ctx, store.ScriptCreateParams{
		TenantID: tenantID, Name: spec.name, Description: spec.description,
		Type: spec.typ, Status: spec.status, Language: "javascript",
		Trigger: kilntype.TriggerConfig{HTTP: &kilntype.HTTPTrigger{Path: "/" + spec.name, Methods: []string{"POST"}}},
		Version: store.VersionCreateParams{SourceCode: sourceOf(spec.name), ChangeDescription: "first", CreatedBy: "test"},
	})
	if err != nil {
		t.Fatalf("ScriptCreate(%q): %v", spec.name, err)
	}
	return sc
}

func names(scripts []kilntype.Script) []string {
	out := make([]string, len(scripts))
	for i, sc := range scripts {
		out[i] = sc.Name
	}
	return out
}

func versionNumbers(vs []kilntype.Version) []int {
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.Number
	}
	return out
}

func testScriptCreate(t *testing.T, b *bundle) {
	p := store.ScriptCreateParams{
		TenantID: b.tenant.ID, Name: "orders", Description: "Handles orders",
		Type: kilntype.TypeHTTP, Status: kilntype.StatusDraft, Language: "typescript",
		Trigger: kilntype.TriggerConfig{HTTP: &kilntype.HTTPTrigger{Path: "/orders", Methods: []string{"GET", "POST"}}},
		Limits:  kilntype.Limits{TimeoutMs: 2500, MemoryBytes: 64 << 20, MaxConcurrent: 4},
		Version: store.VersionCreateParams{SourceCode: "export default () => 1", ChangeDescription: "initial", CreatedBy: "alice"},
	}
	sc, err := b.s.ScriptCreate(b.ctx, p)
	if err != nil {
		t.Fatalf("ScriptCreate: %v", err)
	}
	want := kilntype.Script{
		ID: sc.ID, TenantID: p.TenantID, Name: p.Name, Description: p.Description, Type: p.Type,
		Status: p.Status, Language: p.Language, Trigger: p.Trigger, Limits: p.Limits, Version: 1,
		CreatedAt: sc.CreatedAt, UpdatedAt: sc.CreatedAt,
	}
	same(t, "ScriptCreate", sc, want)
	recent(t, "CreatedAt", sc.CreatedAt)
	got, err := b.s.ScriptGet(b.ctx, b.tenant.ID, sc.ID)
	if err != nil {
		t.Fatalf("ScriptGet: %v", err)
	}
	same(t, "ScriptGet", got, sc)

	// Version 1 was written with the script, recording the script's trigger.
	vs, err := b.s.VersionList(b.ctx, b.tenant.ID, sc.ID)
	if err != nil {
		t.Fatalf("VersionList: %v", err)
	}
	trigger, _ := json.Marshal(p.Trigger)
	wantVersion := kilntype.Version{
		ID: "", ScriptID: sc.ID, Number: 1, ChangeDescription: "initial", CreatedBy: "alice",
		CreatedAt: sc.CreatedAt, Trigger: trigger,
	}
	if len(vs) != 1 || vs[0].ID == "" {
		t.Fatalf("VersionList = %+v, want one version", vs)
	}
	wantVersion.ID = vs[0].ID
	same(t, "VersionList", vs, []kilntype.Version{wantVersion})
	v, err := b.s.VersionGet(b.ctx, b.tenant.ID, sc.ID, 1)
	if err != nil {
		t.Fatalf("VersionGet: %v", err)
	}
	wantVersion.SourceCode = p.Version.SourceCode
	same(t, "VersionGet", v, wantVersion)

	// A failure in the version insert leaves no script behind.
	bad := p
	bad.Name = "half-written"
	bad.Version.Trigger = json.RawMessage(`{not json`)
	_, err = b.s.ScriptCreate(b.ctx, bad)
	wantCode(t, "ScriptCreate with an invalid version trigger", err, kilntype.EInvalidArgument)
	list, _, err := b.s.ScriptList(b.ctx, store.ScriptListParams{TenantID: b.tenant.ID})
	if err != nil || !slices.Equal(names(list), []string{"orders"}) {
		t.Errorf("after a failed create, ScriptList = %v, %v; want only orders", names(list), err)
	}

	missing := p
	missing.TenantID = newID()
	_, err = b.s.ScriptCreate(b.ctx, missing)
	wantCode(t, "ScriptCreate for a missing tenant", err, kilntype.ENotFound)
}

func testScriptListFilters(t *testing.T, b *bundle) {
	for _, spec := range []scriptSpec{
		{name: "Order webhook", description: "Handles Shopify orders"},
		{name: "Invoice mailer", description: "Sends 100% of invoices", status: kilntype.StatusDraft},
		{name: "Nightly report", description: "Summarises ORDERS", typ: kilntype.TypeScheduled},
		{name: "Backfill_users", typ: kilntype.TypeManual},
	} {
		createScript(t, b, b.tenant.ID, spec)
	}
	createScript(t, b, b.other.ID, scriptSpec{name: "Order webhook of another tenant"})

	tests := []struct {
		name string
		p    store.ScriptListParams
		want []string
	}{
		{"all, newest first", store.ScriptListParams{}, []string{"Backfill_users", "Nightly report", "Invoice mailer", "Order webhook"}},
		{"type", store.ScriptListParams{Type: kilntype.TypeHTTP}, []string{"Invoice mailer", "Order webhook"}},
		{"status", store.ScriptListParams{Status: kilntype.StatusActive}, []string{"Backfill_users", "Nightly report", "Order webhook"}},
		{"type and status", store.ScriptListParams{Type: kilntype.TypeHTTP, Status: kilntype.StatusActive}, []string{"Order webhook"}},
		{"query on name or description", store.ScriptListParams{Query: "order"}, []string{"Nightly report", "Order webhook"}},
		{"query ignores case", store.ScriptListParams{Query: "oRDEr"}, []string{"Nightly report", "Order webhook"}},
		{"query % is literal", store.ScriptListParams{Query: "%"}, []string{"Invoice mailer"}},
		{"query _ is literal", store.ScriptListParams{Query: "_"}, []string{"Backfill_users"}},
		{"query and type", store.ScriptListParams{Query: "order", Type: kilntype.TypeScheduled}, []string{"Nightly report"}},
		{"no match", store.ScriptListParams{Query: "nothing like it"}, []string{}},
	}
	for _, tt := range tests {
		tt.p.TenantID = b.tenant.ID
		got, next, err := b.s.ScriptList(b.ctx, tt.p)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !slices.Equal(names(got), tt.want) || next != "" {
			t.Errorf("%s: got %q (next %q), want %q", tt.name, names(got), next, tt.want)
		}
	}
}

func testScriptListPages(t *testing.T, b *bundle) {
	var want []string // newest first
	for i := range 51 {
		sc := createScript(t, b, b.tenant.ID, scriptSpec{name: fmt.Sprintf("s%02d", i)})
		want = append([]string{sc.Name}, want...)
	}
	// Pages of 20 cover every script once, in order.
	var got []string
	var pages int
	for cursor := ""; ; pages++ {
		page, next, err := b.s.ScriptList(b.ctx, store.ScriptListParams{TenantID: b.tenant.ID, Limit: 20, Cursor: cursor})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		got = append(got, names(page)...)
		if next == "" {
			pages++
			break
		}
		if len(page) != 20 {
			t.Fatalf("page %d has %d scripts and a next cursor", pages, len(page))
		}
		cursor = next
	}
	if pages != 3 || !slices.Equal(got, want) {
		t.Errorf("%d pages: %q\nwant 3 pages: %q", pages, got, want)
	}

	sizes := []struct {
		limit, want int
		more        bool
	}{{0, 50, true}, {51, 51, false}, {200, 51, false}, {1, 1, true}}
	for _, sz := range sizes {
		page, next, err := b.s.ScriptList(b.ctx, store.ScriptListParams{TenantID: b.tenant.ID, Limit: sz.limit})
		if err != nil || len(page) != sz.want || (next != "") != sz.more {
			t.Errorf("Limit %d: %d scripts, next %q, err %v; want %d, more %v", sz.limit, len(page), next, err, sz.want, sz.more)
		}
	}

	bad := []struct {
		name string
		p    store.ScriptListParams
	}{
		{"negative limit", store.ScriptListParams{Limit: -1}},
		{"limit over 200", store.ScriptListParams{Limit: 201}},
		{"cursor not base64", store.ScriptListParams{Cursor: "not a cursor!"}},
		{"cursor of garbage", store.ScriptListParams{Cursor: "Z2FyYmFnZQ"}},
	}
	for _, tt := range bad {
		tt.p.TenantID = b.tenant.ID
		_, _, err := b.s.ScriptList(b.ctx, tt.p)
		wantCode(t, tt.name, err, kilntype.EInvalidArgument)
	}
}

func testScriptUpdate(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders", description: "old"})
	name, status := "orders-v2", kilntype.StatusPaused
	trigger := kilntype.TriggerConfig{Events: []string{"order.created"}}
	limits := kilntype.Limits{TimeoutMs: 100}
	got, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{
		TenantID: b.tenant.ID, ID: sc.ID, Name: &name, Status: &status, Trigger: &trigger, Limits: &limits,
	})
	if err != nil {
		t.Fatalf("ScriptUpdate: %v", err)
	}
	want := *sc
	want.Name, want.Status, want.Trigger, want.Limits, want.UpdatedAt = name, status, trigger, limits, got.UpdatedAt
	same(t, "ScriptUpdate (nil fields unchanged, version unchanged)", got, want)
	if got.UpdatedAt.Before(sc.UpdatedAt) {
		t.Errorf("UpdatedAt went back from %v to %v", sc.UpdatedAt, got.UpdatedAt)
	}
	stored, err := b.s.ScriptGet(b.ctx, b.tenant.ID, sc.ID)
	if err != nil {
		t.Fatalf("ScriptGet: %v", err)
	}
	same(t, "ScriptGet after update", stored, got)
	vs, err := b.s.VersionList(b.ctx, b.tenant.ID, sc.ID)
	if err != nil || !slices.Equal(versionNumbers(vs), []int{1}) {
		t.Errorf("VersionList after update without NewVersion = %v, %v; want [1]", versionNumbers(vs), err)
	}

	_, err = b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: newID(), Name: &name})
	wantCode(t, "ScriptUpdate of a missing script", err, kilntype.ENotFound)
}

func testScriptUpdateNewVersion(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	ownTrigger := json.RawMessage(`{"cron": {"expression": "@hourly"}}`)
	saves := []store.VersionCreateParams{
		{SourceCode: "v2", ChangeDescription: "second", CreatedBy: "bob"},
		{SourceCode: "v3", ChangeDescription: "third", CreatedBy: "carol", Trigger: ownTrigger},
	}
	for i, v := range saves {
		got, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: sc.ID, NewVersion: &v})
		if err != nil {
			t.Fatalf("save %d: %v", i+2, err)
		}
		if got.Version != i+2 {
			t.Errorf("save %d: script version %d", i+2, got.Version)
		}
	}
	vs, err := b.s.VersionList(b.ctx, b.tenant.ID, sc.ID)
	if err != nil || !slices.Equal(versionNumbers(vs), []int{3, 2, 1}) {
		t.Fatalf("VersionList = %v, %v; want [3 2 1]", versionNumbers(vs), err)
	}
	for _, v := range vs {
		if v.SourceCode != "" {
			t.Errorf("VersionList: version %d has source %q, want none", v.Number, v.SourceCode)
		}
	}
	scriptTrigger, _ := json.Marshal(sc.Trigger)
	for _, tt := range []struct {
		number  int
		source  string
		by      string
		trigger json.RawMessage
	}{
		{1, sourceOf("orders"), "test", scriptTrigger},
		{2, "v2", "bob", scriptTrigger}, // no trigger of its own: the script's
		{3, "v3", "carol", ownTrigger},
	} {
		v, err := b.s.VersionGet(b.ctx, b.tenant.ID, sc.ID, tt.number)
		if err != nil {
			t.Fatalf("VersionGet(%d): %v", tt.number, err)
		}
		if v.Number != tt.number || v.SourceCode != tt.source || v.CreatedBy != tt.by || v.ScriptID != sc.ID {
			t.Errorf("VersionGet(%d) = %+v", tt.number, v)
		}
		same(t, fmt.Sprintf("version %d trigger", tt.number), v.Trigger, tt.trigger)
	}
}

func testScriptListByStatus(t *testing.T, b *bundle) {
	x := createScript(t, b, b.tenant.ID, scriptSpec{name: "x"})
	createScript(t, b, b.tenant.ID, scriptSpec{name: "y", status: kilntype.StatusDraft})
	z := createScript(t, b, b.other.ID, scriptSpec{name: "z"})
	w := createScript(t, b, b.other.ID, scriptSpec{name: "w", typ: kilntype.TypeScheduled})
	for _, tt := range []struct {
		typ    kilntype.ScriptType
		status kilntype.ScriptStatus
		want   []string
	}{
		{kilntype.TypeHTTP, kilntype.StatusActive, []string{x.ID, z.ID}},
		{kilntype.TypeScheduled, kilntype.StatusActive, []string{w.ID}},
		{kilntype.TypeEvent, kilntype.StatusActive, nil},
	} {
		got, err := b.s.ScriptListByStatus(b.ctx, tt.typ, tt.status)
		if err != nil {
			t.Fatalf("ScriptListByStatus(%s, %s): %v", tt.typ, tt.status, err)
		}
		var ids []string
		for _, sc := range got {
			ids = append(ids, sc.ID)
		}
		slices.Sort(ids)
		slices.Sort(tt.want)
		if !slices.Equal(ids, tt.want) {
			t.Errorf("ScriptListByStatus(%s, %s) = %v, want %v", tt.typ, tt.status, ids, tt.want)
		}
	}
}

func testVersionNotFound(t *testing.T, b *bundle) {
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	_, err := b.s.VersionGet(b.ctx, b.tenant.ID, sc.ID, 2)
	wantCode(t, "VersionGet of a version not yet written", err, kilntype.ENotFound)
	_, err = b.s.VersionGet(b.ctx, b.tenant.ID, newID(), 1)
	wantCode(t, "VersionGet of a missing script", err, kilntype.ENotFound)
	_, err = b.s.VersionList(b.ctx, b.tenant.ID, newID())
	wantCode(t, "VersionList of a missing script", err, kilntype.ENotFound)
}

// testConcurrentSaves races saves of one script: every one must get its own
// number, with none skipped.
func testConcurrentSaves(t *testing.T, b *bundle) {
	const saves = 20
	sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "hot"})
	var wg sync.WaitGroup
	numbers := make([]int, saves)
	errs := make([]error, saves)
	for i := range saves {
		wg.Go(func() {
			got, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{
				TenantID: b.tenant.ID, ID: sc.ID,
				NewVersion: &store.VersionCreateParams{SourceCode: fmt.Sprintf("save %d", i), CreatedBy: "race"},
			})
			if err == nil {
				numbers[i] = got.Version
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("save %d: %v", i, err)
		}
	}
	slices.Sort(numbers)
	want := make([]int, saves)
	for i := range want {
		want[i] = i + 2
	}
	if !slices.Equal(numbers, want) {
		t.Errorf("saves returned versions %v, want 2..%d once each", numbers, saves+1)
	}
	vs, err := b.s.VersionList(b.ctx, b.tenant.ID, sc.ID)
	if err != nil {
		t.Fatalf("VersionList: %v", err)
	}
	got := versionNumbers(vs)
	slices.Reverse(got)
	if !slices.Equal(got, append([]int{1}, want...)) {
		t.Errorf("stored versions %v, want 1..%d", got, saves+1)
	}
	sources := map[string]bool{}
	for n := 2; n <= saves+1; n++ {
		v, err := b.s.VersionGet(b.ctx, b.tenant.ID, sc.ID, n)
		if err != nil {
			t.Fatalf("VersionGet(%d): %v", n, err)
		}
		sources[v.SourceCode] = true
	}
	if len(sources) != saves {
		t.Errorf("%d distinct sources among versions 2..%d, want %d", len(sources), saves+1, saves)
	}
	if cur, err := b.s.ScriptGet(b.ctx, b.tenant.ID, sc.ID); err != nil || cur.Version != saves+1 {
		t.Errorf("script version after saves = %v, %v; want %d", cur, err, saves+1)
	}
}

func testScriptGetByName(t *testing.T, b *bundle) {
	orders := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	for _, name := range []string{"orders-v2", "my orders", "Orders", "orders "} {
		createScript(t, b, b.tenant.ID, scriptSpec{name: name})
	}
	othersOrders := createScript(t, b, b.other.ID, scriptSpec{name: "orders"})
	createScript(t, b, b.other.ID, scriptSpec{name: "refunds"})

	get := func(tenantID, name string) (*kilntype.Script, error) {
		return b.s.ScriptGetByName(b.ctx, tenantID, name)
	}
	got, err := get(b.tenant.ID, "orders")
	if err != nil {
		t.Fatalf("ScriptGetByName(orders): %v", err)
	}
	same(t, "ScriptGetByName(orders)", got, orders)
	got, err = get(b.other.ID, "orders")
	if err != nil || got.ID != othersOrders.ID {
		t.Errorf("ScriptGetByName(the other tenant, orders) = %+v, %v; want the other tenant's script %s", got, err, othersOrders.ID)
	}
	for _, name := range []string{"Orders", "orders ", "my orders", "orders-v2"} {
		got, err := get(b.tenant.ID, name)
		if err != nil || got.Name != name {
			t.Errorf("ScriptGetByName(%q) = %+v, %v; want the script of that exact name", name, got, err)
		}
	}
	// Exact names only: no substring, prefix, case folding, trimming or
	// LIKE pattern finds a script.
	for _, name := range []string{"order", "rders", "ORDERS", " orders", "orders%", "%orders", "_rders", "orders-v", "", "refunds"} {
		got, err := get(b.tenant.ID, name)
		wantCode(t, fmt.Sprintf("ScriptGetByName(%q) (got %+v)", name, got), err, kilntype.ENotFound)
	}
	_, err = get(newID(), "orders")
	wantCode(t, "ScriptGetByName for a missing tenant", err, kilntype.ENotFound)

	// Archived scripts are never returned, and the name can be used again.
	archived := kilntype.StatusArchived
	if _, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: orders.ID, Status: &archived}); err != nil {
		t.Fatalf("archive orders: %v", err)
	}
	got, err = get(b.tenant.ID, "orders")
	wantCode(t, fmt.Sprintf("ScriptGetByName(orders) after archiving it (got %+v)", got), err, kilntype.ENotFound)
	again := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	got, err = get(b.tenant.ID, "orders")
	if err != nil || got.ID != again.ID {
		t.Errorf("ScriptGetByName(orders) after a new orders = %+v, %v; want %s, never the archived %s", got, err, again.ID, orders.ID)
	}
	for _, status := range []kilntype.ScriptStatus{kilntype.StatusDraft, kilntype.StatusPaused, kilntype.StatusDisabled} {
		sc := createScript(t, b, b.tenant.ID, scriptSpec{name: "is " + string(status), status: status})
		if got, err := get(b.tenant.ID, sc.Name); err != nil || got.ID != sc.ID {
			t.Errorf("ScriptGetByName of a %s script = %+v, %v; want it", status, got, err)
		}
	}
}

// testScriptNameUnique: a script's name is unique among its tenant's
// scripts that are not archived.
func testScriptNameUnique(t *testing.T, b *bundle) {
	orders := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	invoices := createScript(t, b, b.tenant.ID, scriptSpec{name: "invoices"})
	// conflict checks that err is CONFLICT and names the refused name and
	// the scripts involved.
	conflict := func(what string, err error, mentions ...string) {
		t.Helper()
		wantCode(t, what, err, kilntype.EConflict)
		for _, m := range mentions {
			if err != nil && !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %q does not mention %q", what, err, m)
			}
		}
	}

	_, err := b.s.ScriptCreate(b.ctx, store.ScriptCreateParams{
		TenantID: b.tenant.ID, Name: "orders", Type: kilntype.TypeManual, Status: kilntype.StatusDraft,
		Version: store.VersionCreateParams{SourceCode: "x"},
	})
	conflict("ScriptCreate of a taken name", err, `"orders"`, orders.ID)
	list, _, _ := b.s.ScriptList(b.ctx, store.ScriptListParams{TenantID: b.tenant.ID})
	if !slices.Equal(names(list), []string{"invoices", "orders"}) {
		t.Errorf("after a refused create, ScriptList = %q; want invoices, orders", names(list))
	}
	// Names are exact, and per tenant.
	createScript(t, b, b.tenant.ID, scriptSpec{name: "Orders"})
	createScript(t, b, b.tenant.ID, scriptSpec{name: "orders "})
	createScript(t, b, b.other.ID, scriptSpec{name: "orders"})

	rename := func(id, name string, newVersion bool) (*kilntype.Script, error) {
		p := store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: id, Name: &name}
		if newVersion {
			p.NewVersion = &store.VersionCreateParams{SourceCode: "renamed"}
		}
		return b.s.ScriptUpdate(b.ctx, p)
	}
	_, err = rename(invoices.ID, "orders", false)
	conflict("renaming onto a taken name", err, `"orders"`, invoices.ID, orders.ID)
	_, err = rename(invoices.ID, "orders", true)
	conflict("renaming onto a taken name with a new version", err, `"orders"`, invoices.ID, orders.ID)
	if got, _ := b.s.ScriptGet(b.ctx, b.tenant.ID, invoices.ID); got == nil || got.Name != "invoices" || got.Version != 1 {
		t.Errorf("after refused renames, the script is %+v; want invoices at version 1", got)
	}
	if _, err := rename(invoices.ID, "invoices", true); err != nil {
		t.Errorf("renaming a script to its own name: %v", err)
	}
	if got, err := rename(invoices.ID, "bills", false); err != nil || got.Name != "bills" {
		t.Errorf("renaming onto a free name = %+v, %v", got, err)
	}

	// Archiving frees the name; restoring an archived script whose name
	// was taken since is a conflict until one of them moves.
	setStatus := func(id string, status kilntype.ScriptStatus) error {
		_, err := b.s.ScriptUpdate(b.ctx, store.ScriptUpdateParams{TenantID: b.tenant.ID, ID: id, Status: &status})
		return err
	}
	if err := setStatus(orders.ID, kilntype.StatusArchived); err != nil {
		t.Fatalf("archive orders: %v", err)
	}
	second := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders"})
	err = setStatus(orders.ID, kilntype.StatusActive)
	conflict("restoring an archived script whose name is taken", err, `"orders"`, orders.ID, second.ID)
	if err := setStatus(second.ID, kilntype.StatusArchived); err != nil {
		t.Fatalf("archive the second orders: %v", err)
	}
	if err := setStatus(orders.ID, kilntype.StatusDraft); err != nil {
		t.Errorf("restoring orders once the name is free: %v", err)
	}
	// Archived scripts may share a name with each other and with a live one.
	third := createScript(t, b, b.tenant.ID, scriptSpec{name: "orders", status: kilntype.StatusArchived})
	if got, err := b.s.ScriptGetByName(b.ctx, b.tenant.ID, "orders"); err != nil || got.ID != orders.ID {
		t.Errorf("ScriptGetByName(orders) = %+v, %v; want the restored %s (archived: %s, %s)", got, err, orders.ID, second.ID, third.ID)
	}
}

// testScriptNameRace creates one name from many goroutines: exactly one
// create succeeds, whatever the interleaving, and the rest are CONFLICT.
func testScriptNameRace(t *testing.T, b *bundle) {
	const creates = 8
	var wg sync.WaitGroup
	errs := make([]error, creates)
	for i := range creates {
		wg.Go(func() {
			_, errs[i] = b.s.ScriptCreate(b.ctx, store.ScriptCreateParams{
				TenantID: b.tenant.ID, Name: "hot", Type: kilntype.TypeManual, Status: kilntype.StatusActive,
				Version: store.VersionCreateParams{SourceCode: fmt.Sprint(i)},
			})
		})
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		if err == nil {
			created++
			continue
		}
		wantCode(t, fmt.Sprintf("create %d", i), err, kilntype.EConflict)
	}
	if created != 1 {
		t.Errorf("%d of %d concurrent creates of one name succeeded, want 1", created, creates)
	}
}
