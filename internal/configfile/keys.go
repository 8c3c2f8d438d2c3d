package configfile

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Kind is what a key's value is written as in a config file.
type Kind string

// The kinds of value a config file holds.
const (
	// String is a JSON string.
	String Kind = "string"
	// Bool is true or false.
	Bool Kind = "bool"
	// Int is a whole JSON number (any signed or unsigned Go integer that is
	// not a Size).
	Int Kind = "int"
	// Float is any JSON number.
	Float Kind = "float"
	// Duration is a time.Duration written as a string in
	// time.ParseDuration's syntax: "250ms", "5s", "1h30m".
	Duration Kind = "duration"
	// Size is a byte count, written as a string with a unit ("64MiB",
	// "512KiB", "1GiB"; see ParseSize) or as a whole number of bytes. An
	// integer field is a Size when its Go name ends in "Bytes"
	// (MaxBodyBytes) or its tag says `unit:"bytes"` (a name such as
	// MemoryBudget that reads better without the suffix).
	Size Kind = "size"
	// List is a JSON array of Elem.
	List Kind = "list"
	// Object is a nested struct: a JSON object with its own keys.
	Object Kind = "object"
)

// describe is how an error message names what a value of kind k must be.
func (k Kind) describe() string {
	switch k {
	case String:
		return "a string"
	case Bool:
		return "true or false"
	case Int:
		return "a whole number"
	case Float:
		return "a number"
	case Duration:
		return `a duration such as "250ms", "30s" or "1h"`
	case Size:
		return `a size such as "512KiB", "64MiB" or "1GiB", or a whole number of bytes`
	case List:
		return "a list, [...]"
	case Object:
		return "an object, {...}"
	}
	return string(k)
}

// Key is one setting a config file may hold.
type Key struct {
	// Path is the key as a person writes it, nested keys joined by dots:
	// "pool.maxVMs".
	Path string
	// Index leads from the root struct to the field, for
	// reflect.Value.FieldByIndex.
	Index []int
	// Kind is how the value is written; Elem is the kind of a List's
	// elements.
	Kind, Elem Kind
}

// Keys lists every key a config file may set in a struct of type t, nested
// keys included, in the order the fields are declared. Objects are not
// listed themselves, only the keys inside them.
//
// The rules, which Decode follows too: an exported field is a key named by
// its json tag; a field tagged `json:"-"` is not settable from a file; an
// embedded struct without a tag adds its keys to its parent's. Keys returns
// an error for an exported field with no json tag (every key's name is
// chosen, not derived) and for a field whose type a file cannot express
// (funcs, maps, pointers, interfaces): tag those `json:"-"`.
func Keys(t reflect.Type) ([]Key, error) {
	root, err := schemaOf(t)
	if err != nil {
		return nil, err
	}
	var keys []Key
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			if c.kind == Object {
				walk(c)
				continue
			}
			k := Key{Path: c.path, Index: c.index, Kind: c.kind}
			if c.elem != nil {
				k.Elem = c.elem.kind
			}
			keys = append(keys, k)
		}
	}
	walk(root)
	return keys, nil
}

// node is the schema of one value: a struct's keys, a list's element, or a
// leaf.
type node struct {
	key   string // the JSON key at its level; "" for the root and list elements
	path  string // the full dotted path
	index []int  // from the root struct
	kind  Kind
	elem  *node // a List's elements

	children []*node          // an Object's keys, in declaration order
	byKey    map[string]*node // the same, by key
	hidden   map[string]bool  // lower-cased Go names of the `json:"-"` fields
}

var durationType = reflect.TypeFor[time.Duration]()

// schemaOf builds the schema of struct type t.
func schemaOf(t reflect.Type) (*node, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("configfile: %s is not a struct", t)
	}
	root := &node{kind: Object, byKey: map[string]*node{}, hidden: map[string]bool{}}
	if err := addFields(root, t, nil); err != nil {
		return nil, err
	}
	return root, nil
}

// addFields adds struct type t's fields to object n; index leads from the
// root to t.
func addFields(n *node, t reflect.Type, index []int) error {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fieldIndex := append(append([]int(nil), index...), i)
		tag, hasTag := f.Tag.Lookup("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
			n.hidden[strings.ToLower(f.Name)] = true
			continue
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			if err := addFields(n, f.Type, fieldIndex); err != nil {
				return err
			}
			continue
		case !hasTag || name == "":
			return fmt.Errorf("configfile: %s.%s has no json key name: tag it `json:\"name\"`, or `json:\"-\"` if a file must not set it", t, f.Name)
		}
		if n.byKey[name] != nil {
			return fmt.Errorf("configfile: %s.%s: two fields have the key %q", t, f.Name, name)
		}
		c, err := fieldNode(f, f.Type, join(n.path, name))
		if err != nil {
			return fmt.Errorf("configfile: %s.%s: %w", t, f.Name, err)
		}
		c.key, c.index = name, fieldIndex
		if c.kind == Object {
			if err := addFields(c, f.Type, fieldIndex); err != nil {
				return err
			}
		}
		n.children = append(n.children, c)
		n.byKey[name] = c
	}
	return nil
}

// fieldNode is the schema of field f's value, or of an element of it when
// typ is f's element type.
func fieldNode(f reflect.StructField, typ reflect.Type, path string) (*node, error) {
	unit := f.Tag.Get("unit")
	if unit != "" && unit != "bytes" {
		return nil, fmt.Errorf("unit %q is not one configfile knows: the only unit is \"bytes\"", unit)
	}
	isSize := unit == "bytes" || strings.HasSuffix(f.Name, "Bytes")
	n := &node{path: path}
	switch k := typ.Kind(); {
	case typ == durationType:
		n.kind = Duration
	case isSize && (k >= reflect.Int && k <= reflect.Int64 || k >= reflect.Uint && k <= reflect.Uint64):
		n.kind = Size
	case k == reflect.Slice && typ.Elem().Kind() != reflect.Uint8:
		elem, err := fieldNode(f, typ.Elem(), path)
		if err != nil {
			return nil, err
		}
		if elem.kind == Object || elem.kind == List {
			return nil, fmt.Errorf("lists of %s are not supported", elem.kind)
		}
		n.kind, n.elem = List, elem
		return n, nil
	case isSize && k != reflect.Slice:
		return nil, fmt.Errorf("a byte size (by its name or unit tag) must be an integer, not %s", typ)
	case k == reflect.String:
		n.kind = String
	case k == reflect.Bool:
		n.kind = Bool
	case k >= reflect.Int && k <= reflect.Int64, k >= reflect.Uint && k <= reflect.Uint64:
		n.kind = Int
	case k == reflect.Float32 || k == reflect.Float64:
		n.kind = Float
	case k == reflect.Struct:
		n.kind, n.byKey, n.hidden = Object, map[string]*node{}, map[string]bool{}
	default:
		return nil, fmt.Errorf("a config file cannot hold a %s: tag it `json:\"-\"`", typ)
	}
	return n, nil
}

func join(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}
