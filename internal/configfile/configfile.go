// Package configfile reads a JSON config file into a config struct
// strictly: an unknown key, a key given twice or a value of the wrong type
// is an error that names the key's full path and its line, and suggests
// the nearest valid key. Durations are strings ("5s", "250ms") and byte
// sizes are strings with a unit ("64MiB") or whole numbers of bytes.
//
// It works by reflection over the struct type, so a new field is a new key
// with nothing else to change; Keys lists them, and the rules for names and
// kinds are on Keys and Kind.
package configfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Decode reads the JSON object data into *dst, a pointer to a struct,
// setting the fields the file names and leaving the others as they are. A
// key whose value is null is left as it is too. name is the file's name as
// the person gave it, for messages: unknown key "pool.maxVM" in kiln.json
// (line 3); did you mean "pool.maxVMs"?
func Decode(name string, data []byte, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("configfile: Decode needs a pointer to a struct, not %T", dst)
	}
	root, err := schemaOf(v.Elem().Type())
	if err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // some editors start files with a byte order mark
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s is empty: a config file is one JSON object; write {} for no settings", name)
	}
	d := &decoder{name: name, data: data, root: root, dst: v.Elem(), dec: json.NewDecoder(bytes.NewReader(data))}
	d.dec.UseNumber()
	tok, err := d.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("%s must hold one JSON object, {...}, not %s", name, describeToken(tok))
	}
	if err := d.object(root); err != nil {
		return err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return fmt.Errorf("%s has more after the object's closing } (line %d): a config file is one JSON object", name, d.line())
	}
	return nil
}

type decoder struct {
	name string
	data []byte
	root *node
	dst  reflect.Value // the struct the root object fills
	dec  *json.Decoder
}

// token reads the next token, explaining a syntax error.
func (d *decoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if err == nil {
		return tok, nil
	}
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		// The streaming decoder's offsets lag behind the bad byte;
		// Unmarshal's count the bytes read up to and including it.
		var whole *json.SyntaxError
		if errors.As(json.Unmarshal(d.data, new(any)), &whole) {
			syntax = whole
		}
		at := max(0, int(syntax.Offset)-1)
		line, col := d.position(at)
		rest := d.data[at:]
		if bytes.HasPrefix(rest, []byte("//")) || bytes.HasPrefix(rest, []byte("/*")) || bytes.HasPrefix(rest, []byte("#")) {
			return nil, fmt.Errorf("%s has a comment at line %d, column %d, and JSON has no comments: remove it", d.name, line, col)
		}
		return nil, fmt.Errorf("%s is not valid JSON: line %d, column %d: %w", d.name, line, col, syntax)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%s ends too soon: a closing } or ], or the end of a value, is missing", d.name)
	}
	return nil, fmt.Errorf("%s is not valid JSON (line %d): %w", d.name, d.line(), err)
}

// position is the line and column (from 1) of byte offset at.
func (d *decoder) position(at int) (line, col int) {
	at = min(at, len(d.data))
	before := d.data[:at]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = 1 + at - (bytes.LastIndexByte(before, '\n') + 1)
	return line, col
}

// line is the line of the token read last.
func (d *decoder) line() int {
	line, _ := d.position(int(d.dec.InputOffset()))
	return line
}

// object reads the keys of object n into their fields; its { is read.
func (d *decoder) object(n *node) error {
	seen := map[string]int{}
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return err
		}
		key := tok.(string) // inside an object, More means a key comes next
		line := d.line()
		path := join(n.path, key)
		if first, ok := seen[key]; ok {
			return fmt.Errorf("key %q appears twice in %s (lines %d and %d): keep one", path, d.name, first, line)
		}
		seen[key] = line
		c := n.byKey[key]
		if c == nil {
			return d.unknown(n, key, line)
		}
		if err := d.value(c, d.dst.FieldByIndex(c.index), path, false); err != nil {
			return err
		}
	}
	_, err := d.token() // the closing }
	return err
}

// value reads one value of schema n into v; path is for messages. A null
// leaves a field as it is; in a list it is an error.
func (d *decoder) value(n *node, v reflect.Value, path string, inList bool) error {
	tok, err := d.token()
	if err != nil {
		return err
	}
	line := d.line()
	if tok == nil && !inList {
		return nil
	}
	wrong := func() error {
		return fmt.Errorf("%q in %s (line %d) must be %s, not %s", path, d.name, line, n.kind.describe(), describeToken(tok))
	}
	switch n.kind {
	case Object:
		if tok != json.Delim('{') {
			return wrong()
		}
		return d.object(n)
	case List:
		if tok != json.Delim('[') {
			return wrong()
		}
		list := reflect.MakeSlice(v.Type(), 0, 0)
		for i := 0; d.dec.More(); i++ {
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(n.elem, elem, fmt.Sprintf("%s[%d]", path, i), true); err != nil {
				return err
			}
			list = reflect.Append(list, elem)
		}
		if _, err := d.token(); err != nil { // the closing ]
			return err
		}
		v.Set(list)
		return nil
	}
	if _, ok := tok.(json.Delim); ok {
		return wrong()
	}
	switch n.kind {
	case String:
		s, ok := tok.(string)
		if !ok {
			return wrong()
		}
		v.SetString(s)
	case Bool:
		b, ok := tok.(bool)
		if !ok {
			return wrong()
		}
		v.SetBool(b)
	case Float:
		num, ok := tok.(json.Number)
		if !ok {
			return wrong()
		}
		f, err := num.Float64()
		if err != nil || v.OverflowFloat(f) {
			return fmt.Errorf("%q in %s (line %d) is too large: %s", path, d.name, line, num)
		}
		v.SetFloat(f)
	case Duration:
		s, ok := tok.(string)
		if !ok {
			if _, isNum := tok.(json.Number); isNum {
				return fmt.Errorf("%q in %s (line %d) must be a duration written as a string with a unit, such as \"30s\" or \"250ms\", not the bare number %s", path, d.name, line, tok)
			}
			return wrong()
		}
		dur, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q in %s (line %d) must be %s, not %q", path, d.name, line, n.kind.describe(), s)
		}
		v.SetInt(int64(dur))
	case Size:
		switch t := tok.(type) {
		case string:
			size, err := ParseSize(t)
			if err != nil {
				return fmt.Errorf("%q in %s (line %d) must be %s, not %q", path, d.name, line, n.kind.describe(), t)
			}
			return d.setInt(v, size, path, line, tok)
		case json.Number:
			size, err := strconv.ParseInt(t.String(), 10, 64)
			if err != nil || size < 0 {
				return wrong()
			}
			return d.setInt(v, size, path, line, tok)
		}
		return wrong()
	case Int:
		num, ok := tok.(json.Number)
		if !ok {
			return wrong()
		}
		i, err := strconv.ParseInt(num.String(), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q in %s (line %d) is too large: %s", path, d.name, line, num)
		} else if err != nil {
			return wrong() // 2.5, 1e3
		}
		return d.setInt(v, i, path, line, tok)
	}
	return nil
}

// setInt stores i in integer value v, refusing what v cannot hold.
func (d *decoder) setInt(v reflect.Value, i int64, path string, line int, tok json.Token) error {
	if v.CanUint() {
		if i < 0 {
			return fmt.Errorf("%q in %s (line %d) must not be negative, not %s", path, d.name, line, describeToken(tok))
		}
		if v.OverflowUint(uint64(i)) {
			return fmt.Errorf("%q in %s (line %d) is too large: %s", path, d.name, line, describeToken(tok))
		}
		v.SetUint(uint64(i))
		return nil
	}
	if v.OverflowInt(i) {
		return fmt.Errorf("%q in %s (line %d) is too large: %s", path, d.name, line, describeToken(tok))
	}
	v.SetInt(i)
	return nil
}

// unknown explains key, which object n does not have.
func (d *decoder) unknown(n *node, key string, line int) error {
	path := join(n.path, key)
	if n.hidden[strings.ToLower(key)] {
		return fmt.Errorf("key %q in %s (line %d) cannot be set in a config file; docs/server.md says how to set it", path, d.name, line)
	}
	msg := fmt.Sprintf("unknown key %q in %s (line %d)", path, d.name, line)
	if near := nearest(d.root, n, key); near != "" {
		return fmt.Errorf("%s; did you mean %q?", msg, near)
	}
	keys := make([]string, len(n.children))
	for i, c := range n.children {
		keys[i] = c.key
	}
	where := "at the top level"
	if n.path != "" {
		where = fmt.Sprintf("under %q", n.path)
	}
	return fmt.Errorf("%s; the keys %s are %s", msg, where, strings.Join(keys, ", "))
}

// nearest suggests the key meant by key, an unknown key in object n: the
// closest of n's keys by edit distance (ignoring case) if one is close
// enough, else a key elsewhere in the file whose last part is key (a key
// put at the wrong level).
func nearest(root, n *node, key string) string {
	lower := strings.ToLower(key)
	best, bestDist := "", max(2, len(key)/3)+1
	for _, c := range n.children {
		if dist := levenshtein(lower, strings.ToLower(c.key)); dist < bestDist {
			best, bestDist = c.path, dist
		}
	}
	if best != "" {
		return best
	}
	var found []string
	var walk func(o *node)
	walk = func(o *node) {
		for _, c := range o.children {
			if strings.EqualFold(c.key, key) {
				found = append(found, c.path)
			}
			if c.kind == Object {
				walk(c)
			}
		}
	}
	walk(root)
	if len(found) == 1 {
		return found[0]
	}
	return ""
}

// levenshtein is the edit distance between a and b, in bytes.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describeToken names a JSON value for a message: the string "64", the
// number 64, true, a list, an object.
func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case string:
		return "the string " + strconv.Quote(t)
	case json.Number:
		return "the number " + t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	case json.Delim:
		if t == '[' {
			return "a list, [...]"
		}
		return "an object, {...}"
	}
	return fmt.Sprint(tok)
}
