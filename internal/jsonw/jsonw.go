// Package jsonw appends JSON to byte slices without reflection, for the
// hot paths that write the same small shapes many times a second (an
// event's envelope, an HTTP trigger's input). Its output is what
// encoding/json would write, less the HTML escaping of <, > and &.
package jsonw

import (
	"encoding/json"
	"slices"
)

// String appends s quoted, taking the fast path for the plain ASCII that
// ids, paths and most header values are.
func String(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// StringMap appends m as an object with its keys in order, as
// encoding/json writes a map.
func StringMap(buf []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return append(buf, "{}"...)
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = String(buf, k)
		buf = append(buf, ':')
		buf = String(buf, m[k])
	}
	return append(buf, '}')
}
