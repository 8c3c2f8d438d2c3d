package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/internal/goja"
)

// sameAsJSONParse checks that decodeJSON, when it accepts text, builds
// exactly what JSON.parse builds (compared through JSON.stringify, which
// preserves key order), and that it declines whatever JSON.parse rejects.
func sameAsJSONParse(t *testing.T, text string) {
	t.Helper()
	rt := goja.New()
	parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	stringify, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("stringify"))
	want, wantErr := parse(goja.Undefined(), rt.ToValue(text))
	got, err := decodeJSON(rt, []byte(text))
	if err != nil {
		return // the engine falls back to JSON.parse: always correct
	}
	if wantErr != nil {
		t.Fatalf("decodeJSON accepted %q, which JSON.parse rejects (%v)", text, wantErr)
	}
	a, _ := stringify(goja.Undefined(), want)
	b, _ := stringify(goja.Undefined(), got)
	if a.String() != b.String() {
		t.Fatalf("decodeJSON(%q) = %s, JSON.parse gives %s", text, b, a)
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, text := range []string{
		`null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12`, `9007199254740993`, `1e400`, `"plain"`,
		`"esc\"aped\n\u00e9\ud83d\ude00"`, `"héllo"`, `[]`, `{}`, ` [1, "two", [null], {"a": {"b": []}}] `,
		`{"z": 1, "a": 2, "m": 3}`, `{"__proto__": {"x": 1}}`, `{"a": 1, "a": 2}`,
		`{"1": "one", "b": "bee", "0": "zero"}`,
		// Invalid: must be declined, never accepted.
		`01`, `1.`, `.5`, `+1`, `[1,]`, `{"a":1,}`, `{a:1}`, `"unterminated`, `"tab	in"`, `tru`, `[1 2]`, `{"a" 1}`, `1 2`, ``,
	} {
		sameAsJSONParse(t, text)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"x\u0041"`, `-1.5e-3`, `[true,false]`, `{"__proto__":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { sameAsJSONParse(t, text) })
}

// TestJSONInputOverMemoryLimit: an input whose values do not fit in the
// memory limit ends the run with MEMORY_LIMIT while it is decoded, not
// after all of it is built (the decoder's objects are made outside a run,
// where the meter cannot stop it: 108 MiB for this input).
func TestJSONInputOverMemoryLimit(t *testing.T) {
	e := setup(t, Config{})
	p, err := e.Compile(context.Background(), Source{Name: "h.js", Code: `export default (input) => Object.keys(input).length`})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range 100000 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"key%d":{"a":1}`, i)
	}
	b.WriteString("}")
	for _, tc := range []struct {
		limit int64
		code  Code
	}{{2 << 20, CodeMemoryLimit}, {256 << 20, ""}} {
		vm, err := e.NewVM(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		res := vm.Invoke(context.Background(), InvokeParams{Input: []byte(b.String()), MemoryLimit: tc.limit})
		switch {
		case tc.code == "" && (res.Err != nil || string(res.Value) != "100000"):
			t.Errorf("limit %d: %s %v, want 100000", tc.limit, res.Value, res.Err)
		case tc.code != "" && (res.Err == nil || res.Err.Code != tc.code || !strings.Contains(res.Err.Message, "the input")):
			t.Errorf("limit %d: %v, want %s while decoding the input", tc.limit, res.Err, tc.code)
		}
	}
}
