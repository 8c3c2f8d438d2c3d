package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/store"
)

// corpus is a collection whose fields mix every JSON type, so that each
// operator meets values it must not match. IDs sort in insertion order,
// which is also the order of documents the store ties.
var corpus = []string{
	`{"id":"d01","n":1,"s":"apple","b":true,"tags":["x","y"],"address":{"city":"Paris","zip":"75001"},"mixed":1}`,
	`{"id":"d02","n":2.5,"s":"Banana","b":false,"tags":["y"],"address":{"city":"Berlin"},"mixed":"1"}`,
	`{"id":"d03","n":-3,"s":"cherry pie","tags":[],"address":"Paris","mixed":true,"nums":[1,2,3]}`,
	`{"id":"d04","n":null,"s":"","b":null,"tags":["x",null,1,true],"mixed":null}`,
	`{"id":"d05"}`,
	`{"id":"d06","n":10,"s":"épée","b":"true","tags":"x y","mixed":[1],"obj":{"a":1},"nested":{"deep":{"v":5}}}`,
	`{"id":"d07","n":1.0,"s":"Apple","address":{"city":"paris"},"tags":["X"],"mixed":{"k":1},"nums":[1.5]}`,
	`{"id":"d08","s":"' OR 1=1 --","n":1e21,"nested":{"deep":{"v":"5"}},"tags":[["x"]]}`,
	`{"id":"d09","n":0,"s":"a","b":true,"mixed":0,"address":{"city":null}}`,
}

// loadCorpus inserts the corpus into collection "things" of the tenant and
// returns the documents as inserted, in order.
func loadCorpus(t *testing.T, b *bundle) []map[string]any {
	t.Helper()
	docs := make([]map[string]any, len(corpus))
	for i, js := range corpus {
		if err := json.Unmarshal([]byte(js), &docs[i]); err != nil {
			t.Fatalf("corpus %d: %v", i, err)
		}
		if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: b.tenant.ID, Collection: "things", Data: docs[i]}); err != nil {
			t.Fatalf("DocInsert %s: %v", js, err)
		}
	}
	return docs
}

// reference is what a query must return: the corpus filtered by
// Filter.Match and sorted by docquery.Compare, ties in insertion order.
func reference(docs []map[string]any, q docquery.Query) []string {
	var out []map[string]any
	for _, d := range docs {
		if q.Where.Normalized().Match(d) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b map[string]any) int { return docquery.Compare(a, b, q.OrderBy) })
	ids := []string{}
	for _, d := range out {
		ids = append(ids, d["id"].(string))
	}
	limit := q.Limit
	if limit == 0 {
		limit = docquery.DefaultLimit
	}
	ids = ids[min(q.Offset, len(ids)):]
	return ids[:min(limit, len(ids))]
}

func docIDs(docs []store.Doc) []string {
	ids := []string{}
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	return ids
}

func parseWhere(t *testing.T, js string) docquery.Filter {
	t.Helper()
	var where map[string]any
	if err := json.Unmarshal([]byte(js), &where); err != nil {
		t.Fatalf("where %s: %v", js, err)
	}
	f, err := docquery.ParseFilter(where)
	if err != nil {
		t.Fatalf("ParseFilter(%s): %v", js, err)
	}
	return f
}

// testDocWhere checks every operator against explicit expectations and
// against Filter.Match, for DocQuery and DocCount alike.
func testDocWhere(t *testing.T, b *bundle) {
	docs := loadCorpus(t, b)
	tests := []struct {
		where string
		want  string // comma-separated IDs; "" means none
	}{
		{`{}`, "d01,d02,d03,d04,d05,d06,d07,d08,d09"},
		{`{"b":true}`, "d01,d09"},
		{`{"b":false}`, "d02"},
		{`{"b":null}`, "d03,d04,d05,d07,d08"},
		{`{"b":"true"}`, "d06"},
		{`{"n":1}`, "d01,d07"},
		{`{"n":{"$eq":2.5}}`, "d02"},
		{`{"n":1e21}`, "d08"},
		{`{"mixed":1}`, "d01"},
		{`{"mixed":"1"}`, "d02"},
		{`{"mixed":true}`, "d03"},
		{`{"mixed":0}`, "d09"},
		{`{"mixed":false}`, ""},
		{`{"n":{"$gt":1}}`, "d02,d06,d08"},
		{`{"n":{"$gte":1,"$lt":10}}`, "d01,d02,d07"},
		{`{"n":{"$lte":0}}`, "d03,d09"},
		{`{"mixed":{"$gt":0}}`, "d01"},
		{`{"s":{"$gt":"a"}}`, "d01,d03,d06"},
		{`{"s":{"$gte":"a"}}`, "d01,d03,d06,d09"},
		{`{"s":{"$lt":"B"}}`, "d04,d07,d08"},
		{`{"s":{"$lte":"Banana"}}`, "d02,d04,d07,d08"},
		{`{"n":{"$ne":1}}`, "d02,d03,d04,d05,d06,d08,d09"},
		{`{"b":{"$ne":null}}`, "d01,d02,d06,d09"},
		{`{"n":{"$in":[1,-3,"x",null]}}`, "d01,d03,d04,d05,d07"},
		{`{"n":{"$in":[]}}`, ""},
		{`{"s":{"$in":["apple","APPLE","a"]}}`, "d01,d09"},
		{`{"tags":{"$contains":"x"}}`, "d01,d04,d06"},
		{`{"tags":{"$contains":1}}`, "d04"},
		{`{"tags":{"$contains":null}}`, "d04"},
		{`{"tags":{"$contains":true}}`, "d04"},
		{`{"tags":{"$contains":"X"}}`, "d07"},
		{`{"s":{"$contains":"an"}}`, "d02"},
		{`{"s":{"$contains":"pie"}}`, "d03"},
		{`{"s":{"$contains":""}}`, "d01,d02,d03,d04,d06,d07,d08,d09"},
		{`{"nums":{"$contains":1.5}}`, "d07"},
		{`{"nums":{"$contains":2}}`, "d03"},
		{`{"obj":{"$contains":1}}`, ""},
		{`{"address.city":"Paris"}`, "d01"},
		{`{"address.city":null}`, "d03,d04,d05,d06,d08,d09"},
		{`{"address.city":{"$ne":"Paris"}}`, "d02,d03,d04,d05,d06,d07,d08,d09"},
		{`{"address":"Paris"}`, "d03"},
		{`{"nested.deep.v":{"$gte":5}}`, "d06"},
		{`{"nested.deep.v":"5"}`, "d08"},
		{`{"address.city.zip":null}`, "d01,d02,d03,d04,d05,d06,d07,d08,d09"},
		{`{"b":true,"n":1}`, "d01"},
		{`{"$or":[{"b":true},{"n":{"$lt":0}}]}`, "d01,d03,d09"},
		{`{"$and":[{"n":{"$gte":1}},{"$or":[{"s":{"$contains":"an"}},{"b":true}]}]}`, "d01,d02"},
		{`{"$or":[{"$and":[{"b":true},{"n":0}]},{"$and":[{"tags":{"$contains":"y"}},{"$or":[{"mixed":"1"},{"s":"zzz"}]}]}]}`, "d02,d09"},
		{`{"$and":[{}]}`, "d01,d02,d03,d04,d05,d06,d07,d08,d09"},
		{`{"s":"' OR 1=1 --"}`, "d08"},
		{`{"s":"apple' OR '1'='1"}`, ""},
		{`{"s":{"$contains":"%"}}`, ""},
		{`{"s":{"$contains":"_"}}`, ""},
	}
	for _, tt := range tests {
		where := parseWhere(t, tt.where)
		q := docquery.Query{Where: where}
		got, err := b.s.DocQuery(b.ctx, b.tenant.ID, "things", q)
		if err != nil {
			t.Errorf("DocQuery where %s: %v", tt.where, err)
			continue
		}
		want := []string{}
		if tt.want != "" {
			want = strings.Split(tt.want, ",")
		}
		if ids := docIDs(got); !slices.Equal(ids, want) {
			t.Errorf("where %s:\n got %v\nwant %v", tt.where, ids, want)
		}
		if ref := reference(docs, q); !slices.Equal(ref, want) {
			t.Errorf("where %s: Filter.Match gives %v, want %v", tt.where, ref, want)
		}
		n, err := b.s.DocCount(b.ctx, b.tenant.ID, "things", where)
		if err != nil || n != int64(len(want)) {
			t.Errorf("DocCount where %s = %d, %v; want %d", tt.where, n, err, len(want))
		}
	}
}

// testDocOrder checks ordering by one and several fields, both
// directions, across types, with limit and offset, against docquery.Compare.
func testDocOrder(t *testing.T, b *bundle) {
	docs := loadCorpus(t, b)
	asc := func(f string) docquery.Order { return docquery.Order{Field: f} }
	desc := func(f string) docquery.Order { return docquery.Order{Field: f, Desc: true} }
	tests := []struct {
		q    docquery.Query
		want string // "" checks against the reference only
	}{
		{docquery.Query{}, "d01,d02,d03,d04,d05,d06,d07,d08,d09"},
		{docquery.Query{OrderBy: []docquery.Order{asc("n")}}, "d04,d05,d03,d09,d01,d07,d02,d06,d08"},
		{docquery.Query{OrderBy: []docquery.Order{desc("n")}}, "d08,d06,d02,d01,d07,d09,d03,d04,d05"},
		{docquery.Query{OrderBy: []docquery.Order{asc("s")}}, "d05,d04,d08,d07,d02,d09,d01,d03,d06"},
		{docquery.Query{OrderBy: []docquery.Order{desc("s")}}, "d06,d03,d01,d09,d02,d07,d08,d04,d05"},
		{docquery.Query{OrderBy: []docquery.Order{asc("mixed")}}, "d04,d05,d08,d03,d09,d01,d02,d06,d07"},
		{docquery.Query{OrderBy: []docquery.Order{asc("b")}}, ""},
		{docquery.Query{OrderBy: []docquery.Order{desc("b"), asc("n")}}, ""},
		{docquery.Query{OrderBy: []docquery.Order{asc("b"), desc("s")}}, ""},
		{docquery.Query{OrderBy: []docquery.Order{asc("address.city"), desc("id")}}, ""},
		{docquery.Query{OrderBy: []docquery.Order{desc("id")}}, "d09,d08,d07,d06,d05,d04,d03,d02,d01"},
		{docquery.Query{OrderBy: []docquery.Order{asc("n")}, Limit: 3}, "d04,d05,d03"},
		{docquery.Query{OrderBy: []docquery.Order{asc("n")}, Limit: 3, Offset: 2}, "d03,d09,d01"},
		{docquery.Query{OrderBy: []docquery.Order{asc("n")}, Offset: 8}, "d08"},
		{docquery.Query{Offset: 20}, ""},
		{docquery.Query{Where: parseWhere(t, `{"n":{"$gte":0}}`), OrderBy: []docquery.Order{desc("n")}, Limit: 2}, "d08,d06"},
	}
	for _, tt := range tests {
		got, err := b.s.DocQuery(b.ctx, b.tenant.ID, "things", tt.q)
		if err != nil {
			t.Errorf("DocQuery %+v: %v", tt.q, err)
			continue
		}
		ref := reference(docs, tt.q)
		if ids := docIDs(got); !slices.Equal(ids, ref) {
			t.Errorf("order %+v:\n got %v\nwant %v (reference)", tt.q.OrderBy, ids, ref)
		}
		if tt.want != "" && strings.Join(ref, ",") != tt.want {
			t.Errorf("order %+v: reference gives %v, want %s", tt.q.OrderBy, ref, tt.want)
		}
	}
}

func testDocCRUD(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	list, err := b.s.DocQuery(b.ctx, tenant, "users", docquery.Query{})
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("query of a collection never written = %v, %v; want an empty list", list, err)
	}

	// The first insert creates the collection; no id generates one.
	src := map[string]any{"name": "Ada", "age": 36, "address": map[string]any{"city": "London"}}
	ada, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: src})
	if err != nil {
		t.Fatalf("DocInsert: %v", err)
	}
	if ada.ID == "" || ada.Data["id"] != ada.ID || ada.Data["age"] != 36.0 || !ada.CreatedAt.Equal(ada.UpdatedAt) {
		t.Fatalf("DocInsert returned %+v", ada)
	}
	recent(t, "CreatedAt", ada.CreatedAt)
	if _, hasID := src["id"]; hasID {
		t.Errorf("DocInsert changed the caller's map: %v", src)
	}
	got, err := b.s.DocGet(b.ctx, tenant, "users", ada.ID)
	if err != nil {
		t.Fatalf("DocGet: %v", err)
	}
	same(t, "DocGet", got, ada)

	bob, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: map[string]any{"id": "bob", "name": "Bob"}})
	if err != nil || bob.ID != "bob" {
		t.Fatalf("DocInsert with id = %+v, %v", bob, err)
	}
	_, err = b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: map[string]any{"id": "bob"}})
	wantCode(t, "DocInsert of a taken id", err, kilntype.EConflict)
	// The same id in another collection is another document.
	if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "pets", Data: map[string]any{"id": "bob"}}); err != nil {
		t.Fatalf("DocInsert of bob into pets: %v", err)
	}

	// Update is a shallow merge: named members replaced, nested objects
	// replaced whole, null kept as null, the rest untouched.
	up, err := b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: tenant, Collection: "users", ID: ada.ID,
		Patch: map[string]any{"age": 37, "address": map[string]any{"zip": "N1"}, "name": nil, "id": ada.ID}})
	if err != nil {
		t.Fatalf("DocUpdate: %v", err)
	}
	want := map[string]any{"id": ada.ID, "name": nil, "age": 37.0, "address": map[string]any{"zip": "N1"}}
	same(t, "DocUpdate result", up.Data, want)
	if !up.CreatedAt.Equal(ada.CreatedAt) || up.UpdatedAt.Before(ada.UpdatedAt) {
		t.Errorf("DocUpdate times: created %v updated %v; inserted at %v", up.CreatedAt, up.UpdatedAt, ada.CreatedAt)
	}
	got, _ = b.s.DocGet(b.ctx, tenant, "users", ada.ID)
	same(t, "DocGet after update", got.Data, want)

	errs := []struct {
		name string
		call func() error
		code kilntype.Code
	}{
		{"update missing", func() error {
			_, err := b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: tenant, Collection: "users", ID: "nobody", Patch: map[string]any{"a": 1}})
			return err
		}, kilntype.ENotFound},
		{"update changing id", func() error {
			_, err := b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: tenant, Collection: "users", ID: "bob", Patch: map[string]any{"id": "robert"}})
			return err
		}, kilntype.EInvalidArgument},
		{"get missing", func() error { _, err := b.s.DocGet(b.ctx, tenant, "users", "nobody"); return err }, kilntype.ENotFound},
		{"get from another collection", func() error { _, err := b.s.DocGet(b.ctx, tenant, "pets", ada.ID); return err }, kilntype.ENotFound},
		{"numeric id", func() error {
			_, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: map[string]any{"id": 7}})
			return err
		}, kilntype.EInvalidArgument},
		{"empty id", func() error {
			_, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: map[string]any{"id": ""}})
			return err
		}, kilntype.EInvalidArgument},
		{"nil document", func() error {
			_, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users"})
			return err
		}, kilntype.EInvalidArgument},
		{"NUL in a document", func() error {
			_, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "users", Data: map[string]any{"s": "a\x00b"}})
			return err
		}, kilntype.EInvalidArgument},
		{"empty tenant", func() error { _, err := b.s.DocGet(b.ctx, "", "users", "bob"); return err }, kilntype.EInvalidArgument},
	}
	for _, e := range errs {
		wantCode(t, e.name, e.call(), e.code)
	}

	if deleted, err := b.s.DocDelete(b.ctx, tenant, "users", "bob"); err != nil || !deleted {
		t.Errorf("DocDelete = %v, %v; want true", deleted, err)
	}
	if deleted, err := b.s.DocDelete(b.ctx, tenant, "users", "bob"); err != nil || deleted {
		t.Errorf("DocDelete of a deleted document = %v, %v; want false", deleted, err)
	}
	if deleted, err := b.s.DocDelete(b.ctx, tenant, "users", ada.ID); err != nil || !deleted {
		t.Errorf("DocDelete = %v, %v; want true", deleted, err)
	}
	if n, err := b.s.DocCount(b.ctx, tenant, "users", docquery.Filter{}); err != nil || n != 0 {
		t.Errorf("DocCount after deleting all = %d, %v", n, err)
	}
	if n, err := b.s.DocCount(b.ctx, tenant, "pets", docquery.Filter{}); err != nil || n != 1 {
		t.Errorf("DocCount of pets = %d, %v; want 1", n, err)
	}
}

func testDocLimits(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	big := strings.Repeat("x", 1000)
	_, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "blobs", Data: map[string]any{"id": "a", "s": big}, MaxBytes: 500})
	wantCode(t, "DocInsert past MaxBytes", err, kilntype.EValueTooLarge)
	if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "blobs", Data: map[string]any{"id": "a", "s": "small"}, MaxBytes: 500}); err != nil {
		t.Fatalf("DocInsert: %v", err)
	}
	_, err = b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: tenant, Collection: "blobs", ID: "a", Patch: map[string]any{"s": big}, MaxBytes: 500})
	wantCode(t, "DocUpdate past MaxBytes", err, kilntype.EValueTooLarge)
	if d, _ := b.s.DocGet(b.ctx, tenant, "blobs", "a"); d == nil || d.Data["s"] != "small" {
		t.Errorf("a refused update changed the document: %+v", d)
	}
	// The default cap is 1 MiB.
	_, err = b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "blobs", Data: map[string]any{"s": strings.Repeat("x", store.DefaultMaxDocBytes)}})
	wantCode(t, "DocInsert past the default cap", err, kilntype.EValueTooLarge)

	for i := range 5 {
		if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "many", Data: map[string]any{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []docquery.Query{{Limit: -1}, {Offset: -1}} {
		_, err := b.s.DocQuery(b.ctx, tenant, "many", q)
		wantCode(t, fmt.Sprintf("DocQuery %+v", q), err, kilntype.EInvalidArgument)
	}
}

// testDocInjection feeds SQL through every argument a script controls:
// names are refused by their patterns, values are only ever compared.
func testDocInjection(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	loadCorpus(t, b)
	evilFields := []string{"a') OR 1=1 --", "a' OR '1'='1", "s; DROP TABLE documents", `a"]`, "a[0]", "$.a", "a..b", ".a", "a.", "1a", "a.0", "a b", "a-b", "",
		strings.Repeat("a", 300)}
	for _, f := range evilFields {
		_, err := docquery.ParseFilter(map[string]any{f: 1})
		wantCode(t, fmt.Sprintf("ParseFilter field %q", f), err, kilntype.EInvalidArgument)
		// A Filter or Order built in Go is checked by the store too.
		_, err = b.s.DocQuery(b.ctx, tenant, "things", docquery.Query{Where: docquery.Filter{Field: f, Op: docquery.OpEq, Value: 1.0}})
		wantCode(t, fmt.Sprintf("DocQuery where field %q", f), err, kilntype.EInvalidArgument)
		_, err = b.s.DocQuery(b.ctx, tenant, "things", docquery.Query{OrderBy: []docquery.Order{{Field: f}}})
		wantCode(t, fmt.Sprintf("DocQuery orderBy %q", f), err, kilntype.EInvalidArgument)
		_, err = b.s.DocCount(b.ctx, tenant, "things", docquery.Filter{Or: []docquery.Filter{{Field: f, Op: docquery.OpNe, Value: nil}}})
		wantCode(t, fmt.Sprintf("DocCount where field %q", f), err, kilntype.EInvalidArgument)
	}
	for _, c := range []string{"things'; DROP TABLE documents; --", "Things", "things ", "_things", "1things", "", strings.Repeat("a", 64)} {
		_, err := b.s.DocQuery(b.ctx, tenant, c, docquery.Query{})
		wantCode(t, fmt.Sprintf("DocQuery collection %q", c), err, kilntype.EInvalidArgument)
		_, err = b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: c, Data: map[string]any{}})
		wantCode(t, fmt.Sprintf("DocInsert collection %q", c), err, kilntype.EInvalidArgument)
	}
	badFilters := []docquery.Filter{
		{Field: "n", Op: "$regex", Value: ".*"},
		{Field: "n", Op: "; DROP TABLE documents", Value: 1.0},
		{Field: "n", Op: docquery.OpGt, Value: true},
		{Field: "n", Op: docquery.OpGt, Value: nil},
		{Field: "n", Op: docquery.OpIn, Value: "x"},
		{Field: "n", Op: docquery.OpEq, Value: []any{1.0}},
		{Field: "n", Op: docquery.OpEq, Value: map[string]any{"$gt": 1.0}},
		{Field: "n", Op: docquery.OpContains, Value: map[string]any{}},
		{And: []docquery.Filter{}},
		{And: []docquery.Filter{{Field: "n", Op: docquery.OpEq, Value: 1.0}}, Field: "s", Op: docquery.OpEq, Value: "x"},
	}
	for _, f := range badFilters {
		_, err := b.s.DocQuery(b.ctx, tenant, "things", docquery.Query{Where: f})
		wantCode(t, fmt.Sprintf("DocQuery with filter %+v", f), err, kilntype.EInvalidArgument)
	}
	for _, where := range []map[string]any{
		{"$where": "1=1"}, {"n": map[string]any{"$regex": "x"}}, {"n": map[string]any{}}, {"$or": []any{}},
		{"$or": map[string]any{"a": 1}}, {"$and": []any{"a"}}, {"n": []any{1.0}}, {"n": map[string]any{"a": 1.0}},
	} {
		_, err := docquery.ParseFilter(where)
		wantCode(t, fmt.Sprintf("ParseFilter(%v)", where), err, kilntype.EInvalidArgument)
	}

	// Values are data: quotes in ids and values are stored and matched
	// literally.
	evil := "x' OR '1'='1"
	if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "things", Data: map[string]any{"id": evil, "s": evil}}); err != nil {
		t.Fatalf("DocInsert id %q: %v", evil, err)
	}
	if d, err := b.s.DocGet(b.ctx, tenant, "things", evil); err != nil || d.Data["s"] != evil {
		t.Errorf("DocGet %q = %+v, %v", evil, d, err)
	}
	_, err := b.s.DocGet(b.ctx, tenant, "things", "x")
	wantCode(t, "DocGet x", err, kilntype.ENotFound)
	got, err := b.s.DocQuery(b.ctx, tenant, "things", docquery.Query{Where: parseWhere(t, `{"s":"x' OR '1'='1"}`)})
	if err != nil || len(got) != 1 || got[0].ID != evil {
		t.Errorf("query by the quoted value = %v, %v", docIDs(got), err)
	}
	if deleted, err := b.s.DocDelete(b.ctx, tenant, "things", "' OR 1=1 --"); err != nil || deleted {
		t.Errorf("DocDelete of an injection id = %v, %v", deleted, err)
	}
	if n, _ := b.s.DocCount(b.ctx, tenant, "things", docquery.Filter{}); n != int64(len(corpus)+1) {
		t.Errorf("after the injection attempts the collection has %d documents, want %d", n, len(corpus)+1)
	}
}

// testDocConcurrentUpdates patches different fields of one document at
// once: a read-modify-write that lost an update would drop a field.
func testDocConcurrentUpdates(t *testing.T, b *bundle) {
	tenant := b.tenant.ID
	if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: tenant, Collection: "hot", Data: map[string]any{"id": "doc"}}); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, err := b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: tenant, Collection: "hot", ID: "doc",
				Patch: map[string]any{fmt.Sprintf("f%d", i): i}})
			if err != nil {
				t.Errorf("DocUpdate %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	d, err := b.s.DocGet(b.ctx, tenant, "hot", "doc")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Data) != writers+1 {
		t.Errorf("after %d concurrent patches the document has %d members, want %d: %v", writers, len(d.Data), writers+1, d.Data)
	}
}

// testDocIsolation uses every document call as the other tenant, with the
// first tenant's collection and IDs.
func testDocIsolation(t *testing.T, b *bundle) {
	loadCorpus(t, b)
	other := b.other.ID
	if got, err := b.s.DocQuery(b.ctx, other, "things", docquery.Query{}); err != nil || len(got) != 0 {
		t.Errorf("other tenant's DocQuery = %v, %v; want none", docIDs(got), err)
	}
	if got, err := b.s.DocQuery(b.ctx, other, "things", docquery.Query{Where: parseWhere(t, `{"$or":[{"id":"d01"},{"id":{"$ne":"d01"}}]}`)}); err != nil || len(got) != 0 {
		t.Errorf("other tenant's DocQuery matching every id = %v, %v; want none", docIDs(got), err)
	}
	if n, err := b.s.DocCount(b.ctx, other, "things", docquery.Filter{}); err != nil || n != 0 {
		t.Errorf("other tenant's DocCount = %d, %v", n, err)
	}
	_, err := b.s.DocGet(b.ctx, other, "things", "d01")
	wantCode(t, "other tenant's DocGet", err, kilntype.ENotFound)
	_, err = b.s.DocUpdate(b.ctx, store.DocUpdateParams{TenantID: other, Collection: "things", ID: "d01", Patch: map[string]any{"s": "stolen"}})
	wantCode(t, "other tenant's DocUpdate", err, kilntype.ENotFound)
	if deleted, err := b.s.DocDelete(b.ctx, other, "things", "d01"); err != nil || deleted {
		t.Errorf("other tenant's DocDelete = %v, %v", deleted, err)
	}
	// The other tenant's namespace is its own: the same id is no conflict.
	if _, err := b.s.DocInsert(b.ctx, store.DocInsertParams{TenantID: other, Collection: "things", Data: map[string]any{"id": "d01", "s": "theirs"}}); err != nil {
		t.Errorf("other tenant's DocInsert of d01: %v", err)
	}
	d, err := b.s.DocGet(b.ctx, b.tenant.ID, "things", "d01")
	if err != nil || d.Data["s"] != "apple" {
		t.Errorf("owner's d01 after the other tenant's calls = %+v, %v", d, err)
	}
	if n, _ := b.s.DocCount(b.ctx, b.tenant.ID, "things", docquery.Filter{}); n != int64(len(corpus)) {
		t.Errorf("owner has %d documents, want %d", n, len(corpus))
	}
}
