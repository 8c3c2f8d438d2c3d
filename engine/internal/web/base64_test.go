package web

import (
	"encoding/base64"
	"testing"
)

func TestBtoaAtob(t *testing.T) {
	runCases(t, Host{}, []jsCase{
		{"btoa", `[btoa(""), btoa("f"), btoa("fo"), btoa("foo"), btoa("foob")].join()`, ",Zg==,Zm8=,Zm9v,Zm9vYg=="},
		{"btoa Latin-1", `btoa("\xff\xe9\x00")`, "/+kA"},
		{"btoa converts to string", `btoa(12) + btoa(null) + btoa(undefined)`, "MTI=bnVsbA==dW5kZWZpbmVk"},
		{"btoa rejects chars above U+00FF", `[thrown(() => btoa("€")), thrown(() => btoa("\uD800")), thrown(() => btoa("😀"))].join()`,
			"InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5)"},
		{"btoa needs an argument", `thrown(() => btoa())`, "TypeError"},
		{"btoa symbol", `thrown(() => btoa(Symbol()))`, "TypeError"},
		{"atob", `[atob(""), atob("Zg=="), atob("Zm8="), atob("Zm9v"), atob("Zm9vYg==")].join()`, ",f,fo,foo,foob"},
		{"atob without padding", `atob("Zg") + atob("Zm8")`, "ffo"},
		{"atob ignores ASCII whitespace", `atob(" Zm\t9v\nYg\f=\r= ")`, "foob"},
		{"atob allows non-zero leftover bits", `atob("Zh==") + atob("Zm9=")`, "ffo"},
		{"atob result is Latin-1", `[...atob("/+kA")].map(c => c.charCodeAt(0)).join()`, "255,233,0"},
		{"atob null decodes 'null'", `atob(null).length`, "3"},
		{"atob bad input", `["a", "Zg=", "Zg===", "Z===", "Zm9vY", "Zm=9", "Zm9v-_", "Zm9v\u00A0", "Zm9v\u3000", "Zg==Zg==", "=Zg=", "*"]
			.map(s => thrown(() => atob(s))).join()`,
			"InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5),InvalidCharacterError(5)"},
		{"atob undefined is 'undefined', which is invalid", `thrown(() => atob(undefined))`, "InvalidCharacterError(5)"},
		{"atob needs an argument", `thrown(() => atob())`, "TypeError"},
		{"round trip of every byte", `let s = ""; for (let i = 0; i < 256; i++) s += String.fromCharCode(i); atob(btoa(s)) === s`, "true"},
		{"error is a DOMException", `try { atob("*") } catch (e) { [e instanceof DOMException, e instanceof Error, e.message].join() }`,
			"true,true,The string to be decoded is not correctly encoded."},
	})
}

func TestForgivingBase64Decode(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" with ok false means failure
		ok   bool
	}{
		{"", "", true},
		{"YQ", "a", true},
		{"YQ==", "a", true},
		{"YQ=", "", false},
		{"YWI", "ab", true},
		{"YWI=", "ab", true},
		{"YWJj", "abc", true},
		{"Y", "", false},
		{"YWJjZ", "", false},
		{" Y W J j ", "abc", true},
		{"YW\x0bJj", "", false}, // vertical tab is not ASCII whitespace here
		{"YWJj====", "", false},
		{"YR==", "a", true},
	} {
		got, ok := forgivingBase64Decode(c.in)
		if ok != c.ok || string(got) != c.want {
			t.Errorf("forgivingBase64Decode(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// It agrees with the standard decoder on canonical input.
	for n := 0; n < 70; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*37 + n)
		}
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
			got, ok := forgivingBase64Decode(enc.EncodeToString(b))
			if !ok || string(got) != string(b) {
				t.Fatalf("round trip of %d bytes failed", n)
			}
		}
	}
}
