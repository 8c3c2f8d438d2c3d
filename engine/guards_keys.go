package engine

import (
	"github.com/kiln-run/kiln/internal/goja"
)

// Guards on the built-ins that list or walk an object's own keys. A string
// (or String object) has a key per character and a typed array one per
// element, which exist only when listed: Object.keys of a 16 MiB string
// made 16M key strings and peaked past a gigabyte, Object.entries of a
// 4M-element typed array 2.7 GiB. Each is charged, before it runs, a lower
// bound of what it makes per index key (measured: keys about 70 bytes
// each, entries 670, descriptors 750, assign's properties 190); other
// objects' keys already exist, and the result is linear in them.
//
// Object is guarded when the VM is made (every object leads to it),
// Reflect.ownKeys with Reflect (guardReflect).

// Bytes charged per index key: the result's slot and key (or value), an
// entry's pair array, a descriptor object, a property of assign's target.
const (
	keyBytes        = 3 * valueBytes
	entryBytes      = 16 * valueBytes
	descriptorBytes = 32 * valueBytes
	propertyBytes   = 8 * valueBytes
)

// keyGuards are the Object statics guarded, with what each makes per key
// of its first argument (assign: of each argument after the first).
var keyGuards = []struct {
	name string
	per  float64
}{
	{"keys", keyBytes}, {"values", keyBytes}, {"getOwnPropertyNames", keyBytes},
	{"entries", entryBytes}, {"getOwnPropertyDescriptors", descriptorBytes},
	{"freeze", keyBytes}, {"seal", keyBytes}, {"assign", propertyBytes},
}

// guardObjectKeys guards obj's key-listing statics (obj is Object).
func (vm *VM) guardObjectKeys(obj *goja.Object) {
	for _, g := range keyGuards {
		what, per := "Object."+g.name, g.per
		if g.name == "assign" {
			vm.guardMethod(obj, g.name, func(vm *VM, _ goja.Value, args []goja.Value) bool {
				n := 0.0
				for _, a := range args[min(1, len(args)):] {
					n += vm.indexKeys(a, true)
				}
				return vm.chargeIf(n*per, what)
			})
			continue
		}
		primitives := g.name != "freeze" && g.name != "seal" // which return a primitive as it is
		vm.guardMethod(obj, g.name, func(vm *VM, _ goja.Value, args []goja.Value) bool {
			return vm.chargeIf(vm.indexKeys(arg(args, 0), primitives)*per, what)
		})
	}
}

// indexKeys is how many index keys v has that exist only when listed: a
// string's (if primitives, as ToObject makes a String object of it) or a
// String object's characters, a typed array's elements; 0 for anything
// else. It runs no script code.
func (vm *VM) indexKeys(v goja.Value, primitives bool) float64 {
	switch x := v.(type) {
	case goja.String:
		if primitives {
			return float64(x.Length())
		}
	case *goja.Object:
		if n, ok := vm.typedArrayLength(x); ok {
			return n
		}
		if x.ClassName() == "String" && x.ExportType() != proxyType {
			// A String object's length is its own, fixed data property.
			return toLength(x.Get("length"))
		}
	}
	return 0
}
