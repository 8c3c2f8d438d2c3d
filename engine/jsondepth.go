package engine

import (
	"github.com/kiln-run/kiln/internal/goja"
)

// maxJSONNesting is how deep a value JSON.stringify accepts. goja's
// stringify checks for cycles by scanning the whole path at every level,
// so its cost grows with the square of the depth — 150,000 levels took
// minutes in one uninterruptible native call. Real JSON is never this deep.
const maxJSONNesting = 1000

// jsonShape is what stringify will face: the deepest nesting, how many
// values it will write once shared references are expanded (a lattice of 40
// levels of shared objects writes 2^40 values from a few dozen objects),
// and a lower bound of the bytes of its strings and keys, each written
// whole every time it is reached (an array holding one 1 MiB string 2,000
// times writes 2 GiB).
type jsonShape struct {
	depth  int
	values int64
	bytes  int64
}

// maxJSONCount caps the counts, which expanded references can make
// astronomical.
const maxJSONCount = 1 << 40

// add adds c's values and bytes to s.
func (s *jsonShape) add(c jsonShape) {
	s.values = min(s.values+c.values, maxJSONCount)
	s.bytes = min(s.bytes+c.bytes, maxJSONCount)
}

// stringBytes is a lower bound of v's JSON if v is a string: its
// characters and quotes.
func stringBytes(v goja.Value) int64 {
	if s, ok := v.(goja.String); ok {
		return int64(s.Length()) + 2
	}
	return 0
}

// leafShape measures an object stringify does not walk as a plain object
// or array: a typed array's elements (listing its keys would make them; a
// typed array's class is Object), a String object's string, another
// object's own keys.
func (vm *VM) leafShape(o *goja.Object) jsonShape {
	shape := jsonShape{depth: 1, values: 1}
	switch n := vm.indexKeys(o, false); {
	case n > 0 && o.ClassName() == "String":
		shape.bytes = int64(n) + 2
	case n > 0:
		shape.values += int64(n)
		shape.bytes = 4 * int64(n) // "i":v, at least
	default:
		shape.values += int64(len(o.Keys()))
	}
	return shape
}

// measureJSON walks v's plain objects and arrays once each (no Go
// recursion), computing the depth and expanded value count stringify will
// see. It stops early once the depth passes maxJSONNesting. Cycles are left
// for stringify itself to reject.
func (vm *VM) measureJSON(v goja.Value) jsonShape {
	root, ok := v.(*goja.Object)
	if !ok {
		return jsonShape{depth: 0, values: 1, bytes: stringBytes(v)}
	}
	budget := smallJSONNodes
	if shape, ok := vm.measureSmall(root, &budget); ok {
		return shape
	}
	return vm.measureLarge(root)
}

// smallJSONNodes is how many objects measureSmall visits before it leaves
// a value to measureLarge.
const smallJSONNodes = 32

// measureSmall is measureJSON for a small tree of objects, the usual
// result of a handler: plain recursion, without the bookkeeping that keeps
// measureLarge linear on shared references and safe on cycles (a request's
// result was measured with two maps and a frame per object). It gives up
// (ok false) after budget objects, which also ends a cycle.
func (vm *VM) measureSmall(o *goja.Object, budget *int) (shape jsonShape, ok bool) {
	if *budget--; *budget < 0 {
		return jsonShape{}, false
	}
	shape = jsonShape{depth: 1, values: 1}
	children := false
	if cls := o.ClassName(); (cls == "Object" || cls == "Array") && vm.indexKeys(o, false) == 0 {
		keys := o.Keys()
		for _, k := range keys {
			if cls == "Object" {
				shape.bytes += int64(len(k)) + 3
			}
			v := o.Get(k)
			child, isObj := v.(*goja.Object)
			if !isObj {
				shape.bytes += stringBytes(v)
				continue
			}
			children = true
			cs, ok := vm.measureSmall(child, budget)
			if !ok {
				return jsonShape{}, false
			}
			shape.depth = max(shape.depth, cs.depth+1)
			shape.add(cs)
		}
		if !children {
			shape.values += int64(len(keys))
		}
	} else {
		shape = vm.leafShape(o)
	}
	if o.ClassName() == "Array" {
		shape.values += min(o.Get("length").ToInteger(), 1<<40)
	}
	return shape, true
}

// measureLarge is measureJSON for any object graph.
func (vm *VM) measureLarge(root *goja.Object) jsonShape {
	type frame struct {
		obj      *goja.Object
		depth    int
		children []*goja.Object
		expanded bool
		bytes    int64 // its own keys and strings
		leaf     bool  // not walked as a plain object or array
	}
	// memo holds each finished object's shape; inProgress marks the path.
	memo := map[*goja.Object]jsonShape{}
	inProgress := map[*goja.Object]bool{}
	stack := []*frame{{obj: root, depth: 1}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		if f.depth > maxJSONNesting {
			return jsonShape{depth: f.depth}
		}
		if !f.expanded {
			f.expanded = true
			if _, done := memo[f.obj]; done || inProgress[f.obj] {
				stack = stack[:len(stack)-1]
				continue
			}
			inProgress[f.obj] = true
			if cls := f.obj.ClassName(); (cls == "Object" || cls == "Array") && vm.indexKeys(f.obj, false) == 0 {
				for _, k := range f.obj.Keys() {
					if cls == "Object" {
						f.bytes += int64(len(k)) + 3
					}
					v := f.obj.Get(k)
					if child, ok := v.(*goja.Object); ok {
						f.children = append(f.children, child)
					} else {
						f.bytes += stringBytes(v)
					}
				}
			} else {
				f.leaf = true
			}
			for _, c := range f.children {
				stack = append(stack, &frame{obj: c, depth: f.depth + 1})
			}
			continue
		}
		stack = stack[:len(stack)-1]
		shape := jsonShape{depth: 1, values: 1, bytes: f.bytes}
		if f.leaf {
			shape = vm.leafShape(f.obj)
		}
		for _, c := range f.children {
			cs := memo[c] // a cycle's back edge has no memo yet: counts as 0
			shape.depth = max(shape.depth, cs.depth+1)
			shape.add(cs)
		}
		if len(f.children) == 0 && !f.leaf {
			shape.values += int64(len(f.obj.Keys()))
		}
		if f.obj.ClassName() == "Array" {
			// stringify writes every index, holes as null: a sparse
			// array of 2^30 has no keys and a gigabyte of JSON.
			shape.values += min(f.obj.Get("length").ToInteger(), 1<<40)
		}
		delete(inProgress, f.obj)
		memo[f.obj] = shape
		if shape.depth > maxJSONNesting {
			return shape
		}
	}
	return memo[root]
}
