package engine

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// TestEveryGlobalResolves reads every name GlobalNames lists, in order and
// in reverse (globals are built on first read, some in groups), and
// requires each to be defined afterwards — reading one global must never
// hide another.
func TestEveryGlobalResolves(t *testing.T) {
	e := setup(t, Config{Modules: []Module{{Name: "test", Funcs: []HostFunc{{Name: "iota.test.ping",
		Fn: func(context.Context, HostCall) (any, error) { return "pong", nil }}}}}})
	names := e.GlobalNames()
	for _, want := range []string{"URL", "URLSearchParams", "TextEncoder", "fetch", "setTimeout", "console", "Uint8Array", "JSON", "iota"} {
		if !slices.Contains(names, want) {
			t.Errorf("GlobalNames lacks %s", want)
		}
	}
	const src = `export default function (names) {
  for (const n of names) void globalThis[n];
  return names.filter((n) => n !== 'undefined' && typeof globalThis[n] === 'undefined');
}`
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	for _, order := range [][]string{names, reversed} {
		res := runSource(t, e, "globals.js", src, order, InvokeParams{})
		if res.Err != nil {
			t.Fatalf("%v\n%s", res.Err, res.Err.Stack)
		}
		var missing []string
		if err := json.Unmarshal(res.Value, &missing); err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Errorf("after reading every global (starting with %s), these are undefined: %v", order[0], missing)
		}
	}
}
