// Package redact cuts secret values out of what Kiln keeps about a run: a
// Set holds the values a VM has handed its script, and every form of them
// that Forms finds is replaced by "[REDACTED:NAME]" in text, in JSON and
// in an execution record.
//
// Redaction is a safety net for mistakes — a token logged by accident, an
// error message that quotes a header — not a sandbox: a script that means
// to show a secret can always transform it first (reverse it, split it
// one character per log line, encrypt it). docs/sdk.md ("iota.secrets")
// says which forms are found and which are not.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/kiln-run/kiln/kilntype"
)

// MinEncodedBytes is the shortest value whose base64 and hex encodings are
// redacted as well as its plain and escaped forms. A shorter value's
// encodings are a few characters of an alphabet that base64 and hex data
// are made of, so they would cut pieces out of unrelated data (an image in
// a result, a digest in a log line): at 8 bytes, the shortest encoded form
// redacted holds 60 bits of the value, which random data matches by chance
// about once in 10^18 positions.
const MinEncodedBytes = 8

// Marker returns what a secret called name is replaced by.
func Marker(name string) string { return "[REDACTED:" + name + "]" }

// Set is a set of secret values, each with the name it is redacted as.
// Values are only ever added: a value stays redacted for as long as the
// Set lives, after its secret is rotated or deleted. The zero Set is empty
// and ready; a nil *Set redacts nothing. A Set is safe for concurrent use.
type Set struct {
	mu       sync.Mutex
	values   map[string]string // value → name
	size     int               // bytes of the values
	forms    map[string]string // every form of every value → name
	replacer *strings.Replacer // built on first use after a change
}

// Add adds value, redacted as name, and reports whether it was new. The
// first name a value was added under is the one it keeps. Empty values
// are not added: there is nothing to cut.
func (s *Set) Add(name, value string) bool {
	if value == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(name, value)
}

// AddWithin is Add, unless value is new and adding it would make s hold
// more than maxValues values or maxBytes bytes of them: then it adds
// nothing and reports false. An empty value, or one s already holds,
// is true.
func (s *Set) AddWithin(name, value string, maxValues, maxBytes int) bool {
	if value == "" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, held := s.values[value]; held {
		return true
	}
	if len(s.values)+1 > maxValues || s.size+len(value) > maxBytes {
		return false
	}
	s.addLocked(name, value)
	return true
}

// addLocked adds a non-empty value. Call with mu held.
func (s *Set) addLocked(name, value string) bool {
	if _, ok := s.values[value]; ok {
		return false
	}
	if s.values == nil {
		s.values, s.forms = map[string]string{}, map[string]string{}
	}
	s.values[value] = name
	s.size += len(value)
	for _, f := range Forms(value) {
		if _, ok := s.forms[f]; !ok {
			s.forms[f] = name
		}
	}
	s.replacer = nil
	return true
}

// AddAll adds every value of other to s, under the same names.
func (s *Set) AddAll(other *Set) {
	if other == nil || other == s {
		return
	}
	other.mu.Lock()
	values := make(map[string]string, len(other.values))
	for v, name := range other.values {
		values[v] = name
	}
	other.mu.Unlock()
	for v, name := range values {
		s.Add(name, v)
	}
}

// Len returns how many distinct values s holds.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.values)
}

// Size returns the total length in bytes of the values s holds (with
// their forms and the replacer, s takes about a dozen times as much).
func (s *Set) Size() int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// Forms returns value and the forms it takes in text that are redacted
// with it, longest first:
//
//   - escaped once inside a JSON string, as JSON.stringify writes it and
//     as Go writes it (which also escapes <, > and &);
//   - percent-encoded, as encodeURIComponent and as a form-encoded query
//     (a space as +) write it;
//   - for a value of MinEncodedBytes or more, its standard and URL-safe
//     base64, padded and not, and the characters of its base64 that only
//     it decides wherever it starts in the encoded data (btoa('user:' +
//     password) holds them, though not the password's own base64); and its
//     hex, lower and upper case.
//
// A form that is a piece of an encoding (base64 inside a longer value)
// leaves its edges, under six bits of the value each, in the text.
func Forms(value string) []string {
	forms := []string{value}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, html := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(value) // a string always encodes
		s := strings.TrimSuffix(buf.String(), "\n")
		add(s[1 : len(s)-1])
	}
	add(jsStringEscape(value))
	add(encodeURIComponent(value))
	add(url.QueryEscape(value))
	if len(value) >= MinEncodedBytes {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			add(enc.EncodeToString([]byte(value)))
			add(enc.WithPadding(base64.NoPadding).EncodeToString([]byte(value)))
			for offset := range 3 {
				add(base64Core(enc, value, offset))
			}
		}
		h := hex.EncodeToString([]byte(value))
		add(h)
		add(strings.ToUpper(h))
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// jsStringEscape is value as JSON.stringify escapes it inside a string:
// like Go's encoder without HTML escaping, except that U+2028 and U+2029
// stay as they are and \b and \f are short escapes.
func jsStringEscape(value string) string {
	var b strings.Builder
	for _, r := range value {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encodeURIComponent is value as JavaScript's encodeURIComponent writes
// it: every byte percent-encoded except letters, digits and -_.!~*'().
func encodeURIComponent(value string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&0xf])
	}
	return b.String()
}

// base64Core returns the characters of the base64 of any data that holds
// value at byte offset (mod 3) that value alone decides: each base64
// character is 6 bits of the data, and those wholly inside value's bits
// are the same whatever comes before and after it.
func base64Core(enc *base64.Encoding, value string, offset int) string {
	data := make([]byte, offset+len(value)+2)
	copy(data[offset:], value)
	text := enc.WithPadding(base64.NoPadding).EncodeToString(data)
	startBit, endBit := 8*offset, 8*(offset+len(value))
	first, last := (startBit+5)/6, endBit/6 // characters [first, last)
	if last <= first {
		return ""
	}
	return text[first:last]
}

// replacerLocked returns the Set's replacer, or nil if it is empty. Call
// with mu held.
func (s *Set) replacerLocked() *strings.Replacer {
	if len(s.forms) == 0 {
		return nil
	}
	if s.replacer == nil {
		forms := make([]string, 0, len(s.forms))
		for f := range s.forms {
			forms = append(forms, f)
		}
		// Longest first: strings.Replacer tries its pairs in order at each
		// position, so a value that contains another is cut whole.
		sort.Slice(forms, func(i, j int) bool {
			if len(forms[i]) != len(forms[j]) {
				return len(forms[i]) > len(forms[j])
			}
			return forms[i] < forms[j]
		})
		pairs := make([]string, 0, 2*len(forms))
		for _, f := range forms {
			pairs = append(pairs, f, Marker(s.forms[f]))
		}
		s.replacer = strings.NewReplacer(pairs...)
	}
	return s.replacer
}

// current returns the Set's replacer, or nil if there is nothing to cut.
func (s *Set) current() *strings.Replacer {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replacerLocked()
}

// Redact returns text with every form of every value cut out.
func (s *Set) Redact(text string) string {
	rep := s.current()
	if rep == nil {
		return text
	}
	return rep.Replace(text)
}

// RedactValue returns a JSON-like value (log fields, say) with the values
// cut out of every string, object key and number's text; a number that
// held a value becomes a string. It copies only what changes.
func (s *Set) RedactValue(v any) any {
	rep := s.current()
	if rep == nil {
		return v
	}
	out, _ := redactValue(rep, v)
	return out
}

// RedactJSON is RedactValue for JSON text. Text without a value comes back
// unchanged, byte for byte; text that is not valid JSON comes back as a
// JSON string of its redacted text.
func (s *Set) RedactJSON(raw json.RawMessage) json.RawMessage {
	rep := s.current()
	if rep == nil || len(raw) == 0 {
		return raw
	}
	return redactJSON(rep, raw)
}

func redactJSON(rep *strings.Replacer, raw json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		b, _ := json.Marshal(rep.Replace(string(raw)))
		return b
	}
	out, changed := redactValue(rep, v)
	if !changed {
		return raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		b, _ := json.Marshal(rep.Replace(string(raw)))
		return b
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// redactValue returns v redacted and whether anything changed.
func redactValue(rep *strings.Replacer, v any) (any, bool) {
	switch x := v.(type) {
	case string:
		s := rep.Replace(x)
		return s, s != x
	case json.Number:
		if s := rep.Replace(string(x)); s != string(x) {
			return s, true
		}
		return x, false
	case float64:
		text, _ := json.Marshal(x)
		if s := rep.Replace(string(text)); s != string(text) {
			return s, true
		}
		return x, false
	case []any:
		var out []any
		for i, e := range x {
			re, changed := redactValue(rep, e)
			if changed && out == nil {
				out = append(make([]any, 0, len(x)), x[:i]...)
			}
			if out != nil {
				out = append(out, re)
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	case map[string]any:
		var out map[string]any
		for k, e := range x {
			rk := rep.Replace(k)
			re, changed := redactValue(rep, e)
			if (changed || rk != k) && out == nil {
				out = make(map[string]any, len(x))
				for k2, e2 := range x {
					out[k2] = e2
				}
			}
			if out != nil {
				if rk != k {
					delete(out, k)
				}
				out[rk] = re
			}
		}
		if out == nil {
			return x, false
		}
		return out, true
	}
	return v, false
}

// RedactExecution cuts the values out of everything a viewer can read in
// an execution's record — its input, output, error message and stack,
// and its log lines' messages and fields — in place. It replaces e.Error
// and e.Logs rather than writing into them, so a caller's copies of them
// are left alone.
func (s *Set) RedactExecution(e *kilntype.Execution) {
	rep := s.current()
	if rep == nil {
		return
	}
	if len(e.Input) > 0 {
		e.Input = redactJSON(rep, e.Input)
	}
	if len(e.Output) > 0 {
		e.Output = redactJSON(rep, e.Output)
	}
	if e.Error != nil {
		redacted := *e.Error
		redacted.Message, redacted.Stack = rep.Replace(redacted.Message), rep.Replace(redacted.Stack)
		redacted.Position = rep.Replace(redacted.Position)
		e.Error = &redacted
	}
	if len(e.Logs) > 0 {
		logs := make([]kilntype.LogLine, len(e.Logs))
		for i, l := range e.Logs {
			l.Message = rep.Replace(l.Message)
			if f, changed := redactValue(rep, l.Fields); changed {
				l.Fields = f.(map[string]any)
			}
			logs[i] = l
		}
		e.Logs = logs
	}
}
