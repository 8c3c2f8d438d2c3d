package jsonw

import (
	"encoding/json"
	"testing"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b", `back\slash`, "tab\there", "nul\x00", "é", "\u2028", "emoji 🎉", "bad \xff utf8", "<html>&"} {
		var got any
		if err := json.Unmarshal(String(nil, s), &got); err != nil {
			t.Errorf("String(%q) = %s: %v", s, String(nil, s), err)
			continue
		}
		var want any
		b, _ := json.Marshal(s)
		_ = json.Unmarshal(b, &want)
		if got != want {
			t.Errorf("String(%q) reads back as %q, encoding/json's as %q", s, got, want)
		}
	}
}

func TestStringMap(t *testing.T) {
	m := map[string]string{"b": "2", "a": "1", "é": "x\"y"}
	for i := range 20 {
		m[string(rune('c'+i))] = "v"
	}
	want, _ := json.Marshal(m)
	var a, b map[string]string
	if err := json.Unmarshal(StringMap(nil, m), &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(want, &b)
	if len(a) != len(b) {
		t.Fatalf("StringMap = %s, want %s", StringMap(nil, m), want)
	}
	for k, v := range b {
		if a[k] != v {
			t.Errorf("key %q: %q, want %q", k, a[k], v)
		}
	}
	// Keys come out in encoding/json's order.
	if got := string(StringMap(nil, map[string]string{"b": "", "a": "", "B": ""})); got != `{"B":"","a":"","b":""}` {
		t.Errorf("StringMap order: %s", got)
	}
	if got := string(StringMap(nil, nil)); got != `{}` {
		t.Errorf("StringMap(nil) = %s", got)
	}
}
