package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCompileCache: a program is reused while its entry and every file it
// imported are unchanged, and rebuilt when any of them changes.
func TestCompileCache(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	files := fstest.MapFS{
		"main.ts":     {Data: []byte(`import { v } from "./lib/v"; export default () => v;`)},
		"lib/v.ts":    {Data: []byte(`export const v: number = 1;`)},
		"unused.ts":   {Data: []byte(`export const x = 1;`)},
		"lib/data.js": {Data: []byte(`export default 2;`)},
	}
	src := Source{Name: "main.ts", Code: string(files["main.ts"].Data), Files: files}
	first, err := e.Compile(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := e.Compile(ctx, src); again != first {
		t.Fatal("an unchanged source was compiled again")
	}
	files["lib/v.ts"] = &fstest.MapFile{Data: []byte(`export const v: number = 2;`)}
	changed, err := e.Compile(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if changed == first {
		t.Fatal("a changed import did not invalidate the cached program")
	}
	vm, err := e.NewVM(ctx, changed)
	if err != nil {
		t.Fatal(err)
	}
	if res := vm.Invoke(ctx, InvokeParams{}); string(res.Value) != "2" {
		t.Fatalf("got %s %v, want the new import's value", res.Value, res.Err)
	}
}

// TestCompileErrors: build errors carry the user's file, line and column.
func TestCompileErrors(t *testing.T) {
	e := setup(t, Config{})
	tests := []struct {
		name, file, src string
		code            Code
		pos, msg        string
	}{
		{"ts syntax", "a.ts", "const x: number = 1;\nexport default () => { x + ; }", CodeSyntaxError, "a.ts:2:28", "Unexpected"},
		{"node builtin", "b.js", "\nimport { readFileSync } from 'fs';\nexport default () => readFileSync('/etc/passwd');", CodeSandboxViolation, "b.js:2:30", `import of "fs" is not allowed`},
		{"npm package", "c.ts", "import _ from 'lodash';\nexport default () => _;", CodeSandboxViolation, "c.ts:1:15", `import of "lodash"`},
		{"require of a builtin", "d.cjs", "const cp = require('child_process');\nmodule.exports = () => cp;", CodeSandboxViolation, "d.cjs:1:20", "child_process"},
		{"outside the folder", "e.ts", "import x from '../secrets';\nexport default () => x;", CodeSandboxViolation, "e.ts:1:15", "leaves the script's folder"},
		{"missing file", "f.ts", "import x from './nope';\nexport default () => x;", CodeSyntaxError, "f.ts:1:15", `cannot find "./nope"`},
		{"bad extension", "g.py", "print(1)", CodeInvalidArgument, "", "must be a .ts, .js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Compile(context.Background(), Source{Name: tt.file, Code: tt.src, Files: fstest.MapFS{tt.file: {Data: []byte(tt.src)}}})
			var ee *Error
			if !errors.As(err, &ee) || ee.Code != tt.code || ee.Position != tt.pos || !strings.Contains(ee.Message, tt.msg) {
				t.Fatalf("got %#v, want %s at %q containing %q", err, tt.code, tt.pos, tt.msg)
			}
		})
	}
}

// TestModules: each file of a script is a module of its own, linked by the
// engine: names are not renamed across files, imports are live bindings
// (a cycle sees the other file's exports once they are set), ES modules
// are strict while CommonJS files keep their mode, JSON files import as
// values, and a require of anything the script did not import statically
// is refused.
func TestModules(t *testing.T) {
	e := setup(t, Config{})
	files := fstest.MapFS{
		"main.ts": {Data: []byte(`
import { helper as other, later, cjsSloppy } from "./a";
import data from "./data.json";
function helper() {}
export default function () {
  return { names: [helper.name, other.name], later: later(), cjsSloppy, esmStrict: (function () { return this; })() === undefined, data };
}`)},
		"a.ts": {Data: []byte(`
import { value } from "./b";
export function helper() {}
export const later = () => value;
export const cjsSloppy: boolean = require("./c.cjs").sloppy;`)},
		"b.ts": {Data: []byte(`
import { helper } from "./a";
export let value = "unset";
value = typeof helper;`)},
		"c.cjs":     {Data: []byte(`exports.sloppy = (function () { return this; })() !== undefined;`)},
		"data.json": {Data: []byte(`{"n": 1}`)},
		"dyn.js":    {Data: []byte(`const name = "./a"; export default function () { return require(name); }`)},
	}
	ctx := context.Background()
	run := func(name string) *Result {
		p, err := e.Compile(ctx, Source{Name: name, Code: string(files[name].Data), Files: files})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vm, err := e.NewVM(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return vm.Invoke(ctx, InvokeParams{})
	}
	res := run("main.ts")
	want := `{"names":["helper","helper"],"later":"function","cjsSloppy":true,"esmStrict":true,"data":{"n":1}}`
	if res.Err != nil || string(res.Value) != want {
		t.Fatalf("got %s %v\nwant %s", res.Value, res.Err, want)
	}
	if res := run("dyn.js"); res.Err == nil || res.Err.Code != CodeSandboxViolation {
		t.Fatalf("a require the script did not import: got %s %v, want SANDBOX_VIOLATION", res.Value, res.Err)
	}
}

// TestCompileFileCache: a file that did not change is transformed and
// compiled once, whichever program imports it; a changed file is compiled
// again.
func TestCompileFileCache(t *testing.T) {
	e := setup(t, Config{})
	ctx := context.Background()
	files := fstest.MapFS{
		"a.ts":     {Data: []byte(`import { v } from "./lib.ts"; export default () => v;`)},
		"b.ts":     {Data: []byte(`import { v } from "./lib.ts"; export default () => v + 1;`)},
		"lib.ts":   {Data: []byte(`export const v: number = 1;`)},
		"other.ts": {Data: []byte(`export default () => 0;`)},
	}
	compile := func(name string) *Program {
		t.Helper()
		p, err := e.Compile(ctx, Source{Name: name, Code: string(files[name].Data), Files: files})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := compile("a.ts"), compile("b.ts")
	if a.modules["lib.ts"].program != b.modules["lib.ts"].program {
		t.Fatal("an unchanged file imported by two programs was compiled twice")
	}
	files["lib.ts"] = &fstest.MapFile{Data: []byte(`export const v: number = 2;`)}
	if c := compile("b.ts"); c.modules["lib.ts"].program == b.modules["lib.ts"].program {
		t.Fatal("a changed file was not compiled again")
	}
}
