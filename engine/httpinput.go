package engine

import (
	"encoding/json"
	"slices"

	"github.com/kiln-run/kiln/internal/goja"
	"github.com/kiln-run/kiln/kilntype"
)

// httpInput builds an HTTP request's input as JS objects directly: the
// value decodeJSON makes of in.AppendJSON — same keys in the same order,
// same strings — without writing and scanning the JSON (5 % of a warm
// invocation, measured interleaved: 5.5 against 5.8 µs; 14 allocations
// fewer). TestHTTPInputMatchesJSON pins the equivalence. It fails only if
// the VM is interrupted.
func (vm *VM) httpInput(in *kilntype.HTTPInput) (goja.Value, error) {
	rt := vm.rt
	var args [6]goja.Value
	args[0], args[1] = rt.ToValue(in.Method), rt.ToValue(in.Path)
	for i, m := range [3]map[string]string{in.Params, in.Query, in.Headers} {
		obj, err := vm.stringMapObject(m)
		if err != nil {
			return nil, err
		}
		args[2+i] = obj
	}
	switch b := in.Body.(type) {
	case string:
		args[5] = rt.ToValue(b)
	case json.RawMessage:
		v, err := vm.parseInput(b)
		if err != nil {
			return nil, err
		}
		args[5] = v
	default:
		args[5] = goja.Null()
	}
	// Six Sets from Go, as the JSON decoder makes an object: they cost a
	// little less than calling a compiled object literal.
	obj := rt.NewObject()
	for i, k := range [6]string{"method", "path", "params", "query", "headers", "body"} {
		if err := obj.Set(k, args[i]); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// stringMapObject is m as a plain object, its keys in sorted order (as
// JSON of m has them).
func (vm *VM) stringMapObject(m map[string]string) (*goja.Object, error) {
	obj := vm.rt.NewObject()
	if len(m) == 0 {
		return obj, nil
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := vm.rt.ToValue(m[k])
		if k == "__proto__" {
			// An own property, as JSON.parse makes it; Set would change
			// the prototype.
			if err := obj.DefineDataProperty(k, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				return nil, err
			}
		} else if err := obj.Set(k, v); err != nil {
			return nil, err
		}
	}
	return obj, nil
}
