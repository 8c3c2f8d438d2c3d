package engine

import (
	"reflect"

	"github.com/kiln-run/kiln/internal/goja/ast"
)

// The transform keeps names (esbuild's KeepNames). esbuild renames every
// binding that would shadow another one, so `var g = function g() {}`
// comes out as `var g = function g2() {}`, and a function's or class's
// name would be the new one; to keep the name it was written with, esbuild
// wraps every function expression in a call of its helper, __name(function
// g2() {}, "g"), follows every function declaration with __name(f, "f")
// and gives every class a first static block, static { __name(this, "C") }.
//
// Most of them change nothing: the name was not renamed. Those are taken
// back out of the parsed program before goja compiles it, for two reasons
// beyond the cost of the calls: a static block runs after a class's static
// methods are defined, so it overwrote a static method whose computed key
// is "name"; and goja panics when a class whose static block calls a
// function of an outer scope assigns to its own name (a TypeError in the
// script becomes INTERNAL). What remains is the blocks and calls of names
// that were renamed.

// nameHelper is the helper's name in esbuild's output.
const nameHelper = "__name"

// declaresNameHelper reports whether the program (a transformed file: a
// function expression whose body is the file's code) declares the helper,
// `var __name = (target, value) => …`, at its top level. Only then are
// calls of __name the transform's.
func declaresNameHelper(prg *ast.Program) bool {
	if len(prg.Body) == 0 {
		return false
	}
	st, ok := prg.Body[0].(*ast.ExpressionStatement)
	if !ok {
		return false
	}
	fn, ok := st.Expression.(*ast.FunctionLiteral)
	if !ok || fn.Body == nil {
		return false
	}
	for _, s := range fn.Body.List {
		vs, ok := s.(*ast.VariableStatement)
		if !ok {
			continue
		}
		for _, b := range vs.List {
			if id, ok := b.Target.(*ast.Identifier); ok && id.Name == nameHelper {
				_, isArrow := b.Initializer.(*ast.ArrowFunctionLiteral)
				return isArrow
			}
		}
	}
	return false
}

// nameCall returns the target and the name of a call `__name(target,
// "name")`, or nil.
func nameCall(e ast.Expression) (ast.Expression, string) {
	call, ok := e.(*ast.CallExpression)
	if !ok || len(call.ArgumentList) != 2 {
		return nil, ""
	}
	if id, ok := call.Callee.(*ast.Identifier); !ok || id.Name != nameHelper {
		return nil, ""
	}
	lit, ok := call.ArgumentList[1].(*ast.StringLiteral)
	if !ok {
		return nil, ""
	}
	return call.ArgumentList[0], lit.Value.String()
}

// unneededName returns what a __name call held in v (an interface value
// holding an expression) can be replaced by, when it names something
// already called that: the function or class expression itself, or the
// function declaration's name (a statement that does nothing). It returns
// nil for anything else.
func unneededName(v reflect.Value) ast.Expression {
	e, ok := v.Interface().(ast.Expression)
	if !ok {
		return nil
	}
	target, name := nameCall(e)
	switch t := target.(type) {
	case *ast.FunctionLiteral:
		if t.Name != nil && t.Name.Name.String() == name {
			return t
		}
	case *ast.ClassLiteral:
		if t.Name != nil && t.Name.Name.String() == name {
			return t
		}
	case *ast.Identifier:
		if t.Name.String() == name {
			return t
		}
	}
	return nil
}

// dropNameBlock removes a class's `static { __name(this, "C") }` when the
// class is called C already.
func dropNameBlock(c *ast.ClassLiteral) {
	if c.Name == nil {
		return
	}
	for i, el := range c.Body {
		block, ok := el.(*ast.ClassStaticBlock)
		if !ok || block.Block == nil || len(block.Block.List) != 1 {
			continue
		}
		st, ok := block.Block.List[0].(*ast.ExpressionStatement)
		if !ok {
			continue
		}
		target, name := nameCall(st.Expression)
		if _, isThis := target.(*ast.ThisExpression); isThis && name == c.Name.Name.String() {
			c.Body = append(c.Body[:i], c.Body[i+1:]...)
			return
		}
	}
}
