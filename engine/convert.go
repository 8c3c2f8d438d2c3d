package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// parseInput turns the invocation's JSON input into a JS value with the
// engine's captured JSON.parse (a script cannot intercept it).
func (vm *VM) parseInput(input json.RawMessage) (goja.Value, error) {
	if len(input) == 0 {
		return goja.Null(), nil
	}
	v, err := decodeJSON(vm.rt, input)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, errInputMemory):
		return nil, vm.inputMemoryError()
	}
	v, err = vm.parse(vm.jsonObj, vm.rt.ToValue(string(input)))
	if err != nil {
		return nil, Errorf(CodeInvalidArgument, "the input is not valid JSON")
	}
	return v, nil
}

// inputMemoryError is the MEMORY_LIMIT of an input that does not fit.
func (vm *VM) inputMemoryError() *Error {
	return Errorf(CodeMemoryLimit, "the input, as JavaScript values, does not fit in the script's memory limit of %s; send less data or raise limits.memoryBytes", formatBytes(vm.rt.MemoryLimit()))
}

// metaMaker makes ctx objects for one VM. A VM serves one script, so the
// tenant, script, version and trigger repeat from one invocation to the
// next: their JS values are kept, and only what changed is converted.
type metaMaker struct {
	last  Meta // what args hold
	args  [6]goja.Value
	ready bool // args hold last's values
}

// metaKeys are ctx's keys, in order.
var metaKeys = [6]string{"tenantId", "scriptId", "version", "executionId", "trigger", "attempt"}

// metaObject builds the script's ctx argument, a plain object with
// metaKeys, defined as an object literal defines them (no setter a script
// put on Object.prototype is called), from Go with goja's patch 7 (no
// call into JavaScript, no try frame, no key list regrown). It fails only
// if the VM is interrupted.
func (vm *VM) metaObject(m Meta) (goja.Value, error) {
	rt, c := vm.rt, &vm.meta
	m.Attempt = max(m.Attempt, 1)
	a := &c.args
	if !c.ready || m.TenantID != c.last.TenantID {
		a[0] = goja.NewStringValue(m.TenantID)
	}
	if !c.ready || m.ScriptID != c.last.ScriptID {
		a[1] = goja.NewStringValue(m.ScriptID)
	}
	if !c.ready || m.Version != c.last.Version {
		a[2] = rt.ToValue(m.Version)
	}
	if !c.ready || m.ExecutionID != c.last.ExecutionID {
		a[3] = goja.NewStringValue(m.ExecutionID)
	}
	if !c.ready || m.Trigger != c.last.Trigger {
		a[4] = goja.NewStringValue(string(m.Trigger))
	}
	if !c.ready || m.Attempt != c.last.Attempt {
		a[5] = rt.ToValue(m.Attempt)
	}
	c.last, c.ready = m, true
	obj := rt.NewObjectSized(len(metaKeys))
	for i, k := range metaKeys {
		if err := obj.CreateDataProperty(k, a[i]); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// plainBufKeep is the largest buffer stringify keeps for the VM's next
// result: enough for the usual small result, little for an idle VM.
const plainBufKeep = 512

// plainKeysKeep is the longest list of keys stringify keeps for the VM's
// next result.
const plainKeysKeep = 64

// stringifyResult serializes a handler's result with the captured
// JSON.stringify (small plain values with appendPlain). undefined (no
// return value) becomes null. A result whose JSON is surely longer than
// outputCap bytes (its measured lower bound is) is refused with
// OUTPUT_TOO_LARGE before any of it is written.
func (vm *VM) stringifyResult(v goja.Value, outputCap int64) ([]byte, error) {
	if v == nil || goja.IsUndefined(v) {
		return []byte("null"), nil
	}
	var out []byte
	var plain bool
	var checkErr error
	var least int64
	// Measuring and the plain walk read properties, so a getter may
	// throw: that is the script's error, as it is inside JSON.stringify.
	ex := vm.rt.Try(func() {
		var keys []string
		out, keys, plain = appendPlainKeys(vm.plainBuf[:0], vm.plainKeys[:0], vm.plain, v)
		if cap(keys) <= plainKeysKeep {
			clear(keys[:cap(keys)]) // hold no script's strings between runs
			vm.plainKeys = keys
		}
		if !plain {
			shape := vm.measureJSON(v)
			if shape.depth <= maxJSONNesting && shape.bytes > outputCap {
				least = shape.bytes
				return
			}
			_, checkErr = vm.checkShape(shape, 0)
		}
	})
	if least > 0 {
		return nil, Errorf(CodeOutputTooLarge, "the result is at least %s of JSON, more than the %s output limit; return less data or store it with iota.db", formatBytes(least), formatBytes(outputCap))
	}
	if cap(out) <= plainBufKeep {
		vm.plainBuf = out
	}
	if ex != nil {
		return nil, ex
	}
	if plain {
		return bytes.Clone(out), nil
	}
	if checkErr != nil {
		return nil, Errorf(CodeRuntimeError, "the result cannot be sent as JSON: %v", checkErr)
	}
	res, err := vm.jsonCall(vm.jsonObj, v)
	if err != nil {
		return nil, err
	}
	if goja.IsUndefined(res) {
		// A function or symbol: JSON has no form for it.
		return []byte("null"), nil
	}
	return []byte(res.String()), nil
}

// isString reports whether v is a string primitive, without Export (which
// copies an object, and a sparse array to its full length).
func isString(v goja.Value) bool {
	if _, isObj := v.(*goja.Object); isObj || v == nil {
		return false
	}
	return v.ExportType() == reflect.TypeFor[string]()
}

// fromJS converts a script's argument into a JSON-like Go value: nil, bool,
// float64, string, []any, map[string]any. Functions, symbols and cycles are
// refused with INVALID_ARGUMENT, so no JS object leaks into Go code. Every
// value converted spends b.
func fromJS(v goja.Value, b *argBudget) (any, *Error) {
	return fromJSDepth(v, 0, b)
}

// argBudget is what converting a host call's arguments may allocate: the
// invocation's remaining memory. Converting copies every value reached,
// shared references once per path (41 nested arrays each holding the next
// twice are 2^40 values), in Go, where no timeout reaches; so each value is
// paid for before it is made, and running out ends the invocation with
// MEMORY_LIMIT.
type argBudget struct {
	vm          *VM
	what        string
	left, spent float64
	measured    bool // left is the invocation's remaining memory, not yet read
}

// goValueBytes is a lower bound of one converted value: an interface, and
// the slice slot or map entry holding it.
const goValueBytes = 3 * valueBytes

// spend takes n bytes from b.
func (b *argBudget) spend(n float64) *Error {
	b.spent += n
	if b.left -= n; b.left >= 0 {
		return nil
	}
	if !b.measured {
		// Small arguments never read the heap: the budget starts at
		// smallAllocation and is read once that is spent.
		b.measured = true
		if b.left = b.vm.budget() - b.spent; b.left >= 0 {
			return nil
		}
	}
	b.vm.charge(int64(b.spent), b.what+"'s arguments")
	return Errorf(CodeMemoryLimit, "%s's arguments would not fit in the script's memory limit", b.what)
}

const maxArgDepth = 64

// maxArgElements caps one array in a host call's arguments.
const maxArgElements = 1 << 20

func fromJSDepth(v goja.Value, depth int, b *argBudget) (any, *Error) {
	if depth > maxArgDepth {
		return nil, Errorf(CodeInvalidArgument, "the argument is nested more than %d levels deep", maxArgDepth)
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	obj, ok := v.(*goja.Object)
	if !ok || obj.ClassName() == "Date" {
		// Primitives and dates only: Export copies any other object (a
		// sparse array to its full length) before the checks below.
		if s, ok := v.(goja.String); ok {
			// Export shares an ASCII string's bytes and converts any other
			// to UTF-8, up to 3 bytes a character.
			n := float64(goValueBytes)
			if !isASCII(s) {
				n += 3 * float64(s.Length())
			}
			if err := b.spend(n); err != nil {
				return nil, err
			}
		}
		switch x := v.Export().(type) {
		case bool, string:
			return x, nil
		case int64:
			return float64(x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil // as JSON.stringify does
			}
			return x, nil
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		}
		return nil, Errorf(CodeInvalidArgument, "a %s cannot be passed to a host call", typeName(v))
	}
	if _, isFn := goja.AssertFunction(v); isFn {
		return nil, Errorf(CodeInvalidArgument, "a function cannot be passed to a host call")
	}
	if obj.ClassName() == "Array" {
		n := obj.Get("length").ToInteger()
		if n > maxArgElements {
			// Converting runs in Go, past the script's timeout; a hole
			// costs as much as a value.
			return nil, Errorf(CodeInvalidArgument, "an array of %d elements cannot be passed to a host call (at most %d); pass less data per call", n, maxArgElements)
		}
		if err := b.spend(float64(n+1) * goValueBytes); err != nil {
			return nil, err
		}
		out := make([]any, n)
		for i := range n {
			e, err := fromJSDepth(obj.Get(fmt.Sprint(i)), depth+1, b)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	// A typed array's or String object's keys exist only when listed.
	if err := b.spend((b.vm.indexKeys(obj, false) + 1) * goValueBytes); err != nil {
		return nil, err
	}
	out := make(map[string]any)
	for _, k := range obj.Keys() {
		if err := b.spend(goValueBytes); err != nil {
			return nil, err
		}
		val := obj.Get(k)
		if _, isFn := goja.AssertFunction(val); isFn {
			continue // methods are not data, as in JSON
		}
		e, err := fromJSDepth(val, depth+1, b)
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}

func typeName(v goja.Value) string {
	if v.ExportType() == nil {
		return "value"
	}
	return strings.ToLower(v.ExportType().Kind().String())
}

// toJS converts a host function's JSON-like result into plain JS values, never
// wrapped Go objects.
func toJS(rt *goja.Runtime, v any) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case goja.Value:
		return x
	case json.RawMessage:
		var decoded any
		if err := json.Unmarshal(x, &decoded); err != nil {
			return goja.Null()
		}
		return toJS(rt, decoded)
	case bool, string, int, int32, int64, uint32, float32, float64:
		return rt.ToValue(x)
	case []byte:
		return rt.ToValue(rt.NewArrayBuffer(append([]byte(nil), x...)))
	case time.Time:
		return rt.ToValue(x.UTC().Format(time.RFC3339Nano))
	case []any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = toJS(rt, e)
		}
		return rt.NewArray(items...)
	case []string:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = e
		}
		return rt.NewArray(items...)
	case []map[string]any:
		items := make([]any, len(x))
		for i, e := range x {
			items[i] = toJS(rt, e)
		}
		return rt.NewArray(items...)
	case map[string]any:
		o := rt.NewObject()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic key order, for replay
		for _, k := range keys {
			_ = o.Set(k, toJS(rt, x[k]))
		}
		return o
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return toJS(rt, m)
	}
	// Anything else goes through JSON so no Go methods reach the script.
	b, err := json.Marshal(v)
	if err != nil {
		return goja.Null()
	}
	return toJS(rt, json.RawMessage(b))
}
