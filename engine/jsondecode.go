package engine

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"
)

// decodeJSON turns JSON text into plain JS values directly, preserving key
// order as JSON.parse does. goja's JSON.parse goes through encoding/json's
// token stream, which costs more than the rest of a warm invocation; this
// is the hot path for every input. Anything unusual (invalid text, deep
// nesting) returns an error and the caller falls back to JSON.parse.
func decodeJSON(rt *goja.Runtime, data []byte) (goja.Value, error) {
	d := jsonDecoder{rt: rt, data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, errJSONFallback
	}
	return v, nil
}

var errJSONFallback = errors.New("use JSON.parse")

// errInputMemory: the values decoded so far leave nothing of the memory
// limit. Building objects from Go outside a run, the meter cannot stop the
// decoder itself (goja's patch 7: its stop waits for the run), so the
// decoder asks every memoryCheckValues values.
var errInputMemory = errors.New("the input does not fit in the memory limit")

const memoryCheckValues = 1024

const maxJSONDepth = 512

type jsonDecoder struct {
	rt     *goja.Runtime
	data   []byte
	pos    int
	values int // decoded, for the memory checks
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (goja.Value, error) {
	if depth > maxJSONDepth {
		return nil, errJSONFallback
	}
	if d.values++; d.values%memoryCheckValues == 0 && d.rt.MemoryRemaining() == 0 {
		return nil, errInputMemory
	}
	d.space()
	if d.pos >= len(d.data) {
		return nil, errJSONFallback
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return goja.NewStringValue(s), nil
	case c == 't':
		return d.literal("true", d.rt.ToValue(true))
	case c == 'f':
		return d.literal("false", d.rt.ToValue(false))
	case c == 'n':
		return d.literal("null", goja.Null())
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, errJSONFallback
}

func (d *jsonDecoder) literal(word string, v goja.Value) (goja.Value, error) {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return nil, errJSONFallback
	}
	d.pos += len(word)
	return v, nil
}

func (d *jsonDecoder) number() (goja.Value, error) {
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.pos++
			continue
		}
		break
	}
	text := d.data[start:d.pos]
	if !json.Valid(text) {
		return nil, errJSONFallback
	}
	if n, err := strconv.ParseInt(string(text), 10, 64); err == nil && n >= -(1<<53) && n <= 1<<53 {
		return d.rt.ToValue(n), nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return nil, errJSONFallback
	}
	return d.rt.ToValue(f), nil
}

// str reads a string; escapes and non-ASCII text take encoding/json's path.
func (d *jsonDecoder) str() (string, error) {
	start := d.pos
	d.pos++
	simple := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if simple {
				return string(d.data[start+1 : d.pos-1]), nil
			}
			var s string
			if err := json.Unmarshal(d.data[start:d.pos], &s); err != nil {
				return "", errJSONFallback
			}
			return s, nil
		case c == '\\':
			simple = false
			d.pos += 2
			continue
		case c < 0x20:
			return "", errJSONFallback
		case c >= utf8.RuneSelf:
			simple = false
		}
		d.pos++
	}
	return "", errJSONFallback
}

func (d *jsonDecoder) object(depth int) (goja.Value, error) {
	obj := d.rt.NewObject()
	d.pos++
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return obj, nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, errJSONFallback
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, errJSONFallback
		}
		d.pos++
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		// Defined, as JSON.parse does: __proto__ is an own property and
		// no setter on Object.prototype is called.
		if err := obj.CreateDataProperty(key, v); err != nil {
			return nil, errJSONFallback
		}
		done, err := d.separator('}')
		if err != nil {
			return nil, err
		}
		if done {
			return obj, nil
		}
	}
}

// separator reads the ',' between members, or the closing bracket (done).
func (d *jsonDecoder) separator(closing byte) (done bool, err error) {
	d.space()
	if d.pos >= len(d.data) {
		return false, errJSONFallback
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		return false, nil
	case closing:
		d.pos++
		return true, nil
	}
	return false, errJSONFallback
}

func (d *jsonDecoder) array(depth int) (goja.Value, error) {
	d.pos++
	var items []any
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return d.rt.NewArray(), nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		done, err := d.separator(']')
		if err != nil {
			return nil, err
		}
		if done {
			return d.rt.NewArray(items...), nil
		}
	}
}
