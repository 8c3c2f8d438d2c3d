package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/sqlite"
)

// sdkBundle is a fresh SQLite store and an engine exposing the modules
// given to setupSDK over it.
type sdkBundle struct {
	store  *sqlite.Store
	engine *engine.Engine
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func setupSDK(t *testing.T, st *sqlite.Store, modules ...engine.Module) *sdkBundle {
	t.Helper()
	e, err := engine.New(engine.Config{Modules: modules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return &sdkBundle{store: st, engine: e}
}

// run invokes src once as the tenant, in execution "ex-<tenant>".
func (b *sdkBundle) run(t *testing.T, tenant, src string) *engine.Result {
	t.Helper()
	ctx := context.Background()
	p, err := b.engine.Compile(ctx, engine.Source{Name: "main.js", Code: src, Files: fstest.MapFS{"main.js": {Data: []byte(src)}}})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	vm, err := b.engine.NewVM(ctx, p)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	return vm.Invoke(ctx, engine.InvokeParams{Meta: engine.Meta{TenantID: tenant, ExecutionID: "ex-" + tenant}, Timeout: 10 * time.Second})
}

// value runs src and returns its result as JSON, failing on an error.
func (b *sdkBundle) value(t *testing.T, tenant, src string) string {
	t.Helper()
	res := b.run(t, tenant, src)
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, res.Err.Stack)
	}
	return string(res.Value)
}

// canon re-encodes JSON with sorted keys, so results compare whatever
// order the script built their objects in.
func canon(t *testing.T, js string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("not JSON: %s", js)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// catching wraps an expression so that the script returns [code, message]
// of what it throws, or "no error".
func catching(expr string) string {
	return `export default async () => { try { await ` + expr + `; return "no error" } catch (e) { return [e instanceof Error, e.code, e.message] } }`
}

// wantThrow runs expr and checks the JS error it throws.
func (b *sdkBundle) wantThrow(t *testing.T, tenant, expr, code, msg string) {
	t.Helper()
	res := b.run(t, tenant, catching(expr))
	var got []any
	if res.Err != nil || json.Unmarshal(res.Value, &got) != nil || len(got) != 3 {
		t.Errorf("%s: got %s %v, want a thrown %s", expr, res.Value, res.Err, code)
		return
	}
	if got[0] != true || got[1] != code || !strings.Contains(got[2].(string), msg) {
		t.Errorf("%s:\n got %v\nwant %s containing %q", expr, got, code, msg)
	}
}

func insertDocs(t *testing.T, s store.Store, tenant, collection string, docs ...string) {
	t.Helper()
	for _, js := range docs {
		var d map[string]any
		if err := json.Unmarshal([]byte(js), &d); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DocInsert(t.Context(), store.DocInsertParams{TenantID: tenant, Collection: collection, Data: d}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDBDesignExample runs the design's iota.db example verbatim.
func TestDBDesignExample(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, DBModule(st, DBOptions{}))
	insertDocs(t, st, "acme", "users", `{"id":"u1","name":"Ada","active":true}`, `{"id":"u2","name":"Bob","active":false}`,
		`{"id":"u3","name":"Cy","active":true}`)
	insertDocs(t, st, "globex", "users", `{"id":"g1","name":"Gus","active":true}`)
	got := b.value(t, "acme", `export default async function (input, ctx) {
  const users = await iota.db.query('users', { limit: 10, where: { active: true } });
  return users.map(u => u.name);
}`)
	if got != `["Ada","Cy"]` {
		t.Fatalf("got %s", got)
	}
}

func TestDBCalls(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, DBModule(st, DBOptions{}))
	got := b.value(t, "acme", `export default async () => {
		const out = {};
		const ada = await iota.db.insert('people', { name: 'Ada', age: 36, address: { city: 'London' }, tags: ['math'] });
		out.generatedId = typeof ada.id === 'string' && ada.id.length > 0;
		await iota.db.insert('people', { id: 'bob', name: 'Bob', age: 25, address: { city: 'Paris' } });
		await iota.db.insert('people', { id: 'cy', name: 'Cy', age: 41, tags: ['math', 'art'] });
		out.get = (await iota.db.get('people', 'bob')).name;
		out.missing = await iota.db.get('people', 'nobody');
		out.updated = await iota.db.update('people', 'bob', { age: 26, address: { zip: '75001' } });
		out.byAge = (await iota.db.query('people', { orderBy: 'age desc' })).map(p => p.name);
		out.page = (await iota.db.query('people', { orderBy: ['name'], limit: 1, offset: 1 })).map(p => p.name);
		out.nested = (await iota.db.query('people', { where: { 'address.city': 'London' } })).map(p => p.name);
		out.ops = (await iota.db.query('people', { where: { $or: [{ age: { $gte: 40 } }, { tags: { $contains: 'math' }, age: { $lt: 30 } }] } })).map(p => p.name);
		out.inList = await iota.db.count('people', { name: { $in: ['Ada', 'Cy', 'Zed'] } });
		out.count = await iota.db.count('people');
		out.deleted = [await iota.db.delete('people', 'cy'), await iota.db.delete('people', 'cy')];
		out.after = await iota.db.count('people', {});
		out.empty = await iota.db.query('never_written');
		return out;
	}`)
	want := `{"after":2,"byAge":["Cy","Ada","Bob"],"count":3,"deleted":[true,false],"empty":[],"generatedId":true,"get":"Bob","inList":2,` +
		`"missing":null,"nested":["Ada"],"ops":["Cy"],"page":["Bob"],"updated":{"address":{"zip":"75001"},"age":26,"id":"bob","name":"Bob"}}`
	if canon(t, got) != canon(t, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestDBErrors(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, DBModule(st, DBOptions{MaxLimit: 50, MaxDocumentBytes: 200}))
	insertDocs(t, st, "acme", "users", `{"id":"u1","name":"Ada"}`)
	tests := []struct{ expr, code, msg string }{
		{`iota.db.query()`, "INVALID_ARGUMENT", "iota.db.query: the collection name is missing"},
		{`iota.db.query(42)`, "INVALID_ARGUMENT", "the collection name must be a string, not a number"},
		{`iota.db.query('Users')`, "INVALID_ARGUMENT", `iota.db.query: collection name "Users" is not valid`},
		{`iota.db.query("users'; DROP TABLE documents; --")`, "INVALID_ARGUMENT", "collection name"},
		{`iota.db.query('users', 'x')`, "INVALID_ARGUMENT", "the options must be an object"},
		{`iota.db.query('users', { filter: {} })`, "INVALID_ARGUMENT", `unknown option "filter": the options are limit, offset, orderBy, where`},
		{`iota.db.query('users', { limit: 51 })`, "INVALID_ARGUMENT", "limit must be a whole number from 1 to 50, not 51"},
		{`iota.db.query('users', { limit: 0 })`, "INVALID_ARGUMENT", "limit must be a whole number from 1 to 50"},
		{`iota.db.query('users', { limit: 2.5 })`, "INVALID_ARGUMENT", "limit must be a whole number"},
		{`iota.db.query('users', { offset: -1 })`, "INVALID_ARGUMENT", "offset must be a whole number from 0"},
		{`iota.db.query('users', { where: [] })`, "INVALID_ARGUMENT", "where must be an object such as { active: true }, not an array"},
		{`iota.db.query('users', { where: { "a') OR 1=1 --": 1 } })`, "INVALID_ARGUMENT", `iota.db.query: field "a') OR 1=1 --" is not valid`},
		{`iota.db.query('users', { where: { age: { $regex: '.*' } } })`, "INVALID_ARGUMENT", `unknown operator "$regex" on field "age"`},
		{`iota.db.query('users', { where: { age: { $gt: true } } })`, "INVALID_ARGUMENT", "$gt on field \"age\" compares numbers or strings, not a boolean"},
		{`iota.db.query('users', { where: { tags: ['a'] } })`, "INVALID_ARGUMENT", "use $in to match one of several values"},
		{`iota.db.query('users', { where: { address: { city: 'Paris' } } })`, "INVALID_ARGUMENT", `name a nested field with a dotted path such as "address.city"`},
		{`iota.db.query('users', { orderBy: 'name sideways' })`, "INVALID_ARGUMENT", "the direction after the field must be asc or desc"},
		{`iota.db.query('users', { orderBy: 'name; DROP TABLE documents' })`, "INVALID_ARGUMENT", "direction"},
		{`iota.db.query('users', { orderBy: ['a.b-c'] })`, "INVALID_ARGUMENT", `field "a.b-c" is not valid`},
		{`iota.db.query('users', { orderBy: [{ field: 'name' }] })`, "INVALID_ARGUMENT", "orderBy takes a field name"},
		{`iota.db.get('users')`, "INVALID_ARGUMENT", "iota.db.get: it takes a collection and a document id"},
		{`iota.db.get('users', 7)`, "INVALID_ARGUMENT", "the document id must be a string, not a number"},
		{`iota.db.insert('users', [1])`, "INVALID_ARGUMENT", "the document must be an object, not an array"},
		{`iota.db.insert('users', { id: 5 })`, "INVALID_ARGUMENT", "id must be a string"},
		{`iota.db.insert('users', { id: 'u1' })`, "CONFLICT", `iota.db.insert: document "u1" already exists in collection "users"`},
		{`iota.db.insert('users', { s: 'x'.repeat(300) })`, "TOO_LARGE", "iota.db.insert: the document is 308 bytes of JSON, more than the 200-byte limit"},
		{`iota.db.insert('users', { s: 'a\u0000b' })`, "INVALID_ARGUMENT", "NUL"},
		{`iota.db.update('users', 'nobody', { a: 1 })`, "NOT_FOUND", `iota.db.update: document "nobody" not found in collection "users"`},
		{`iota.db.update('users', 'u1', { id: 'u2' })`, "INVALID_ARGUMENT", "a document's id cannot change"},
		{`iota.db.update('users', 'u1', { s: 'x'.repeat(190) })`, "TOO_LARGE", "more than the 200-byte limit"},
		{`iota.db.update('users', 'u1')`, "INVALID_ARGUMENT", "it takes a collection, a document id and a patch"},
		{`iota.db.count('users', { n: { $in: 'x' } })`, "INVALID_ARGUMENT", "$in on field \"n\" takes an array"},
	}
	for _, tt := range tests {
		b.wantThrow(t, "acme", tt.expr, tt.code, tt.msg)
	}
	// An uncaught SDK error keeps its code.
	res := b.run(t, "acme", `export default async () => { await iota.db.insert('users', { id: 'u1' }) }`)
	if res.Err == nil || res.Err.Code != "CONFLICT" {
		t.Errorf("uncaught CONFLICT ended the run with %v", res.Err)
	}
	if d, _ := st.DocGet(t.Context(), "acme", "users", "u1"); d == nil || len(d.Data) != 2 {
		t.Errorf("after the refused calls u1 = %+v", d)
	}
}

// TestDBTenantIsolation runs scripts as another tenant against the first
// tenant's collection, IDs and fields: nothing reaches its rows.
func TestDBTenantIsolation(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, DBModule(st, DBOptions{}))
	insertDocs(t, st, "acme", "users", `{"id":"u1","name":"Ada","tenant_id":"acme"}`)
	got := b.value(t, "globex", `export default async () => [
		await iota.db.query('users'),
		await iota.db.query('users', { where: { $or: [{ tenant_id: 'acme' }, { id: { $ne: null } }] } }),
		await iota.db.count('users'),
		await iota.db.get('users', 'u1'),
		await iota.db.delete('users', 'u1'),
		await iota.db.update('users', 'u1', { name: 'stolen' }).catch(e => e.code),
		(await iota.db.insert('users', { id: 'u1', name: 'Gus' })).name,
	]`)
	if got != `[[],[],0,null,false,"NOT_FOUND","Gus"]` {
		t.Fatalf("as globex: %s", got)
	}
	d, err := st.DocGet(t.Context(), "acme", "users", "u1")
	if err != nil || d.Data["name"] != "Ada" {
		t.Fatalf("acme's u1 = %+v, %v", d, err)
	}
	if got := b.value(t, "acme", `export default async () => (await iota.db.query('users')).map(u => u.name)`); got != `["Ada"]` {
		t.Fatalf("as acme: %s", got)
	}
}

// blockingDocs never answers a query until its context ends.
type blockingDocs struct{ Documents }

func (blockingDocs) DocQuery(ctx context.Context, _, _ string, _ docquery.Query) ([]store.Doc, error) {
	<-ctx.Done()
	return nil, fmt.Errorf("query: %w", ctx.Err())
}

func TestDBTimeout(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b := setupSDK(t, st, DBModule(blockingDocs{st}, DBOptions{QueryTimeout: 20 * time.Millisecond}))
	b.wantThrow(t, "acme", `iota.db.query('users')`, "TIMEOUT", `iota.db.query: the call on collection "users" took longer than 20ms`)
}

// memCollection is a host's own collection kept in memory: what an
// embedding application registers to serve its own data through iota.db.
type memCollection struct {
	mu      sync.Mutex
	docs    map[string][]map[string]any // tenant → documents in insertion order
	tenants []string                    // the tenant of every call, in order
	next    int
}

func (m *memCollection) saw(tenantID string) {
	m.tenants = append(m.tenants, tenantID)
}

func (m *memCollection) find(tenantID, id string) int {
	return slices.IndexFunc(m.docs[tenantID], func(d map[string]any) bool { return d["id"] == id })
}

func (m *memCollection) Query(_ context.Context, tenantID string, q docquery.Query) ([]map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	var out []map[string]any
	for _, d := range m.docs[tenantID] {
		if q.Where.Match(d) {
			out = append(out, maps.Clone(d))
		}
	}
	slices.SortStableFunc(out, func(a, b map[string]any) int { return docquery.Compare(a, b, q.OrderBy) })
	out = out[min(q.Offset, len(out)):]
	return out[:min(q.Limit, len(out))], nil
}

func (m *memCollection) Count(_ context.Context, tenantID string, where docquery.Filter) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	var n int64
	for _, d := range m.docs[tenantID] {
		if where.Match(d) {
			n++
		}
	}
	return n, nil
}

func (m *memCollection) Get(_ context.Context, tenantID, id string) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	if i := m.find(tenantID, id); i >= 0 {
		return maps.Clone(m.docs[tenantID][i]), nil
	}
	return nil, kilntype.Errorf(kilntype.ENotFound, "customer %q not found", id)
}

func (m *memCollection) Insert(_ context.Context, tenantID string, doc map[string]any) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	doc = maps.Clone(doc)
	if _, ok := doc["id"]; !ok {
		m.next++
		doc["id"] = fmt.Sprintf("c%d", m.next)
	}
	if m.find(tenantID, doc["id"].(string)) >= 0 {
		return nil, kilntype.Errorf(kilntype.EConflict, "customer %q exists", doc["id"])
	}
	if doc["name"] == "crash" {
		return nil, errors.New("the host's database is down")
	}
	if m.docs == nil {
		m.docs = map[string][]map[string]any{}
	}
	m.docs[tenantID] = append(m.docs[tenantID], doc)
	return maps.Clone(doc), nil
}

func (m *memCollection) Update(_ context.Context, tenantID, id string, patch map[string]any) (map[string]any, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	i := m.find(tenantID, id)
	if i < 0 {
		return nil, kilntype.Errorf(kilntype.ENotFound, "customer %q not found", id)
	}
	maps.Copy(m.docs[tenantID][i], patch)
	return maps.Clone(m.docs[tenantID][i]), nil
}

func (m *memCollection) Delete(_ context.Context, tenantID, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saw(tenantID)
	i := m.find(tenantID, id)
	if i < 0 {
		return false, nil
	}
	m.docs[tenantID] = slices.Delete(m.docs[tenantID], i, i+1)
	return true, nil
}

// TestDBHostCollection registers a host collection: calls on its name go
// to the host with the script's tenant, every other name to the store.
func TestDBHostCollection(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	customers := &memCollection{}
	b := setupSDK(t, st, DBModule(st, DBOptions{Collections: map[string]Collection{"customers": customers}, MaxLimit: 100}))
	got := b.value(t, "acme", `export default async () => {
		await iota.db.insert('customers', { name: 'Initech', tier: 2 });
		await iota.db.insert('customers', { id: 'big', name: 'Globodyne', tier: 5, tags: ['vip'] });
		await iota.db.insert('users', { id: 'u1', name: 'in the store' });
		return {
			top: (await iota.db.query('customers', { where: { tier: { $gte: 2 } }, orderBy: 'tier desc', limit: 1 })).map(c => c.name),
			vip: await iota.db.count('customers', { tags: { $contains: 'vip' } }),
			get: (await iota.db.get('customers', 'big')).name,
			missing: await iota.db.get('customers', 'nope'),
			updated: (await iota.db.update('customers', 'c1', { tier: 3 })).tier,
			deleted: await iota.db.delete('customers', 'big'),
			left: (await iota.db.query('customers')).map(c => c.id),
			conflict: await iota.db.insert('customers', { id: 'c1' }).catch(e => [e.code, e.message]),
			crash: await iota.db.insert('customers', { name: 'crash' }).catch(e => [e.code, e.message]),
			tooBig: await iota.db.insert('customers', { s: 'x'.repeat(2 << 20) }).catch(e => e.code),
			overLimit: await iota.db.query('customers', { limit: 101 }).catch(e => e.code),
		};
	}`)
	want := `{"conflict":["CONFLICT","iota.db.insert: customer \"c1\" exists"],` +
		`"crash":["INTERNAL","the call failed inside Kiln; the error was logged for the operator"],` +
		`"deleted":true,"get":"Globodyne","left":["c1"],"missing":null,"overLimit":"INVALID_ARGUMENT","tooBig":"TOO_LARGE","top":["Globodyne"],"updated":3,"vip":1}`
	if canon(t, got) != canon(t, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, tenant := range customers.tenants {
		if tenant != "acme" {
			t.Fatalf("the host collection was called for tenant %q", tenant)
		}
	}
	if n, _ := st.DocCount(t.Context(), "acme", "customers", docquery.Filter{}); n != 0 {
		t.Errorf("the store holds %d customers; the host's collection should have them all", n)
	}
	if n, _ := st.DocCount(t.Context(), "acme", "users", docquery.Filter{}); n != 1 {
		t.Errorf("the store holds %d users, want 1", n)
	}
	// Another tenant sees none of the host's documents for acme.
	if got := b.value(t, "globex", `export default async () => iota.db.count('customers')`); got != "0" {
		t.Errorf("globex counts %s customers", got)
	}
}

func TestDBOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, o := range []DBOptions{
		{Collections: map[string]Collection{"Bad-Name": &memCollection{}}},
		{Collections: map[string]Collection{"ok": nil}},
		{MaxLimit: -1},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", o)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("DBModule with an invalid host collection name did not panic")
		}
	}()
	DBModule(nil, DBOptions{Collections: map[string]Collection{"Bad-Name": &memCollection{}}})
}
