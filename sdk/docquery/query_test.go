package docquery

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts any
		want Query
		err  string // a substring of the INVALID_ARGUMENT message
	}{
		{name: "no options", opts: nil, want: Query{Limit: 50}},
		{name: "empty object", opts: map[string]any{}, want: Query{Limit: 50}},
		{name: "null members", opts: map[string]any{"where": nil, "orderBy": nil, "limit": nil, "offset": nil}, want: Query{Limit: 50}},
		{name: "everything", opts: map[string]any{
			"where":   map[string]any{"active": true},
			"orderBy": []any{"name", "age DESC"},
			"limit":   10.0,
			"offset":  20.0,
		}, want: Query{
			Where:   Filter{Field: "active", Op: OpEq, Value: true},
			OrderBy: []Order{{Field: "name"}, {Field: "age", Desc: true}},
			Limit:   10, Offset: 20,
		}},
		{name: "one orderBy string", opts: map[string]any{"orderBy": "name asc"}, want: Query{OrderBy: []Order{{Field: "name"}}, Limit: 50}},
		{name: "not an object", opts: "x", err: "the options must be an object such as { where: { active: true }, limit: 10 }, not a string"},
		{name: "unknown option", opts: map[string]any{"filter": nil}, err: `unknown option "filter": the options are limit, offset, orderBy, where`},
		{name: "where not an object", opts: map[string]any{"where": 1.0}, err: "where must be an object such as { active: true }, not a number"},
		{name: "bad where", opts: map[string]any{"where": map[string]any{"a": map[string]any{"$regex": "x"}}}, err: `unknown operator "$regex" on field "a"`},
		{name: "orderBy not a string", opts: map[string]any{"orderBy": []any{1.0}}, err: "orderBy takes a field name"},
		{name: "orderBy direction", opts: map[string]any{"orderBy": "name sideways"}, err: "the direction after the field must be asc or desc"},
		{name: "orderBy field", opts: map[string]any{"orderBy": "1st"}, err: `field "1st" is not valid`},
		{name: "limit past the maximum", opts: map[string]any{"limit": 51.0}, err: "limit must be a whole number from 1 to 50, not 51"},
		{name: "limit 0", opts: map[string]any{"limit": 0.0}, err: "limit must be a whole number from 1 to 50, not 0"},
		{name: "limit not whole", opts: map[string]any{"limit": 2.5}, err: "limit must be a whole number from 1 to 50, not 2.5"},
		{name: "limit a string", opts: map[string]any{"limit": "10"}, err: `limit must be a whole number from 1 to 50, not "10"`},
		{name: "negative offset", opts: map[string]any{"offset": -1.0}, err: "offset must be a whole number from 0 to 2147483647, not -1"},
	} {
		got, err := Parse(tt.opts, 50)
		if tt.err != "" {
			if kilntype.ErrorCode(err) != kilntype.EInvalidArgument || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: Parse = %+v, %v; want INVALID_ARGUMENT containing %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Parse = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}
