package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

func TestSet(t *testing.T) {
	t.Parallel()
	var s Set
	s.Add("SHORT", "abc")
	s.Add("LONG", "abcdef")
	s.Add("PIN", "4242")
	if s.Add("EMPTY", "") || s.Add("AGAIN", "abc") {
		t.Error("an empty or known value was added")
	}
	if s.Len() != 3 || s.Size() != 13 {
		t.Errorf("Len, Size = %d, %d; want 3, 13", s.Len(), s.Size())
	}
	if got := s.Redact("abcdef abc zzz"); got != "[REDACTED:LONG] [REDACTED:SHORT] zzz" {
		t.Errorf("Redact = %q", got)
	}
	var none *Set
	if got := none.Redact("abcdef"); got != "abcdef" || none.Len() != 0 {
		t.Errorf("a nil Set redacts %q", got)
	}
	for _, tt := range []struct{ in, want string }{
		{`{"a":"x","n":1}`, `{"a":"x","n":1}`},
		{`{ "keep" : "spacing", "n" : 1.50 }`, `{ "keep" : "spacing", "n" : 1.50 }`},
		{`{"a":"<abc>","n":142420}`, `{"a":"<[REDACTED:SHORT]>","n":"1[REDACTED:PIN]0"}`},
		{`{"abc":[1,"abcdef",{"x":4242}]}`, `{"[REDACTED:SHORT]":[1,"[REDACTED:LONG]",{"x":"[REDACTED:PIN]"}]}`},
		{`not json abc`, `"not json [REDACTED:SHORT]"`},
		{`"abc" "two values"`, `"\"[REDACTED:SHORT]\" \"two values\""`},
	} {
		if got := string(s.RedactJSON(json.RawMessage(tt.in))); got != tt.want {
			t.Errorf("RedactJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	fields := map[string]any{"a": "abc", "b": []any{"ok", 4242.0}, "c": "clean"}
	got := s.RedactValue(fields)
	if b, _ := json.Marshal(got); string(b) != `{"a":"[REDACTED:SHORT]","b":["ok","[REDACTED:PIN]"],"c":"clean"}` {
		t.Errorf("RedactValue = %s", b)
	}
	if fields["a"] != "abc" {
		t.Error("RedactValue changed its argument")
	}
}

// TestSetKeepsValues: a value stays once added, under its first name,
// when its secret's value changes (rotation adds the new one beside it).
func TestSetKeepsValues(t *testing.T) {
	t.Parallel()
	var s Set
	s.Add("TOKEN", "old-token-value")
	s.Add("TOKEN", "new-token-value")
	s.Add("OTHER", "old-token-value")
	if got := s.Redact("old-token-value new-token-value"); got != "[REDACTED:TOKEN] [REDACTED:TOKEN]" {
		t.Errorf("Redact = %q", got)
	}
	var all Set
	all.AddAll(&s)
	all.AddAll(nil)
	if all.Len() != 2 || all.Redact("new-token-value") != "[REDACTED:TOKEN]" {
		t.Errorf("AddAll: %d values", all.Len())
	}
}

func TestAddWithin(t *testing.T) {
	t.Parallel()
	var s Set
	if !s.AddWithin("A", "aaaa", 2, 10) || !s.AddWithin("B", "bbbb", 2, 10) {
		t.Fatal("values within the caps were refused")
	}
	if s.AddWithin("C", "cc", 2, 10) {
		t.Error("a third value past a cap of two was added")
	}
	if !s.AddWithin("A", "aaaa", 2, 10) || !s.AddWithin("E", "", 2, 10) {
		t.Error("a value already held, or an empty one, was refused")
	}
	var b Set
	b.AddWithin("A", "aaaa", 5, 10)
	if b.AddWithin("B", "bbbbbbb", 5, 10) {
		t.Error("a value past the byte cap was added")
	}
	if s.Len() != 2 || s.Redact("cc") != "cc" {
		t.Errorf("a refused value is redacted, or counted: %d", s.Len())
	}
}

// TestForms: the escaped and encoded forms a value is cut out as.
func TestForms(t *testing.T) {
	t.Parallel()
	const secret = "p\"a<s>s&\\w\n0rd\u2028 é/+?"
	var s Set
	s.Add("PW", secret)
	for _, form := range []string{
		secret,
		`p\"a<s>s&\\w\n0rd` + "\u2028" + ` é/+?`,                    // JSON.stringify
		`p\"a\u003cs\u003es\u0026\\w\n0rd\u2028 é/+?`,               // Go, HTML-escaped
		"p%22a%3Cs%3Es%26%5Cw%0A0rd%E2%80%A8%20%C3%A9%2F%2B%3F",     // encodeURIComponent
		url.QueryEscape(secret),                                     // a form-encoded query
		base64.StdEncoding.EncodeToString([]byte(secret)),           // btoa
		base64.RawURLEncoding.EncodeToString([]byte(secret)),        // JWT-style
		hex.EncodeToString([]byte(secret)),                          // a digest-style dump
		strings.ToUpper(hex.EncodeToString([]byte(secret))),         // and upper case
		base64.URLEncoding.EncodeToString([]byte("user:" + secret)), // inside a longer value
	} {
		text := "before " + form + " after"
		got := s.Redact(text)
		if !strings.Contains(got, "[REDACTED:PW]") {
			t.Errorf("form %q is not redacted: %q", form, got)
		}
		if strings.Contains(got, "0rd") || strings.Contains(got, "3Cs") {
			t.Errorf("form %q leaves its middle: %q", form, got)
		}
	}
	// The JSON form of a secret inside JSON text, as a log line's fields
	// are stored.
	b, _ := json.Marshal(map[string]any{"k": secret})
	if got := s.RedactJSON(b); strings.Contains(string(got), "0rd") {
		t.Errorf("RedactJSON = %s", got)
	}
}

// TestFormsBase64AtAnyOffset: a value encoded inside a longer value (a
// Basic auth header: btoa(user + ':' + password)) is cut out of its
// base64 whatever its offset, leaving at most the characters that mix its
// bits with its neighbours'.
func TestFormsBase64AtAnyOffset(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"12345678", "s3cr3t-w1th-s0me-length", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7"} {
		var s Set
		s.Add("S", secret)
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding} {
			for prefix := range 7 {
				for suffix := range 4 {
					data := strings.Repeat("<", prefix) + secret + strings.Repeat(">", suffix)
					text := enc.EncodeToString([]byte(data))
					got := s.Redact(text)
					before, after, ok := strings.Cut(got, "[REDACTED:S]")
					if !ok {
						t.Errorf("%q at %d..%d: %s not redacted", secret, prefix, suffix, text)
						continue
					}
					// Characters wholly of the prefix, one that mixes, and
					// the same after.
					if maxBefore := (8*prefix + 5) / 6; len(before) > maxBefore {
						t.Errorf("%q at %d: %d characters left before, want at most %d (%s → %s)", secret, prefix, len(before), maxBefore, text, got)
					}
					if maxAfter := len(text) - 8*(prefix+len(secret))/6; len(after) > maxAfter {
						t.Errorf("%q at %d..%d: %d characters left after, want at most %d (%s → %s)", secret, prefix, suffix, len(after), maxAfter, text, got)
					}
				}
			}
		}
	}
}

// TestFormsMinEncodedBytes: values shorter than MinEncodedBytes are cut
// out as they are, never as base64 or hex, which would cut pieces out of
// unrelated data.
func TestFormsMinEncodedBytes(t *testing.T) {
	t.Parallel()
	short := "1234567"
	for _, f := range Forms(short) {
		if f != short {
			t.Errorf("a %d-byte value has the form %q", len(short), f)
		}
	}
	long := short + "8"
	forms := strings.Join(Forms(long), " ")
	for _, want := range []string{"MTIzNDU2Nzg=", "3132333435363738", "xMjM0NTY3O", "EyMzQ1Njc4"} {
		if !strings.Contains(forms, want) {
			t.Errorf("an %d-byte value's forms %s lack %s", len(long), forms, want)
		}
	}
	// A digest in a log line is left alone unless it holds the value.
	var s Set
	s.Add("PIN", short)
	digest := hex.EncodeToString([]byte("xx" + short + "yy"))
	if got := s.Redact(digest); got != digest {
		t.Errorf("a short value's hex was cut: %s", got)
	}
}

func TestRedactExecution(t *testing.T) {
	t.Parallel()
	var s Set
	s.Add("KEY", "sk_live_123456")
	logs := []kilntype.LogLine{{Message: "key sk_live_123456", Fields: map[string]any{"k": "sk_live_123456", "clean": 1.0}}}
	errIn := &kilntype.ExecutionError{Code: kilntype.ERuntimeError, Message: "bad sk_live_123456", Stack: "Error: bad sk_live_123456\n    at main.js:3:9"}
	e := &kilntype.Execution{Input: json.RawMessage(`{"note":"plain"}`), Output: json.RawMessage(`{"k":"c2tfbGl2ZV8xMjM0NTY="}`), Error: errIn, Logs: logs}
	s.RedactExecution(e)
	out, _ := json.Marshal(e)
	if strings.Contains(string(out), "sk_live") || strings.Contains(string(out), "c2tfbGl2ZV8xMjM0NTY") || strings.Count(string(out), "[REDACTED:KEY]") != 5 {
		t.Errorf("redacted record: %s", out)
	}
	if string(e.Input) != `{"note":"plain"}` {
		t.Errorf("input without a secret changed: %s", e.Input)
	}
	if errIn.Message != "bad sk_live_123456" || logs[0].Message != "key sk_live_123456" {
		t.Error("RedactExecution wrote into the caller's error or logs")
	}
	var none *Set
	none.RedactExecution(e) // no panic
}

// TestSetConcurrent: values are added from host calls' goroutines while
// another run's record is redacted (run with -race).
func TestSetConcurrent(t *testing.T) {
	t.Parallel()
	var s Set
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				s.Add("S", fmt.Sprintf("secret-%d-%d", i, j))
				_ = s.Redact("secret-1-1 and more")
			}
		})
	}
	wg.Wait()
	if s.Len() != 400 || s.Redact("secret-7-49") != "[REDACTED:S]" {
		t.Errorf("Len = %d", s.Len())
	}
}
