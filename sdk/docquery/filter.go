package docquery

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

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
				return Filter{}, invalidf("where: %s takes a non-empty array of where objects, not %s", key, Describe(value))
			}
			subs := make([]Filter, 0, len(list))
			for i, item := range list {
				obj, ok := item.(map[string]any)
				if !ok {
					return Filter{}, invalidf("where: %s[%d] must be a where object, not %s", key, i, Describe(item))
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
			return Filter{}, invalidf("where: unknown operator %q at the top level: use a field name, $and or $or", Clip(key))
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
			return nil, invalidf("where: unknown operator %q on field %q: use $eq, $ne, $gt, $gte, $lt, $lte, $in or $contains", Clip(op), name)
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
			return invalidf("where: $in on field %q takes an array of values, not %s", f.Field, Describe(f.Value))
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
				return invalidf("where: %s on field %q compares numbers or strings, not %s", f.Op, f.Field, Describe(f.Value))
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

// Compare orders two documents by orders, the way a Query's OrderBy
// does, returning -1, 0 or +1. Ascending order puts a missing or null field
// first, then booleans (false before true), numbers (numerically), strings
// (by UTF-8 bytes), and last arrays and objects (equal to each other);
// descending order reverses that. Documents it calls equal keep their
// insertion order.
func Compare(a, b map[string]any, orders []Order) int {
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
