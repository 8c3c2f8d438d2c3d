package engine

import (
	"math/big"
	"reflect"

	"github.com/kiln-run/kiln/internal/goja/ast"
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
	callExpressionType  = reflect.TypeFor[ast.CallExpression]()
	withStatementType   = reflect.TypeFor[ast.WithStatement]()
	identifierType      = reflect.TypeFor[ast.Identifier]()
	classLiteralType    = reflect.TypeFor[ast.ClassLiteral]()
	functionLiteralType = reflect.TypeFor[ast.FunctionLiteral]()
	arrowLiteralType    = reflect.TypeFor[ast.ArrowFunctionLiteral]()
	regExpLiteralType   = reflect.TypeFor[ast.RegExpLiteral]()
	numberLiteralType   = reflect.TypeFor[ast.NumberLiteral]()
)

// prepareProgram readies a parsed program for compiling: it walks the
// tree, reports the program's syntax features and works around two goja
// faults. It looks at every node of the tree (by reflection, as goja's ast
// package has no walker), so it cannot miss a function nested anywhere: in
// a class body, a default parameter, a computed key or a template literal.
//
// It makes every direct eval an indirect one: `eval(s)` becomes
// `(0, eval)(s)`. No eval can run in a Kiln script (eval is the sandbox's
// refusal), but goja compiles a direct eval's scope apart from the others,
// and in a function's scope (every module's) it then mishandles some
// (a derived class's field initializer, a constructor reading the
// module's variables) and panics, an INTERNAL error instead of the
// SANDBOX_VIOLATION. The indirect call reaches the same refusal, or the same
// function if the script declared its own eval. A call inside a with
// statement's body is left as it is: there eval may be a property of the
// with object, called with that object as this.
//
// And it makes `arguments` work in arrow functions. goja gives an arrow
// function that reads its enclosing function's arguments a slot of that
// function's stack instead of a captured binding, unless the function
// itself read arguments first: the arrow then reads whatever the stack
// holds when it runs (undefined, another call's values) or goja panics.
// So a function whose body holds such an arrow gets `arguments;` as its
// first statement (after its directives): evaluating it has no effect but
// to make goja capture the binding. (An arrow in a default parameter value
// is not covered: parameters are compiled before the body.)
//
// Last, it takes back the name-keeping calls the transform added where
// they change nothing (names.go).
func prepareProgram(prg *ast.Program) syntaxFeatures {
	w := &astWalker{features: syntaxKnown, fields: map[reflect.Type][]int{}, keepsNames: declaresNameHelper(prg)}
	w.walk(reflect.ValueOf(prg))
	return w.features
}

// astWalker is prepareProgram's walk.
type astWalker struct {
	features syntaxFeatures
	// fields holds, per struct type, the indexes of the fields that can
	// hold nodes (see nodeFields).
	fields map[reflect.Type][]int
	inWith int // how many with bodies enclose the node
	// inArrow is how many arrow functions enclose the node within the
	// nearest other function; argsInArrow is set when one of them reads
	// arguments.
	inArrow     int
	argsInArrow bool
	// keepsNames is set when the program declares the transform's
	// name-keeping helper (names.go).
	keepsNames bool
}

func (w *astWalker) walk(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		switch v.Type().Elem() {
		case callExpressionType:
			if call := v.Interface().(*ast.CallExpression); w.inWith == 0 {
				if id, ok := call.Callee.(*ast.Identifier); ok && id.Name == "eval" {
					call.Callee = &ast.SequenceExpression{Sequence: []ast.Expression{
						&ast.NumberLiteral{Idx: id.Idx, Literal: "0", Value: int64(0)}, id,
					}}
				}
			}
		case withStatementType:
			with := v.Interface().(*ast.WithStatement)
			w.walk(reflect.ValueOf(with.Object))
			w.inWith++
			w.walk(reflect.ValueOf(with.Body))
			w.inWith--
			return
		case identifierType:
			if w.inArrow > 0 && v.Interface().(*ast.Identifier).Name == "arguments" {
				w.argsInArrow = true
			}
		case functionLiteralType:
			fn := v.Interface().(*ast.FunctionLiteral)
			if fn.Async {
				w.features |= syntaxAsync
			}
			if fn.Generator {
				w.features |= syntaxGenerator
			}
			inArrow, argsInArrow := w.inArrow, w.argsInArrow
			w.inArrow, w.argsInArrow = 0, false
			w.walk(v.Elem())
			if w.argsInArrow && fn.Body != nil {
				readArgumentsFirst(fn.Body)
			}
			w.inArrow, w.argsInArrow = inArrow, argsInArrow
			return
		case arrowLiteralType:
			if v.Interface().(*ast.ArrowFunctionLiteral).Async {
				w.features |= syntaxAsync
			}
			w.inArrow++
			w.walk(v.Elem())
			w.inArrow--
			return
		case regExpLiteralType:
			w.features |= syntaxRegExp
		case numberLiteralType:
			if _, ok := v.Interface().(*ast.NumberLiteral).Value.(*big.Int); ok {
				w.features |= syntaxBigInt
			}
		case classLiteralType:
			if w.keepsNames {
				dropNameBlock(v.Interface().(*ast.ClassLiteral))
			}
		}
		w.walk(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		if w.keepsNames && v.CanSet() {
			if named := unneededName(v.Elem()); named != nil {
				v.Set(reflect.ValueOf(named))
			}
		}
		w.walk(v.Elem())
	case reflect.Struct:
		fields, ok := w.fields[v.Type()]
		if !ok {
			fields = nodeFields(v.Type())
			w.fields[v.Type()] = fields
		}
		for _, i := range fields {
			w.walk(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if !mayHoldNodes(v.Type().Elem()) {
			return
		}
		for i := 0; i < v.Len(); i++ {
			w.walk(v.Index(i))
		}
	}
}

// nodeFields returns the indexes of the fields of struct type t that can
// hold nodes: exported, and not DeclarationList, whose declarations are
// the body's own nodes again (walking them twice would rewrite twice).
func nodeFields(t reflect.Type) []int {
	var fields []int
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && f.Name != "DeclarationList" && mayHoldNodes(f.Type) {
			fields = append(fields, i)
		}
	}
	return fields
}

// mayHoldNodes reports whether a value of type t can hold an AST node:
// strings, positions and flags cannot.
func mayHoldNodes(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Struct:
		return true
	case reflect.Slice, reflect.Array:
		return mayHoldNodes(t.Elem())
	}
	return false
}

// readArgumentsFirst makes `arguments;` the first statement of body after
// its directive prologue ("use strict" and the like).
func readArgumentsFirst(body *ast.BlockStatement) {
	i := 0
	for i < len(body.List) {
		st, ok := body.List[i].(*ast.ExpressionStatement)
		if !ok {
			break
		}
		if _, ok := st.Expression.(*ast.StringLiteral); !ok {
			break
		}
		i++
	}
	read := &ast.ExpressionStatement{Expression: &ast.Identifier{Name: "arguments", Idx: body.LeftBrace}}
	body.List = append(body.List[:i], append([]ast.Statement{read}, body.List[i:]...)...)
}
