package sdk

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// dtsFile is what the extractor found.
type dtsFile struct {
	// globals are the top-level declarations by name.
	globals map[string]dtsGlobal
	// classes and interfaces are the top-level ones, by name.
	classes    map[string]*dtsShape
	interfaces map[string]*dtsShape
	// funcs are the functions in namespace iota and below, by dotted name
	// ("iota.db.query"), with the return type of each signature.
	funcs map[string][]string
}

type dtsGlobal struct {
	kinds   map[string]bool // "function", "var", "const", "let", "class", "namespace", "interface", "type"
	varType string          // for `declare var x: T`, T if it is a plain name
}

// isValue reports whether the declaration makes a value at run time.
func (g dtsGlobal) isValue() bool {
	for _, k := range []string{"function", "var", "const", "let", "class", "namespace"} {
		if g.kinds[k] {
			return true
		}
	}
	return false
}

type dtsShape struct {
	members map[string]dtsMember // instance members (interfaces: all)
	statics map[string]dtsMember
}

type dtsMember struct {
	typ string // a property's type when it is a plain name, else ""
}

type dtsToken struct {
	text string
	line int
}

// tokenizeDTS splits TypeScript source into identifiers, numbers,
// punctuation ("=>" is one token) and literals; comments are dropped and
// string and template literals become one token each, so that braces
// inside them do not count.
func tokenizeDTS(t *testing.T, src string) []dtsToken {
	t.Helper()
	var toks []dtsToken
	line := 1
	isIdent := func(c byte, first bool) bool {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				t.Fatalf("iota.d.ts:%d: unterminated comment", line)
			}
			line += strings.Count(src[i:i+2+end], "\n")
			i += end + 4
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				if j < len(src) && src[j] == '\n' {
					t.Fatalf("iota.d.ts:%d: unterminated string", line)
				}
				j++
			}
			toks = append(toks, dtsToken{src[i : j+1], line})
			i = j + 1
		case c == '`':
			j, depth := i+1, 0
			for ; j < len(src); j++ {
				switch {
				case src[j] == '\\':
					j++
				case strings.HasPrefix(src[j:], "${"):
					depth++
					j++
				case src[j] == '}' && depth > 0:
					depth--
				case src[j] == '`' && depth == 0:
					goto done
				}
			}
			t.Fatalf("iota.d.ts:%d: unterminated template literal", line)
		done:
			toks = append(toks, dtsToken{"`template`", line})
			line += strings.Count(src[i:j], "\n")
			i = j + 1
		case isIdent(c, true):
			j := i + 1
			for j < len(src) && isIdent(src[j], false) {
				j++
			}
			toks = append(toks, dtsToken{src[i:j], line})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.' || src[j] == '_') {
				j++
			}
			toks = append(toks, dtsToken{src[i:j], line})
			i = j
		case strings.HasPrefix(src[i:], "=>"):
			toks = append(toks, dtsToken{"=>", line})
			i += 2
		default:
			toks = append(toks, dtsToken{string(c), line})
			i++
		}
	}
	return toks
}

type dtsFrame struct {
	kind  string   // "root", "namespace", "class", "interface", "block" (a declaration not recorded), "other" (braces inside a type)
	path  []string // a namespace's path ("iota", "db")
	shape *dtsShape
	// at is true where a statement or member may start.
	at bool
	// header is the block the next "{" opens: a namespace, class or
	// interface just declared at this level.
	header     *dtsFrame
	funcs      []dtsFunc
	exportList map[string]string // local name → exported name
}

type dtsFunc struct {
	name     string
	exported bool
	returns  string
}

// parseDTS extracts the declarations of src; see dtsFile.
func parseDTS(t *testing.T, src string) *dtsFile {
	t.Helper()
	toks := tokenizeDTS(t, src)
	d := &dtsFile{globals: map[string]dtsGlobal{}, classes: map[string]*dtsShape{}, interfaces: map[string]*dtsShape{}, funcs: map[string][]string{}}
	fail := func(i int, format string, args ...any) {
		t.Helper()
		line := 0
		if i < len(toks) {
			line = toks[i].line
		}
		t.Fatalf("iota.d.ts:%d: "+format, append([]any{line}, args...)...)
	}
	tok := func(i int) string {
		if i < len(toks) {
			return toks[i].text
		}
		return ""
	}
	ident := func(i int) string {
		s := tok(i)
		if s == "" || !(s[0] == '_' || s[0] == '$' || s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
			fail(i, "expected a name, found %q", s)
		}
		return s
	}
	global := func(name, kind string) *dtsGlobal {
		g := d.globals[name]
		if g.kinds == nil {
			g.kinds = map[string]bool{}
		}
		g.kinds[kind] = true
		d.globals[name] = g
		return &g
	}
	shape := func(m map[string]*dtsShape, name string) *dtsShape {
		if m[name] == nil {
			m[name] = &dtsShape{members: map[string]dtsMember{}, statics: map[string]dtsMember{}}
		}
		return m[name]
	}
	// skipTo returns the index of the first token at or after i that is in
	// stops at bracket depth 0 ((), [], {}, and <> when angles is set).
	skipTo := func(i int, angles bool, stops ...string) int {
		depth := 0
		for ; i < len(toks); i++ {
			s := toks[i].text
			if depth == 0 && slices.Contains(stops, s) {
				return i
			}
			switch s {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				depth--
			case "<":
				if angles {
					depth++
				}
			case ">":
				if angles {
					depth--
				}
			}
			if depth < 0 {
				fail(i, "unbalanced %q", s)
			}
		}
		fail(i, "unexpected end of file looking for %v", stops)
		return i
	}
	// signature reads `<…>(…): R` at i and returns R's text and the index of
	// the token that ends the declaration (";").
	signature := func(i int) (string, int) {
		if tok(i) == "<" {
			i = skipTo(i+1, true, ">") + 1
		}
		if tok(i) != "(" {
			fail(i, "expected a parameter list, found %q", tok(i))
		}
		i = skipTo(i+1, false, ")") + 1
		if tok(i) != ":" {
			fail(i, "a function needs a return type")
		}
		end := skipTo(i+1, true, ";")
		var ret strings.Builder
		for _, tk := range toks[i+1 : end] {
			ret.WriteString(tk.text)
		}
		return ret.String(), end
	}

	stack := []*dtsFrame{{kind: "root", at: true}}
	for i := 0; i < len(toks); i++ {
		f := stack[len(stack)-1]
		s := toks[i].text
		switch s {
		case "{":
			next := f.header
			if next == nil {
				next = &dtsFrame{kind: "other"}
			}
			f.header = nil
			next.at = true
			stack = append(stack, next)
			continue
		case "}":
			if len(stack) == 1 {
				fail(i, "unbalanced }")
			}
			stack = stack[:len(stack)-1]
			if f.kind == "namespace" {
				d.closeNamespace(f)
			}
			if f.kind != "other" {
				stack[len(stack)-1].at = true
			}
			continue
		case ";":
			f.at = true
			f.header = nil
			continue
		}
		if !f.at {
			continue
		}
		f.at = false
		switch f.kind {
		case "root", "namespace":
			exported := false
			for tok(i) == "declare" || tok(i) == "export" {
				exported = exported || tok(i) == "export"
				i++
			}
			switch kw := tok(i); kw {
			case "function":
				name := ident(i + 1)
				ret, end := signature(i + 2)
				if f.kind == "root" {
					global(name, "function")
				} else {
					f.funcs = append(f.funcs, dtsFunc{name: name, exported: exported, returns: ret})
				}
				i = end - 1 // the ";" comes next
			case "var", "let", "const":
				name := ident(i + 1)
				if f.kind == "namespace" {
					fail(i, "%s %s in namespace %s: declare SDK members as functions", kw, name, strings.Join(f.path, "."))
				}
				g := global(name, kw)
				if tok(i+2) == ":" && tok(i+4) == ";" {
					g.varType = ident(i + 3)
					d.globals[name] = *g
				}
			case "class", "interface":
				name := ident(i + 1)
				if f.kind == "root" {
					global(name, kw)
					m := d.classes
					if kw == "interface" {
						m = d.interfaces
					}
					f.header = &dtsFrame{kind: kw, shape: shape(m, name)}
				} else {
					f.header = &dtsFrame{kind: "block"} // a type inside a namespace: not recorded
				}
			case "namespace", "module":
				path := slices.Clone(f.path)
				j := i + 1
				for {
					path = append(path, ident(j))
					if tok(j+1) != "." {
						break
					}
					j += 2
				}
				if f.kind == "root" {
					global(path[0], "namespace")
				}
				f.header = &dtsFrame{kind: "namespace", path: path}
				i = j
			case "type":
				if f.kind == "root" {
					global(ident(i+1), "type")
				}
			case "{":
				if !exported || f.kind != "namespace" {
					fail(i, "unexpected {")
				}
				if f.exportList == nil {
					f.exportList = map[string]string{}
				}
				j := i + 1
				for tok(j) != "}" {
					local, exportedAs := ident(j), ident(j)
					j++
					if tok(j) == "as" {
						exportedAs = ident(j + 1)
						j += 2
					}
					f.exportList[local] = exportedAs
					if tok(j) == "," {
						j++
					}
				}
				i = j // the list's "}" is consumed here, not as a block
				f.at = true
			default:
				fail(i, "unexpected %q at the start of a declaration", kw)
			}
		case "class", "interface":
			static := false
			for slices.Contains([]string{"static", "readonly", "private", "protected", "public", "declare", "abstract"}, tok(i)) &&
				tok(i+1) != "(" && tok(i+1) != ":" && tok(i+1) != "?" {
				static = static || tok(i) == "static"
				i++
			}
			switch tok(i) {
			case "[", "(", "<", "new":
				continue // index, call and construct signatures, and [Symbol.x] members
			case "constructor":
				continue
			}
			name := ident(i)
			if tok(i+1) == "?" {
				i++
			}
			var m dtsMember
			if tok(i+1) == ":" && tok(i+3) == ";" {
				m.typ = toks[i+2].text
			}
			if static {
				f.shape.statics[name] = m
			} else {
				f.shape.members[name] = m
			}
		}
	}
	if len(stack) != 1 {
		t.Fatalf("iota.d.ts: %d unclosed blocks", len(stack)-1)
	}
	return d
}

// closeNamespace records a namespace's functions under iota. As in
// TypeScript, a namespace with an export list exports only what is marked
// export or listed; one without exports every declaration.
func (d *dtsFile) closeNamespace(f *dtsFrame) {
	if f.path[0] != "iota" {
		return
	}
	prefix := strings.Join(f.path, ".") + "."
	for _, fn := range f.funcs {
		switch {
		case f.exportList == nil || fn.exported:
			d.funcs[prefix+fn.name] = append(d.funcs[prefix+fn.name], fn.returns)
		}
		if as, ok := f.exportList[fn.name]; ok {
			d.funcs[prefix+as] = append(d.funcs[prefix+as], fn.returns)
		}
	}
}

// TestDtsExtractor checks the extractor on the constructs iota.d.ts uses,
// so that a broken extractor cannot pass the drift tests vacuously.
func TestDtsExtractor(t *testing.T) {
	t.Parallel()
	d := parseDTS(t, `
// a { brace in a comment
/* and } another */
type T = { a: '{'; b: `+"`${string}}`"+` };
interface Console { log(...data: unknown[]): void; readonly sub: Sub; }
interface Sub { digest(x: { a: string; b: number }): Promise<ArrayBuffer>; }
declare var console: Console;
declare function fetch(input: string, init?: { a?: { b: 1 } }): Promise<Response>;
declare class Response extends Body {
  private constructor();
  static json(data: any, init?: { status?: number }): Response;
  readonly ok: boolean;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  text(): Promise<string>;
}
declare namespace iota {
  namespace db {
    export interface Where { [field: string]: string | undefined; $or?: Where[] }
    export function query<T extends object = Record<string, any>>(c: string, o?: { where?: Where }): Promise<T[]>;
    function delete_(c: string): Promise<boolean>;
    function hidden(): void;
    export { delete_ as delete };
  }
  namespace log {
    function info(message: unknown): void;
  }
  namespace host {}
}
declare namespace iota.host {
  function extra(): Promise<string>;
}
`)
	wantFuncs := map[string][]string{
		"iota.db.query":   {"Promise<T[]>"},
		"iota.db.delete":  {"Promise<boolean>"},
		"iota.log.info":   {"void"},
		"iota.host.extra": {"Promise<string>"},
	}
	if fmt.Sprint(d.funcs) != fmt.Sprint(wantFuncs) {
		t.Errorf("funcs = %v, want %v", d.funcs, wantFuncs)
	}
	var values, types []string
	for _, name := range sortedKeys(d.globals) {
		if d.globals[name].isValue() {
			values = append(values, name)
		} else {
			types = append(types, name)
		}
	}
	if got := strings.Join(values, " "); got != "Response console fetch iota" {
		t.Errorf("values = %s", got)
	}
	if got := strings.Join(types, " "); got != "Console Sub T" {
		t.Errorf("types = %s", got)
	}
	if got := d.globals["console"].varType; got != "Console" {
		t.Errorf("console's type = %q", got)
	}
	r := d.classes["Response"]
	if got := strings.Join(sortedKeys(r.members), " ") + " | " + strings.Join(sortedKeys(r.statics), " "); got != "ok text | json" {
		t.Errorf("Response members = %s", got)
	}
	c := d.interfaces["Console"]
	if got := strings.Join(sortedKeys(c.members), " "); got != "log sub" || c.members["sub"].typ != "Sub" {
		t.Errorf("Console members = %s (sub: %q)", got, c.members["sub"].typ)
	}
	if got := strings.Join(sortedKeys(d.interfaces["Sub"].members), " "); got != "digest" {
		t.Errorf("Sub members = %s", got)
	}
}
