// Package docquery is the query language of iota.db: the where filters,
// orderBy, limit and offset that scripts write, parsed into a Query, and
// the reference semantics of matching and ordering documents (Filter.Match,
// Compare).
//
// It is a leaf package. The built-in document store (store/internal/sqlstore)
// compiles a Query to SQL; a host that serves a collection itself
// (sdk.Collection) answers one with Match and Compare, without importing
// the store.
package docquery

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
)

// Query selects documents of one collection.
type Query struct {
	// Where filters the documents; the zero Filter matches all of them.
	Where Filter
	// OrderBy sorts by fields, first to last. Ties, and a query without
	// OrderBy, fall back to insertion order (oldest first).
	OrderBy []Order
	// Limit is how many documents to return at most; 0 means
	// DefaultLimit. The store sets no maximum: callers that take limits
	// from scripts bound them first.
	Limit int
	// Offset skips that many matching documents.
	Offset int
}

// Order sorts by one field.
type Order struct {
	Field string
	Desc  bool
}

// Query limits.
const (
	// DefaultLimit is the page size of a Query without a Limit.
	DefaultLimit = 1000
	// maxFilterConditions bounds the conditions (and $in values) of one
	// filter, and so the size of the SQL it becomes.
	maxFilterConditions = 1000
	// maxFilterDepth bounds the nesting of $and and $or.
	maxFilterDepth = 16
	// maxFieldBytes bounds a field name.
	maxFieldBytes = 256
	// maxOrderFields bounds the fields of an orderBy.
	maxOrderFields = 16
)

var fieldPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// ValidField returns INVALID_ARGUMENT unless name is a field a filter or an
// order may use: identifiers (a letter or underscore, then letters, digits
// or underscores) joined by dots for nested members, such as
// "address.city". The pattern is what keeps a field name from ever being
// more than a JSON path; field names are passed to the database as query
// arguments all the same.
func ValidField(name string) error {
	if len(name) > maxFieldBytes || !fieldPattern.MatchString(name) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"field %q is not valid: use names made of letters, digits and underscores (not starting with a digit), joined by dots for nested fields, such as \"status\" or \"address.city\"", Clip(name))
	}
	return nil
}

// Validate checks a query's fields, filter, limit and offset.
func (q Query) Validate() error {
	if err := q.Where.Validate(); err != nil {
		return err
	}
	if len(q.OrderBy) > maxOrderFields {
		return invalidf("orderBy: at most %d fields, got %d", maxOrderFields, len(q.OrderBy))
	}
	for _, o := range q.OrderBy {
		if err := ValidField(o.Field); err != nil {
			return err
		}
	}
	if q.Limit < 0 {
		return invalidf("limit must be positive (or 0 for the default of %d), got %d", DefaultLimit, q.Limit)
	}
	if q.Offset < 0 {
		return invalidf("offset must be 0 or more, got %d", q.Offset)
	}
	return nil
}

// options are the keys of the options object Parse reads, sorted.
var options = []string{"limit", "offset", "orderBy", "where"}

// Parse reads the options object of a query as scripts write it, a
// JSON-like value: nil, or { where, orderBy, limit, offset } with any of
// them left out or null. limit must be a whole number from 1 to maxLimit,
// and a query without one gets maxLimit; offset a whole number from 0 to
// 2³¹−1. Errors are INVALID_ARGUMENT and say which part is wrong.
func Parse(opts any, maxLimit int) (Query, error) {
	q := Query{Limit: maxLimit}
	if opts == nil {
		return q, nil
	}
	obj, ok := opts.(map[string]any)
	if !ok {
		return Query{}, invalidf("the options must be an object such as { where: { active: true }, limit: 10 }, not %s", Describe(opts))
	}
	for key := range obj {
		if i := sort.SearchStrings(options, key); i == len(options) || options[i] != key {
			return Query{}, invalidf("unknown option %q: the options are %s", key, strings.Join(options, ", "))
		}
	}
	var err error
	if q.Where, err = ParseWhere(obj["where"]); err != nil {
		return Query{}, err
	}
	if q.OrderBy, err = ParseOrderBy(obj["orderBy"]); err != nil {
		return Query{}, err
	}
	if v, ok := obj["limit"]; ok && v != nil {
		if q.Limit, err = integer(v, "limit", 1, maxLimit); err != nil {
			return Query{}, err
		}
	}
	if v, ok := obj["offset"]; ok && v != nil {
		if q.Offset, err = integer(v, "offset", 0, math.MaxInt32); err != nil {
			return Query{}, err
		}
	}
	return q, nil
}

// ParseWhere parses a where value: nil (every document) or a where object
// (see ParseFilter).
func ParseWhere(v any) (Filter, error) {
	if v == nil {
		return Filter{}, nil
	}
	where, ok := v.(map[string]any)
	if !ok {
		return Filter{}, invalidf("where must be an object such as { active: true }, not %s", Describe(v))
	}
	return ParseFilter(where)
}

// ParseOrderBy reads orderBy: "field", "field asc", "field desc", or an
// array of those, sorting by the first and breaking ties with the next.
// nil gives no order.
func ParseOrderBy(v any) ([]Order, error) {
	if v == nil {
		return nil, nil
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	out := make([]Order, 0, len(items))
	for _, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, invalidf("orderBy takes a field name such as 'createdAt' or 'createdAt desc', or an array of them, not %s", Describe(item))
		}
		field, dir, _ := strings.Cut(strings.TrimSpace(s), " ")
		o := Order{Field: field}
		switch strings.ToLower(strings.TrimSpace(dir)) {
		case "", "asc":
		case "desc":
			o.Desc = true
		default:
			return nil, invalidf("orderBy %q: the direction after the field must be asc or desc", s)
		}
		if err := ValidField(field); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// integer reads a whole number within [lo, hi].
func integer(v any, what string, lo, hi int) (int, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, invalidf("%s must be a whole number from %d to %d, not %s", what, lo, hi, ShortValue(v))
	}
	return int(f), nil
}

// ShortValue renders a JSON-like scalar for an error message (a string
// quoted and cut at 40 bytes), or names its kind.
func ShortValue(v any) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprint(x)
	case string:
		return fmt.Sprintf("%q", clipAt(x, 40))
	}
	return Describe(v)
}

func invalidf(format string, args ...any) error {
	return kilntype.Errorf(kilntype.EInvalidArgument, format, args...)
}

// Describe names a JSON-like value's kind for an error message: "null",
// "a string", "a number", "a boolean", "an array", "an object".
func Describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// Clip shortens a name quoted in an error message to 80 bytes, on a
// character boundary.
func Clip(s string) string { return clipAt(s, 80) }

func clipAt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
