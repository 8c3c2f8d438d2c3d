package sdk

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
)

// Redactor keeps the secret values each execution read, so that they can
// be cut out of what is stored about it. Wire it up in three steps:
//
//	r := sdk.NewRedactor()
//	sdk.SecretsModule(st, box, r.Record)  // remember every value read
//	r.RedactExecution(&exec)              // before each write of the record
//	r.Forget(exec.ID)                     // once the final record is written
//
// Each occurrence of a value becomes "[REDACTED:NAME]", as does the value
// escaped once as inside a JSON string (a script that logs
// JSON.stringify({ key })). Other encodings are not found: a script that
// encodes or slices a secret before logging it (base64, one character at a
// time) defeats redaction, which is a safety net for mistakes, not a
// sandbox. Values are kept in memory until
// Forget, so every recorded execution must be forgotten.
//
// A Redactor is safe for concurrent use.
type Redactor struct {
	mu    sync.Mutex
	execs map[string]*redaction
}

// redaction is one execution's secrets.
type redaction struct {
	names    map[string]string // value → secret name
	replacer *strings.Replacer // built on first use after a change
}

// NewRedactor returns an empty Redactor.
func NewRedactor() *Redactor {
	return &Redactor{execs: map[string]*redaction{}}
}

// Record notes that the execution in meta read the secret name with this
// value. Its signature is SecretsModule's onRead. Empty values are not
// recorded: there is nothing to cut.
func (r *Redactor) Record(meta engine.Meta, name, value string) {
	if value == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.execs[meta.ExecutionID]
	if x == nil {
		x = &redaction{names: map[string]string{}}
		r.execs[meta.ExecutionID] = x
	}
	for _, v := range jsonForms(value) {
		if _, ok := x.names[v]; !ok {
			x.names[v] = name
			x.replacer = nil
		}
	}
}

// jsonForms returns value and its escaped forms inside a JSON string, as
// JSON.stringify writes them and as Go writes them (which also escapes
// <, > and &).
func jsonForms(value string) []string {
	forms := []string{value}
	for _, html := range []bool{false, true} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(value) // a string always encodes
		s := strings.TrimSuffix(buf.String(), "\n")
		s = s[1 : len(s)-1]
		if !slices.Contains(forms, s) {
			forms = append(forms, s)
		}
	}
	return forms
}

// Forget drops what was recorded for an execution.
func (r *Redactor) Forget(executionID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.execs, executionID)
}

// replacer returns the execution's replacer, or nil if it read no secret.
func (r *Redactor) replacer(executionID string) *strings.Replacer {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.execs[executionID]
	if x == nil {
		return nil
	}
	if x.replacer == nil {
		values := make([]string, 0, len(x.names))
		for v := range x.names {
			values = append(values, v)
		}
		// Longest first: strings.Replacer tries its pairs in order at each
		// position, so a secret that contains another is cut whole.
		sort.Slice(values, func(i, j int) bool {
			if len(values[i]) != len(values[j]) {
				return len(values[i]) > len(values[j])
			}
			return values[i] < values[j]
		})
		pairs := make([]string, 0, 2*len(values))
		for _, v := range values {
			pairs = append(pairs, v, "[REDACTED:"+x.names[v]+"]")
		}
		x.replacer = strings.NewReplacer(pairs...)
	}
	return x.replacer
}

// Redact returns s with the execution's secret values cut out.
func (r *Redactor) Redact(executionID, s string) string {
	rep := r.replacer(executionID)
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// RedactValue returns a JSON-like value (log fields, say) with the
// execution's secret values cut out of every string, object key and
// number's text; a number that held a secret becomes a string. It copies
// only what changes.
func (r *Redactor) RedactValue(executionID string, v any) any {
	rep := r.replacer(executionID)
	if rep == nil {
		return v
	}
	out, _ := redactValue(rep, v)
	return out
}

// RedactJSON is RedactValue for JSON text. Text without a secret comes back
// unchanged, byte for byte; text that is not valid JSON comes back as a
// JSON string of its redacted text.
func (r *Redactor) RedactJSON(executionID string, raw json.RawMessage) json.RawMessage {
	rep := r.replacer(executionID)
	if rep == nil || len(raw) == 0 {
		return raw
	}
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

// RedactExecution cuts the secrets read by execution e.ID out of its
// input, output, error and logs, in place.
func (r *Redactor) RedactExecution(e *kilntype.Execution) {
	rep := r.replacer(e.ID)
	if rep == nil {
		return
	}
	e.Input = r.RedactJSON(e.ID, e.Input)
	e.Output = r.RedactJSON(e.ID, e.Output)
	if e.Error != nil {
		redacted := *e.Error
		redacted.Message, redacted.Stack = rep.Replace(redacted.Message), rep.Replace(redacted.Stack)
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
