package store

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-run/kiln"
)

// Doc is one document of a tenant's collection. Data is the document as a
// script sees it: a JSON object whose "id" member is ID.
type Doc struct {
	ID        string
	Data      map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DocQuery selects documents of one collection.
type DocQuery struct {
	// Where filters the documents; the zero Filter matches all of them.
	Where Filter
	// OrderBy sorts by fields, first to last. Ties, and a query without
	// OrderBy, fall back to insertion order (oldest first).
	OrderBy []Order
	// Limit is how many documents to return at most; 0 means
	// DefaultDocLimit. The store sets no maximum: callers that take limits
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

// DocInsertParams inserts a document.
type DocInsertParams struct {
	TenantID   string
	Collection string
	// Data is the document. Its "id" member, if present, must be a
	// non-empty string and becomes the ID; otherwise the store generates
	// one and sets it.
	Data map[string]any
	// MaxBytes caps the document's JSON size; 0 means DefaultMaxDocBytes.
	MaxBytes int
}

// DocUpdateParams merges a patch into a document.
type DocUpdateParams struct {
	TenantID   string
	Collection string
	ID         string
	// Patch replaces the document's top-level members it names, as
	// Object.assign does; nested objects are replaced, not merged, and a
	// null member becomes null. An "id" member must equal ID.
	Patch map[string]any
	// MaxBytes caps the merged document's JSON size; 0 means
	// DefaultMaxDocBytes.
	MaxBytes int
}

// Document limits.
const (
	// DefaultDocLimit is the page size of a DocQuery without a Limit.
	DefaultDocLimit = 1000
	// DefaultMaxDocBytes is the largest document, as JSON, when the caller
	// sets no cap.
	DefaultMaxDocBytes = 1 << 20
	// MaxDocIDBytes is the longest document ID.
	MaxDocIDBytes = 256
	// maxFilterConditions bounds the conditions (and $in values) of one
	// filter, and so the size of the SQL it becomes.
	maxFilterConditions = 1000
	// maxFilterDepth bounds the nesting of $and and $or.
	maxFilterDepth = 16
	// maxFieldBytes bounds a field name.
	maxFieldBytes = 256
)

var (
	collectionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	fieldPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

// ValidCollection returns INVALID_ARGUMENT unless name is a collection
// name: a lower-case letter, then up to 62 lower-case letters, digits or
// underscores.
func ValidCollection(name string) error {
	if !collectionPattern.MatchString(name) {
		return kiln.Errorf(kiln.EInvalidArgument,
			"collection name %q is not valid: use a lower-case letter followed by up to 62 lower-case letters, digits or underscores, such as \"users\" or \"order_items\"", clip(name))
	}
	return nil
}

// ValidField returns INVALID_ARGUMENT unless name is a field a filter or an
// order may use: identifiers (a letter or underscore, then letters, digits
// or underscores) joined by dots for nested members, such as
// "address.city". The pattern is what keeps a field name from ever being
// more than a JSON path; field names are passed to the database as query
// arguments all the same.
func ValidField(name string) error {
	if len(name) > maxFieldBytes || !fieldPattern.MatchString(name) {
		return kiln.Errorf(kiln.EInvalidArgument,
			"field %q is not valid: use names made of letters, digits and underscores (not starting with a digit), joined by dots for nested fields, such as \"status\" or \"address.city\"", clip(name))
	}
	return nil
}

// Op is a filter operator.
type Op string

// Filter operators. Comparisons only match a field of the value's own
// type; see Filter.Match for the exact semantics.
const (
	OpEq       Op = "$eq"       // equal; null matches a missing field too
	OpNe       Op = "$ne"       // not $eq
	OpGt       Op = "$gt"       // greater than a number or string
	OpGte      Op = "$gte"      // greater than or equal
	OpLt       Op = "$lt"       // less than
	OpLte      Op = "$lte"      // less than or equal
	OpIn       Op = "$in"       // $eq to one of a list of values
	OpContains Op = "$contains" // a string containing a substring, or an array containing an element
)

var ops = map[Op]bool{OpEq: true, OpNe: true, OpGt: true, OpGte: true, OpLt: true, OpLte: true, OpIn: true, OpContains: true}

// Filter is a parsed where clause: either a logical node (And or Or) or a
// single condition (Field, Op, Value). The zero Filter matches every
// document.
type Filter struct {
	// And, when not nil, matches when every one of its filters matches.
	And []Filter
	// Or, when not nil, matches when at least one of its filters matches.
	Or []Filter

	// Field is a dotted path (see ValidField).
	Field string
	Op    Op
	// Value is nil, a bool, a float64 or a string; for OpIn, a []any of
	// those.
	Value any
}

// IsZero reports whether f matches every document.
func (f Filter) IsZero() bool { return f.And == nil && f.Or == nil && f.Field == "" }

// ParseFilter parses a where object as scripts write it:
//
//	{ active: true, age: { $gte: 18, $lt: 65 }, 'address.city': 'Paris',
//	  $or: [ { role: 'admin' }, { tags: { $contains: 'beta' } } ] }
//
// Members are ANDed. A member's value is either a scalar (equality) or an
// object of operators; $and and $or take arrays of where objects. Errors
// are INVALID_ARGUMENT and say which part is wrong.
func ParseFilter(where map[string]any) (Filter, error) {
	p := filterParser{}
	f, err := p.object(where, 0)
	if err != nil {
		return Filter{}, err
	}
	return f, nil
}

type filterParser struct{ conditions int }

func (p *filterParser) object(where map[string]any, depth int) (Filter, error) {
	if depth > maxFilterDepth {
		return Filter{}, invalidf("where: $and and $or are nested more than %d levels deep", maxFilterDepth)
	}
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same where gives the same SQL
	var all []Filter
	for _, key := range keys {
		value := where[key]
		switch {
		case key == "$and" || key == "$or":
			list, ok := value.([]any)
			if !ok || len(list) == 0 {
				return Filter{}, invalidf("where: %s takes a non-empty array of where objects, not %s", key, describe(value))
			}
			subs := make([]Filter, 0, len(list))
			for i, item := range list {
				obj, ok := item.(map[string]any)
				if !ok {
					return Filter{}, invalidf("where: %s[%d] must be a where object, not %s", key, i, describe(item))
				}
				sub, err := p.object(obj, depth+1)
				if err != nil {
					return Filter{}, err
				}
				subs = append(subs, sub)
			}
			if key == "$and" {
				all = append(all, Filter{And: subs})
			} else {
				all = append(all, Filter{Or: subs})
			}
		case strings.HasPrefix(key, "$"):
			return Filter{}, invalidf("where: unknown operator %q at the top level: use a field name, $and or $or", clip(key))
		default:
			conds, err := p.field(key, value)
			if err != nil {
				return Filter{}, err
			}
			all = append(all, conds...)
		}
	}
	if len(all) == 1 {
		return all[0], nil
	}
	return Filter{And: all}, nil // an empty object gives And: nil, the zero Filter
}

// field parses one field's condition: a scalar, or an object of operators.
func (p *filterParser) field(name string, value any) ([]Filter, error) {
	if err := ValidField(name); err != nil {
		return nil, err
	}
	opsObj, isObj := value.(map[string]any)
	if !isObj {
		f := Filter{Field: name, Op: OpEq, Value: value}
		return []Filter{f}, p.check(&f)
	}
	if len(opsObj) == 0 {
		return nil, invalidf("where: field %q has an empty object: give a value to compare with, or operators such as { $gt: 1 }", name)
	}
	names := make([]string, 0, len(opsObj))
	for k := range opsObj {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]Filter, 0, len(names))
	for _, op := range names {
		if !ops[Op(op)] {
			if !strings.HasPrefix(op, "$") {
				return nil, invalidf("where: field %q is compared with an object; objects cannot be compared for equality: name a nested field with a dotted path such as %q", name, name+"."+op)
			}
			return nil, invalidf("where: unknown operator %q on field %q: use $eq, $ne, $gt, $gte, $lt, $lte, $in or $contains", clip(op), name)
		}
		f := Filter{Field: name, Op: Op(op), Value: opsObj[op]}
		if err := p.check(&f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// check validates a condition's value for its operator, normalizing Go
// number types to float64, and counts it against the filter's size.
func (p *filterParser) check(f *Filter) error {
	p.conditions++
	if f.Op == OpIn {
		list, ok := f.Value.([]any)
		if !ok {
			return invalidf("where: $in on field %q takes an array of values, not %s", f.Field, describe(f.Value))
		}
		p.conditions += len(list)
		norm := make([]any, len(list))
		for i, v := range list {
			s, err := scalar(v)
			if err != nil {
				return invalidf("where: $in on field %q: element %d %v", f.Field, i, err)
			}
			norm[i] = s
		}
		f.Value = norm
	} else {
		s, err := scalar(f.Value)
		if err != nil {
			return invalidf("where: field %q %s: the value %v", f.Field, f.Op, err)
		}
		f.Value = s
		switch f.Op {
		case OpGt, OpGte, OpLt, OpLte:
			switch f.Value.(type) {
			case float64, string:
			default:
				return invalidf("where: %s on field %q compares numbers or strings, not %s", f.Op, f.Field, describe(f.Value))
			}
		}
	}
	if p.conditions > maxFilterConditions {
		return invalidf("where: more than %d conditions and $in values", maxFilterConditions)
	}
	return nil
}

// scalar normalizes a value a condition compares with: nil, bool, a number
// (as a finite float64) or a string (valid UTF-8, without NUL, which
// PostgreSQL cannot store).
func scalar(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool:
		return x, nil
	case string:
		if strings.ContainsRune(x, 0) {
			return nil, fmt.Errorf("contains the NUL character, which documents cannot hold")
		}
		return strings.ToValidUTF8(x, "\uFFFD"), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("must be a finite number")
		}
		return x, nil
	case float32:
		return scalar(float64(x))
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case json.Number:
		n, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("must be a finite number")
		}
		return scalar(n)
	case []any:
		return nil, fmt.Errorf("is an array: use $in to match one of several values, or $contains to match an array element")
	case map[string]any:
		return nil, fmt.Errorf("is an object: compare nested fields with dotted paths such as \"address.city\"")
	}
	return nil, fmt.Errorf("is a %T, which cannot be compared", v)
}

// Validate checks a Filter built in Go, as ParseFilter's result always
// is: conditions name valid fields and known operators with values of the
// right kind, and logical nodes are neither empty nor too deep.
func (f Filter) Validate() error {
	p := filterParser{}
	return p.validate(f, 0)
}

func (p *filterParser) validate(f Filter, depth int) error {
	if depth > maxFilterDepth {
		return invalidf("where: $and and $or are nested more than %d levels deep", maxFilterDepth)
	}
	kinds := 0
	for _, set := range []bool{f.And != nil, f.Or != nil, f.Field != "" || f.Op != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return invalidf("where: a filter node is either And, Or or a condition, not several")
	}
	switch {
	case f.And != nil || f.Or != nil:
		subs := f.And
		if f.Or != nil {
			subs = f.Or
		}
		if len(subs) == 0 {
			return invalidf("where: $and and $or need at least one filter")
		}
		for _, s := range subs {
			if err := p.validate(s, depth+1); err != nil {
				return err
			}
		}
		return nil
	case kinds == 0:
		return nil
	}
	if err := ValidField(f.Field); err != nil {
		return err
	}
	if !ops[f.Op] {
		return invalidf("where: unknown operator %q on field %q", f.Op, f.Field)
	}
	c := f
	return p.check(&c)
}

// Normalized returns a valid f with its values in canonical form (every
// number a float64), as the stores compare them.
func (f Filter) Normalized() Filter {
	switch {
	case f.And != nil || f.Or != nil:
		out := Filter{}
		for _, s := range f.And {
			out.And = append(out.And, s.Normalized())
		}
		for _, s := range f.Or {
			out.Or = append(out.Or, s.Normalized())
		}
		return out
	case f.Field == "":
		return f
	}
	p := filterParser{}
	_ = p.check(&f)
	return f
}

// Match reports whether doc passes f. It is the reference semantics, which
// both SQL stores implement and the conformance suite checks them against,
// and what an embedding host's own collections can use:
//
//   - A field is a dotted path into nested objects; a path through
//     anything but an object finds nothing ("missing").
//   - $eq null matches a missing field or null. $eq with a boolean, number
//     or string matches a field of that same type and value: numbers
//     compare numerically (1 equals 1.0), strings exactly; true never
//     equals 1 and "1" never equals 1.
//   - $ne matches exactly where $eq does not, missing fields included.
//   - $gt, $gte, $lt, $lte take a number or a string and match only fields
//     of that type: numbers numerically, strings by their UTF-8 bytes
//     (Unicode code point order; case-sensitive, no locale).
//   - $in matches where $eq matches one of its values; an empty list
//     matches nothing.
//   - $contains matches a string field containing the value as a substring
//     (case-sensitive; the value must be a string), or an array field with
//     an element $eq to the value (null matching a null element only).
func (f Filter) Match(doc map[string]any) bool {
	switch {
	case f.And != nil:
		for _, s := range f.And {
			if !s.Match(doc) {
				return false
			}
		}
		return true
	case f.Or != nil:
		for _, s := range f.Or {
			if s.Match(doc) {
				return true
			}
		}
		return false
	case f.Field == "":
		return true
	}
	v, found := Lookup(doc, f.Field)
	switch f.Op {
	case OpEq:
		return equal(v, found, f.Value)
	case OpNe:
		return !equal(v, found, f.Value)
	case OpGt, OpGte, OpLt, OpLte:
		c, ok := compareSame(v, f.Value)
		if !ok {
			return false
		}
		switch f.Op {
		case OpGt:
			return c > 0
		case OpGte:
			return c >= 0
		case OpLt:
			return c < 0
		default:
			return c <= 0
		}
	case OpIn:
		list, _ := f.Value.([]any)
		for _, want := range list {
			if equal(v, found, want) {
				return true
			}
		}
		return false
	case OpContains:
		switch x := v.(type) {
		case string:
			sub, ok := f.Value.(string)
			return ok && strings.Contains(x, sub)
		case []any:
			for _, e := range x {
				if equal(e, true, f.Value) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// Lookup returns the value at a dotted path in doc, and whether it exists.
func Lookup(doc map[string]any, field string) (any, bool) {
	var cur any = doc
	for part := range strings.SplitSeq(field, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// equal is $eq: want is a normalized scalar.
func equal(v any, found bool, want any) bool {
	if want == nil {
		return !found || v == nil
	}
	switch w := want.(type) {
	case bool:
		b, ok := v.(bool)
		return ok && b == w
	case string:
		s, ok := v.(string)
		return ok && s == w
	case float64:
		n, ok := number(v)
		return ok && n == w
	}
	return false
}

// compareSame compares v with a number or string want, if v has its type.
func compareSame(v, want any) (int, bool) {
	switch w := want.(type) {
	case float64:
		n, ok := number(v)
		if !ok {
			return 0, false
		}
		return cmpFloat(n, w), true
	case string:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(s, w), true
	}
	return 0, false
}

// number returns v as a float64 if it is a number of any Go type.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		n, err := x.Float64()
		return n, err == nil
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareDocs orders two documents by orders, the way DocQuery's OrderBy
// does, returning -1, 0 or +1. Ascending order puts a missing or null field
// first, then booleans (false before true), numbers (numerically), strings
// (by UTF-8 bytes), and last arrays and objects (equal to each other);
// descending order reverses that. Documents it calls equal keep their
// insertion order.
func CompareDocs(a, b map[string]any, orders []Order) int {
	for _, o := range orders {
		va, _ := Lookup(a, o.Field)
		vb, _ := Lookup(b, o.Field)
		c := compareAny(va, vb)
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// rank is a value's place in the cross-type order.
func rank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case string:
		return 3
	case []any, map[string]any:
		return 4
	}
	if _, ok := number(v); ok {
		return 2
	}
	return 4
}

func compareAny(a, b any) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch ra {
	case 1:
		x, y := a.(bool), b.(bool)
		return cmpInt(boolInt(x), boolInt(y))
	case 2:
		x, _ := number(a)
		y, _ := number(b)
		return cmpFloat(x, y)
	case 3:
		return strings.Compare(a.(string), b.(string))
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Validate checks a query's fields, filter, limit and offset.
func (q DocQuery) Validate() error {
	if err := q.Where.Validate(); err != nil {
		return err
	}
	if len(q.OrderBy) > 16 {
		return invalidf("orderBy: at most 16 fields, got %d", len(q.OrderBy))
	}
	for _, o := range q.OrderBy {
		if err := ValidField(o.Field); err != nil {
			return err
		}
	}
	if q.Limit < 0 {
		return invalidf("limit must be positive (or 0 for the default of %d), got %d", DefaultDocLimit, q.Limit)
	}
	if q.Offset < 0 {
		return invalidf("offset must be 0 or more, got %d", q.Offset)
	}
	return nil
}

// ValidDocID returns INVALID_ARGUMENT unless id can name a document: a
// non-empty string of at most MaxDocIDBytes bytes of valid UTF-8 without
// NUL or other control characters.
func ValidDocID(id string) error {
	if id == "" || len(id) > MaxDocIDBytes || !utf8.ValidString(id) || strings.IndexFunc(id, isControl) >= 0 {
		return kiln.Errorf(kiln.EInvalidArgument,
			"document id %q is not valid: use a non-empty string of at most %d bytes without control characters", clip(id), MaxDocIDBytes)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// EncodeDoc returns data as JSON, refusing with INVALID_ARGUMENT what
// cannot be stored alike in SQLite and PostgreSQL (NUL characters, values
// JSON has no form for) and with PAYLOAD_TOO_LARGE a document over
// maxBytes (0 means DefaultMaxDocBytes).
func EncodeDoc(data map[string]any, maxBytes int) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDocBytes
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, kiln.Errorf(kiln.EInvalidArgument, "the document cannot be stored as JSON: %v", err)
	}
	if len(b) > maxBytes {
		return nil, kiln.Errorf(kiln.ETooLarge, "the document is %d bytes of JSON, more than the %d-byte limit; store large data in several documents", len(b), maxBytes)
	}
	if HasNUL(b) {
		return nil, kiln.Errorf(kiln.EInvalidArgument, "the document contains the NUL character (\\u0000), which documents cannot hold")
	}
	return b, nil
}

// HasNUL reports whether JSON text holds the escape of U+0000 anywhere:
// PostgreSQL's JSONB cannot store it, so both stores refuse it rather
// than keep different data.
func HasNUL(js []byte) bool {
	s := string(js)
	for {
		i := strings.Index(s, `\u0000`)
		if i < 0 {
			return false
		}
		// The escape counts only if an even number of backslashes
		// precedes it ("\\u0000" is a backslash and the text u0000).
		n := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		s = s[i+1:]
	}
}

func invalidf(format string, args ...any) error {
	return kiln.Errorf(kiln.EInvalidArgument, format, args...)
}

// describe names a JSON-like value's kind for messages.
func describe(v any) string {
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

// clip shortens a name quoted in an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 80
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
