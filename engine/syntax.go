package engine

import (
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
)

// has reports whether the program may use f. An unknown program may use
// everything.
func (s syntaxFeatures) has(f syntaxFeatures) bool { return s&syntaxKnown == 0 || s&f != 0 }

var (
	callExpressionType  = reflect.TypeFor[ast.CallExpression]()
	withStatementType   = reflect.TypeFor[ast.WithStatement]()
	functionLiteralType = reflect.TypeFor[ast.FunctionLiteral]()
	arrowLiteralType    = reflect.TypeFor[ast.ArrowFunctionLiteral]()
	regExpLiteralType   = reflect.TypeFor[ast.RegExpLiteral]()
)

// prepareProgram readies a parsed program for compiling: it walks the
// tree, reports the program's syntax features and rewrites direct evals. It
// looks at every node of the tree (by reflection, as goja's ast package has
// no walker), so it cannot miss a function nested anywhere: in a class body,
// a default parameter, a computed key or a template literal.
//
// It also makes every direct eval an indirect one: `eval(s)` becomes
// `(0, eval)(s)`. No eval can run in a Kiln script (eval is the sandbox's
// refusal), but goja compiles a direct eval's scope apart from the others,
// and in a function's scope (every module's) it then mishandles some
// (a derived class's field initializer, a constructor reading the
// module's variables) and panics, an INTERNAL error instead of the
// SANDBOX_VIOLATION. The indirect call reaches the same refusal, or the same
// function if the script declared its own eval. A call inside a with
// statement's body is left as it is: there eval may be a property of the
// with object, called with that object as this.
func prepareProgram(prg *ast.Program) syntaxFeatures {
	f := syntaxKnown
	seen := map[uintptr]bool{}
	inWith := 0
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
			case callExpressionType:
				if call := v.Interface().(*ast.CallExpression); inWith == 0 {
					if id, ok := call.Callee.(*ast.Identifier); ok && id.Name == "eval" {
						call.Callee = &ast.SequenceExpression{Sequence: []ast.Expression{
							&ast.NumberLiteral{Idx: id.Idx, Literal: "0", Value: int64(0)}, id,
						}}
					}
				}
			case withStatementType:
				with := v.Interface().(*ast.WithStatement)
				walk(reflect.ValueOf(with.Object))
				inWith++
				walk(reflect.ValueOf(with.Body))
				inWith--
				return
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
