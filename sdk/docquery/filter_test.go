package docquery

import (
	"encoding/json"
	"testing"
)

func TestParseFilterShape(t *testing.T) {
	f, err := ParseFilter(map[string]any{"b": 1, "a": map[string]any{"$lt": 5, "$gt": int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f)
	// Keys sorted, Go integers normalized to float64, one And.
	want := `{"And":[{"And":null,"Or":null,"Field":"a","Op":"$gt","Value":1},{"And":null,"Or":null,"Field":"a","Op":"$lt","Value":5},` +
		`{"And":null,"Or":null,"Field":"b","Op":"$eq","Value":1}],"Or":null,"Field":"","Op":"","Value":null}`
	if string(got) != want {
		t.Errorf("ParseFilter =\n %s\nwant\n %s", got, want)
	}
	if f, err := ParseFilter(nil); err != nil || !f.IsZero() {
		t.Errorf("ParseFilter(nil) = %+v, %v", f, err)
	}
	deep := map[string]any{"a": 1.0}
	for range maxFilterDepth + 1 {
		deep = map[string]any{"$or": []any{deep}}
	}
	if _, err := ParseFilter(deep); err == nil {
		t.Error("a filter nested past the depth limit parsed")
	}
	many := make([]any, maxFilterConditions+1)
	for i := range many {
		many[i] = float64(i)
	}
	if _, err := ParseFilter(map[string]any{"a": map[string]any{"$in": many}}); err == nil {
		t.Error("a filter past the condition limit parsed")
	}
}

// FuzzParseFilter feeds arbitrary where objects: whatever parses must
// validate and match without panicking.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1}`, `{"a.b":{"$gte":1,"$lt":"x"}}`, `{"$or":[{"a":null},{"b":{"$in":[1,"x",true,null]}}]}`,
		`{"$and":[{"t":{"$contains":"x"}}]}`, `{"a') OR 1=1 --":1}`, `{"a":{"$ne":[1]}}`,
	} {
		f.Add(seed)
	}
	doc := map[string]any{"a": 1.0, "b": map[string]any{"c": "x"}, "t": []any{"x", nil, true, 2.0}}
	f.Fuzz(func(t *testing.T, js string) {
		var where map[string]any
		if json.Unmarshal([]byte(js), &where) != nil {
			return
		}
		filter, err := ParseFilter(where)
		if err != nil {
			return
		}
		if err := filter.Validate(); err != nil {
			t.Fatalf("ParseFilter(%s) gave a filter that does not validate: %v", js, err)
		}
		filter.Normalized().Match(doc)
	})
}
