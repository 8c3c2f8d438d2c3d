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
