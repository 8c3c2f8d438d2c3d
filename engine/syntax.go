package engine

import (
	"math/big"
	"reflect"

	"github.com/dop251/goja/ast"
)

// syntaxFeatures records which of the language's hidden intrinsics a
// program's own syntax can bring into existence. goja builds
// %AsyncFunction.prototype%, %GeneratorFunction.prototype% and
// %RegExp.prototype% only when something needs them, and no script can reach
// them except through an async function, a generator or a regular
// expression. The sandbox guards each of them (their constructors compile
// code; RegExp's matchers can backtrack past a timeout), so a VM whose
// program cannot make one needn't pay for building and guarding it.
//
// The zero value means "unknown": every guard is installed.
type syntaxFeatures uint8

const (
	syntaxKnown     syntaxFeatures = 1 << iota // the other bits are meaningful
	syntaxAsync                                // an async function, arrow or method
	syntaxGenerator                            // a generator function or method
	syntaxRegExp                               // a regular expression literal
	syntaxBigInt                               // a BigInt literal
)

// has reports whether the program may use f. An unknown program may use
// everything.
func (s syntaxFeatures) has(f syntaxFeatures) bool { return s&syntaxKnown == 0 || s&f != 0 }

var (
	functionLiteralType = reflect.TypeFor[ast.FunctionLiteral]()
	arrowLiteralType    = reflect.TypeFor[ast.ArrowFunctionLiteral]()
	regExpLiteralType   = reflect.TypeFor[ast.RegExpLiteral]()
	numberLiteralType   = reflect.TypeFor[ast.NumberLiteral]()
)

// scanSyntax walks a parsed program and reports its syntax features. It
// looks at every node of the tree (by reflection, as goja's ast package has
// no walker), so it cannot miss a function nested anywhere: in a class body,
// a default parameter, a computed key or a template literal.
func scanSyntax(prg *ast.Program) syntaxFeatures {
	f := syntaxKnown
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return
			}
			if p := v.Pointer(); seen[p] {
				return
			} else {
				seen[p] = true
			}
			switch v.Type().Elem() {
			case functionLiteralType:
				fn := v.Interface().(*ast.FunctionLiteral)
				if fn.Async {
					f |= syntaxAsync
				}
				if fn.Generator {
					f |= syntaxGenerator
				}
			case arrowLiteralType:
				if v.Interface().(*ast.ArrowFunctionLiteral).Async {
					f |= syntaxAsync
				}
			case regExpLiteralType:
				f |= syntaxRegExp
			case numberLiteralType:
				if _, ok := v.Interface().(*ast.NumberLiteral).Value.(*big.Int); ok {
					f |= syntaxBigInt
				}
			}
			walk(v.Elem())
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			if k := v.Type().Elem().Kind(); k != reflect.Pointer && k != reflect.Interface && k != reflect.Struct && k != reflect.Slice {
				return // strings, positions, flags: no nodes inside
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(prg))
	return f
}
