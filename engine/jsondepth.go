package engine

import (
	"github.com/dop251/goja"
)

// maxJSONNesting is how deep a value JSON.stringify accepts. goja's
// stringify checks for cycles by scanning the whole path at every level,
// so its cost grows with the square of the depth — 150,000 levels took
// minutes in one uninterruptible native call. Real JSON is never this deep.
const maxJSONNesting = 1000

// jsonShape is what stringify will face: the deepest nesting and how many
// values it will write once shared references are expanded (a lattice of 40
// levels of shared objects writes 2^40 values from a few dozen objects).
type jsonShape struct {
	depth  int
	values int64
}

// measureJSON walks v's plain objects and arrays once each (no Go
// recursion), computing the depth and expanded value count stringify will
// see. It stops early once the depth passes maxJSONNesting. Cycles are left
// for stringify itself to reject.
func measureJSON(v goja.Value) jsonShape {
	root, ok := v.(*goja.Object)
	if !ok {
		return jsonShape{depth: 0, values: 1}
	}
	budget := smallJSONNodes
	if shape, ok := measureSmall(root, &budget); ok {
		return shape
	}
	return measureLarge(root)
}

// smallJSONNodes is how many objects measureSmall visits before it leaves
// a value to measureLarge.
const smallJSONNodes = 32

// measureSmall is measureJSON for a small tree of objects, the usual
// result of a handler: plain recursion, without the bookkeeping that keeps
// measureLarge linear on shared references and safe on cycles (a request's
// result was measured with two maps and a frame per object). It gives up
// (ok false) after budget objects, which also ends a cycle.
func measureSmall(o *goja.Object, budget *int) (shape jsonShape, ok bool) {
	if *budget--; *budget < 0 {
		return jsonShape{}, false
	}
	shape = jsonShape{depth: 1, values: 1}
	children := false
	if cls := o.ClassName(); cls == "Object" || cls == "Array" {
		keys := o.Keys()
		for _, k := range keys {
			child, isObj := o.Get(k).(*goja.Object)
			if !isObj {
				continue
			}
			children = true
			cs, ok := measureSmall(child, budget)
			if !ok {
				return jsonShape{}, false
			}
			shape.depth = max(shape.depth, cs.depth+1)
			shape.values = min(shape.values+cs.values, 1<<40)
		}
		if !children {
			shape.values += int64(len(keys))
		}
	} else {
		shape.values += int64(len(o.Keys()))
	}
	if o.ClassName() == "Array" {
		shape.values += min(o.Get("length").ToInteger(), 1<<40)
	}
	return shape, true
}

// measureLarge is measureJSON for any object graph.
func measureLarge(root *goja.Object) jsonShape {
	type frame struct {
		obj      *goja.Object
		depth    int
		children []*goja.Object
		expanded bool
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
			if cls := f.obj.ClassName(); cls == "Object" || cls == "Array" {
				for _, k := range f.obj.Keys() {
					if child, ok := f.obj.Get(k).(*goja.Object); ok {
						f.children = append(f.children, child)
					}
				}
			}
			for _, c := range f.children {
				stack = append(stack, &frame{obj: c, depth: f.depth + 1})
			}
			continue
		}
		stack = stack[:len(stack)-1]
		shape := jsonShape{depth: 1, values: 1}
		for _, c := range f.children {
			cs := memo[c] // a cycle's back edge has no memo yet: counts as 0
			shape.depth = max(shape.depth, cs.depth+1)
			shape.values += cs.values
			if shape.values > 1<<40 {
				shape.values = 1 << 40
			}
		}
		if len(f.children) == 0 {
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
