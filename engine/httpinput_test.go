package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// TestHTTPInputMatchesJSON: an HTTP request built as JS objects directly is
// the value the engine makes of its JSON — keys in the same order, the
// same strings (invalid UTF-8 included), __proto__ an own property.
func TestHTTPInputMatchesJSON(t *testing.T) {
	e := setup(t, Config{})
	p, err := e.Compile(context.Background(), Source{Name: "h.js", Code: `
export default (req) => {
	const shape = (o) => o === null || typeof o !== 'object' ? o :
		{ proto: Object.getPrototypeOf(o) === Object.prototype, keys: Object.keys(o), own: Object.keys(o).map((k) => shape(o[k])) };
	return JSON.stringify([req, shape(req)]);
};`})
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]string{}
	for i := range 40 {
		many[fmt.Sprintf("k%02d", 39-i)] = fmt.Sprint(i)
	}
	cases := []kilntype.HTTPInput{
		{Method: "GET", Path: "/"},
		{Method: "GET", Path: "/hello", Params: map[string]string{}, Query: map[string]string{"name": "Ada"}, Headers: map[string]string{"host": "127.0.0.1"}},
		{Method: "POST", Path: "/o/{id}", Params: map[string]string{"id": "42"}, Query: map[string]string{"__proto__": "x", "B": "1", "a": "2", "": "empty"},
			Headers: map[string]string{"x-a": "é ☃ 😀", "x-b": "bad \xff\xfe utf-8", "x-\xc3": "key", "x-c": "\"quote\" \\ \n \u2028 \x00"}, Body: "text body"},
		{Method: "PUT", Path: "/j", Query: many, Body: json.RawMessage(`{"b":[1,2,{"c":null}],"a":"\u00e9","__proto__":{"x":1}}`)},
		{Method: "DELETE", Path: "/n", Body: json.RawMessage(`3.5`)},
	}
	for i, in := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var results [2]string
			for j, params := range []InvokeParams{{Input: in.AppendJSON(nil)}, {HTTP: &in}} {
				vm, err := e.NewVM(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				res := vm.Invoke(context.Background(), params)
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				results[j] = string(res.Value)
			}
			if results[0] != results[1] {
				t.Fatalf("\nfrom JSON: %s\ndirect:    %s", results[0], results[1])
			}
		})
	}
}

// TestHTTPInputOverMemoryLimit: a query string whose object does not fit
// in the memory limit ends the run with MEMORY_LIMIT while it is built.
func TestHTTPInputOverMemoryLimit(t *testing.T) {
	e := setup(t, Config{})
	p, err := e.Compile(context.Background(), Source{Name: "h.js", Code: `export default (req) => Object.keys(req.query).length`})
	if err != nil {
		t.Fatal(err)
	}
	query := map[string]string{}
	for i := range 60000 {
		query[fmt.Sprintf("parameter%d", i)] = "value"
	}
	vm, err := e.NewVM(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	in := &kilntype.HTTPInput{Method: "GET", Path: "/", Query: query}
	res := vm.Invoke(context.Background(), InvokeParams{HTTP: in, MemoryLimit: 2 << 20})
	if res.Err == nil || res.Err.Code != CodeMemoryLimit || !strings.Contains(res.Err.Message, "the input") {
		t.Fatalf("%s %v, want MEMORY_LIMIT while building the input", res.Value, res.Err)
	}
}
