package engine

import (
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
