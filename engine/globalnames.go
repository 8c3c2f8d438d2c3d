package engine

import (
	"slices"
	"strings"
)

// GlobalNames lists every global a script of this engine can read before it
// defines any of its own: goja's built-ins, the web globals, the sandbox's
// replacements and the roots of the host modules (such as "iota"), sorted.
// Globals are built the first time a script reads them (globals.go), so
// Object.getOwnPropertyNames(globalThis) shows only those read so far;
// tools that compare declarations with the VM (the iota.d.ts drift test)
// ask here.
func (e *Engine) GlobalNames() []string {
	names := slices.Clone(builtinGlobalNames())
	for n := range globals().entries {
		names = append(names, n)
	}
	for _, m := range e.cfg.Modules {
		for _, f := range m.Funcs {
			root, _, _ := strings.Cut(f.Name, ".")
			names = append(names, root)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
