package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dop251/goja"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/secrets"
)

// The tests in this file keep iota.d.ts (DTS) in step with what scripts
// really see. They are named TestDts* so `go test ./sdk -run Dts` runs
// them alone.

// serverModules returns the modules kiln serve registers (server/app.go),
// over test doubles: the same functions under the same names.
func serverModules(t *testing.T) []engine.Module {
	t.Helper()
	st := openStore(t)
	client, err := outbound.New(outbound.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	publish := func(context.Context, string, string, json.RawMessage) (string, error) { return "ev-1", nil }
	return []engine.Module{HTTPModule(client), EventsModule(publish),
		DBModule(st, DBOptions{}), CacheModule(st, CacheOptions{}),
		SecretsModule(st, box, nil), LogModule()}
}

// TestDtsSDK requires iota.d.ts to declare exactly the host functions the
// server registers, each returning a Promise exactly when it is async.
func TestDtsSDK(t *testing.T) {
	t.Parallel()
	d := parseDTS(t, DTS)
	registered := map[string]bool{} // name → async
	for _, m := range serverModules(t) {
		for _, f := range m.Funcs {
			registered[f.Name] = f.Async
		}
	}
	if len(d.funcs) == 0 {
		t.Fatal("found no function in iota.d.ts's namespace iota: is the extractor broken?")
	}
	for _, name := range sortedKeys(registered) {
		returns, ok := d.funcs[name]
		if !ok {
			ns, fn := name[:strings.LastIndex(name, ".")], name[strings.LastIndex(name, ".")+1:]
			hint := "`export function " + fn + "(…)`"
			if fn == "delete" {
				hint = "`function delete_(…)` and `export { delete_ as delete }` (delete is a reserved word)"
			}
			t.Errorf("%s is registered by the SDK but not declared in iota.d.ts: add %s to namespace %s", name, hint, ns)
			continue
		}
		for _, ret := range returns {
			if promise := strings.HasPrefix(ret, "Promise<"); promise != registered[name] {
				kind := "sync"
				if registered[name] {
					kind = "async"
				}
				t.Errorf("%s is %s in Go but iota.d.ts says it returns %s", name, kind, ret)
			}
		}
	}
	for _, name := range sortedKeys(d.funcs) {
		if _, ok := registered[name]; !ok {
			t.Errorf("iota.d.ts declares %s, which no SDK module registers: remove it, or register it", name)
		}
	}
}

// undeclaredGlobals are globals a VM has that iota.d.ts leaves out on
// purpose, with the reason.
var undeclaredGlobals = map[string]string{
	"require": "the sandbox's stub that fails with SANDBOX_VIOLATION; imports of the script's own files are bundled and never reach it",
}

// TestDtsGlobals requires every global a real VM has beyond goja's
// ECMAScript built-ins to be declared in iota.d.ts, every value iota.d.ts
// declares to exist in the VM, and the members of each declared class and
// object to match the VM's: no missing method, no invented one.
func TestDtsGlobals(t *testing.T) {
	t.Parallel()
	d := parseDTS(t, DTS)

	builtins := map[string]bool{}
	bare, err := goja.New().RunString("Object.getOwnPropertyNames(globalThis)")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range bare.Export().([]any) {
		builtins[name.(string)] = true
	}

	// What to ask the VM about: every class, and every object declared as
	// `declare var x: SomeInterface` (and objects behind their members'
	// interface types, such as crypto.subtle).
	classes := sortedKeys(d.classes)
	objects := map[string]string{} // path → interface
	var walk func(path, iface string)
	walk = func(path, iface string) {
		objects[path] = iface
		for name, m := range d.interfaces[iface].members {
			if _, isIface := d.interfaces[m.typ]; isIface && m.typ != "" {
				walk(path+"."+name, m.typ)
			}
		}
	}
	for name, g := range d.globals {
		if _, isIface := d.interfaces[g.varType]; g.kinds["var"] && isIface {
			walk(name, g.varType)
		}
	}
	input, _ := json.Marshal(map[string]any{"classes": classes, "objects": sortedKeys(objects)})
	var vm struct {
		Globals []string
		Classes map[string]struct{ Statics, Proto []string }
		Objects map[string][]string
	}
	if err := json.Unmarshal(runProbe(t, input), &vm); err != nil {
		t.Fatal(err)
	}

	inVM := map[string]bool{}
	for _, name := range vm.Globals {
		inVM[name] = true
		if builtins[name] || name == "iota" {
			continue
		}
		if _, ok := undeclaredGlobals[name]; ok {
			continue
		}
		if !d.globals[name].isValue() {
			t.Errorf("the VM has a global %s that iota.d.ts does not declare (as declare var/const/function/class)", name)
		}
	}
	for _, name := range sortedKeys(d.globals) {
		if d.globals[name].isValue() && !inVM[name] {
			t.Errorf("iota.d.ts declares a global %s, which the VM does not have", name)
		}
		if builtins[name] && d.globals[name].isValue() {
			t.Errorf("iota.d.ts declares %s, an ECMAScript built-in that lib es2022 already declares", name)
		}
	}
	for name, why := range undeclaredGlobals {
		if !inVM[name] {
			t.Errorf("undeclaredGlobals lists %s (%s), but the VM no longer has it: drop it from the list", name, why)
		}
		if d.globals[name].isValue() {
			t.Errorf("undeclaredGlobals lists %s, but iota.d.ts declares it", name)
		}
	}

	for _, name := range classes {
		got, ok := vm.Classes[name]
		if !ok {
			continue // reported above as a missing global
		}
		c := d.classes[name]
		compareMembers(t, "iota.d.ts class "+name, name+".prototype", c.members, got.Proto, "constructor")
		compareMembers(t, "iota.d.ts class "+name+" (static)", name, c.statics, got.Statics, "length", "name", "prototype")
	}
	for _, path := range sortedKeys(objects) {
		got, ok := vm.Objects[path]
		if !ok {
			continue
		}
		compareMembers(t, "iota.d.ts interface "+objects[path], path, d.interfaces[objects[path]].members, got, "constructor")
	}
}

// compareMembers reports members the VM has that the declaration lacks, and
// declared ones the VM lacks. ignore lists VM names that are no members.
func compareMembers(t *testing.T, decl, vmPath string, declared map[string]dtsMember, vmNames []string, ignore ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, n := range vmNames {
		if !slices.Contains(ignore, n) {
			have[n] = true
		}
	}
	var missing, extra []string
	for _, n := range sortedKeys(have) {
		if _, ok := declared[n]; !ok {
			missing = append(missing, n)
		}
	}
	for _, n := range sortedKeys(declared) {
		if !have[n] {
			extra = append(extra, n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s has %s, which %s does not declare", vmPath, strings.Join(missing, ", "), decl)
	}
	if len(extra) > 0 {
		t.Errorf("%s declares %s, which %s does not have", decl, strings.Join(extra, ", "), vmPath)
	}
}

// probeSource lists, from inside a real VM, the global object's own
// properties and the members of the classes and objects named in its input.
const probeSource = `export default function (input) {
  const own = (o) => Object.getOwnPropertyNames(o);
  const chain = (o) => {
    const out = new Set();
    for (let p = o; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) own(p).forEach((n) => out.add(n));
    return [...out];
  };
  const classes = {};
  for (const name of input.classes) {
    const c = globalThis[name];
    if (typeof c === 'function') classes[name] = { statics: own(c), proto: own(c.prototype) };
  }
  const objects = {};
  for (const path of input.objects) {
    const o = path.split('.').reduce((o, k) => (o == null ? o : o[k]), globalThis);
    if (o != null) objects[path] = chain(o);
  }
  return { globals: own(globalThis), classes, objects };
}`

// runProbe runs probeSource in a VM of an engine with the server's modules
// and returns its result.
func runProbe(t *testing.T, input []byte) []byte {
	t.Helper()
	e, err := engine.New(engine.Config{Modules: serverModules(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	ctx := context.Background()
	p, err := e.Compile(ctx, engine.Source{Name: "probe.js", Code: probeSource, Files: fstest.MapFS{"probe.js": {Data: []byte(probeSource)}}})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	res := vm.Invoke(ctx, engine.InvokeParams{Input: input, Meta: engine.Meta{TenantID: "acme", Trigger: "manual"}, Timeout: 10 * time.Second})
	if res.Err != nil {
		t.Fatalf("probe: %v\n%s", res.Err, res.Err.Stack)
	}
	return res.Value
}

// TestDtsTypeCheck type-checks iota.d.ts with the examples, and a script
// that uses every part of it, with the TypeScript compiler from ui/ (run
// `npm ci` in ui/). Without one it skips, unless CI=true.
func TestDtsTypeCheck(t *testing.T) {
	t.Parallel()
	tsc := findTSC(t)
	dts, err := filepath.Abs("iota.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Abs(filepath.Join("..", "examples"))
	if err != nil {
		t.Fatal(err)
	}

	// The config is written here, not kept in examples/: internal/cli's
	// TestExamples runs every examples/*.* file as a script.
	t.Run("examples", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(examples, "*.ts"))
		if len(files) == 0 {
			t.Skip("no TypeScript examples")
		}
		// tsc --lib es2022 --strict on iota.d.ts and the .ts examples (with
		// the files they import).
		runTSC(t, tsc, writeTSConfig(t, map[string]any{
			"target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "lib": []string{"ES2022"}, "strict": true,
		}, append([]string{dts}, files...)))
	})

	t.Run("JavaScript examples as the editor checks them", func(t *testing.T) {
		var files []string
		for _, ext := range []string{"js", "mjs", "cjs"} {
			m, _ := filepath.Glob(filepath.Join(examples, "*."+ext))
			files = append(files, m...)
		}
		if len(files) == 0 {
			t.Skip("no JavaScript examples")
		}
		// The admin UI's Monaco options (ui/src/monaco/setup.ts).
		runTSC(t, tsc, writeTSConfig(t, map[string]any{
			"target": "ES2020", "module": "ESNext", "moduleResolution": "bundler", "lib": []string{"ES2022"},
			"allowJs": true, "checkJs": true, "strict": false, "noImplicitAny": false, "strictNullChecks": true,
		}, append([]string{dts}, files...)))
	})

	t.Run("usage", func(t *testing.T) {
		dir := t.TempDir()
		usage := filepath.Join(dir, "usage.ts")
		host := filepath.Join(dir, "host.d.ts")
		if err := os.WriteFile(usage, []byte(usageSource), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(host, []byte(hostDTS), 0o600); err != nil {
			t.Fatal(err)
		}
		runTSC(t, tsc, writeTSConfig(t, map[string]any{
			"target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "lib": []string{"ES2022"}, "strict": true,
		}, []string{dts, host, usage}))
	})
}

// hostDTS is how an embedding host adds its functions.
const hostDTS = `declare namespace iota.host {
  function lookupCustomer(id: string): Promise<{ name: string }>;
}
`

// usageSource uses the contract types, the SDK as DESIGN.md writes it
// (those calls must run verbatim) and the web globals, and checks with
// @ts-expect-error that mistakes are caught.
const usageSource = `export default async function (input: HttpInput<{ name?: string }>, ctx: KilnContext): Promise<HttpResult | Response> {
  const users = await iota.db.query('users', { limit: 10, where: { active: true } });
  const url = 'https://api.example.com/hook';
  const headers = { authorization: 'Bearer ' + (await iota.secrets.get('API_KEY')) };
  const body = { name: input.body?.name ?? 'anonymous', users: users.map((u) => u.id) };
  const res = await iota.http.post(url, { headers, body });
  const status: number = res.status;
  await iota.http.delete(url, { query: { id: [1, 2], dryRun: true }, timeout: 500 });
  const typed = await iota.db.query<{ name: string }>('users', {
    where: { 'address.city': 'Paris', age: { $gte: 18, $lt: 65 }, $or: [{ vip: true }, { tags: { $contains: 'beta' } }] },
    orderBy: ['name desc', 'createdAt'],
    offset: 10,
  });
  const name: string = typed[0]?.name ?? '';
  const doc = await iota.db.insert('orders', { total: 1999 });
  const updated = await iota.db.update<{ total: number }>('orders', doc.id, { total: 2999 });
  const existed: boolean = await iota.db.delete('orders', updated.id);
  const n: number = await iota.db.count('orders', { total: { $in: [1, 2] } });
  const maybe = await iota.db.get('orders', 'o1');
  await iota.cache.set('rates', { eur: 1 }, 3600);
  const rates = await iota.cache.get<{ eur: number }>('rates');
  const hits: number = await iota.cache.increment('hits:' + ctx.scriptId, 1, 60);
  const gone: boolean = await iota.cache.delete('rates');
  const eventId: string = await iota.events.publish('order.created', { id: 42 });
  iota.log.info('done', { status, name, existed, n, found: maybe !== null, eur: rates?.eur, hits, gone, eventId });
  const customer = await iota.host.lookupCustomer('c1');
  console.log(customer.name, ctx.tenantId, ctx.version, ctx.attempt);

  const controller = new AbortController();
  const r = await fetch(new URL('https://example.com/items'), {
    method: 'POST', headers: [['x-id', '1']], body: new URLSearchParams({ a: '1' }),
    signal: AbortSignal.any([controller.signal, AbortSignal.timeout(1000)]),
  });
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(await r.text()));
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  const id = setTimeout(() => controller.abort(), 10);
  clearTimeout(id);
  await new Promise((resolve) => setTimeout(resolve, 1));
  queueMicrotask(() => {});
  const copy = structuredClone({ at: new Date(), n: performance.now() });
  const b64 = btoa(atob('aGk='));
  try {
    await iota.db.update('users', 'nobody', { active: false });
  } catch (err) {
    if ((err as KilnError).code === 'NOT_FOUND') return { status: 404, body: 'no such user' };
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
  }

  // @ts-expect-error iota.log is synchronous
  const p: Promise<void> = iota.log.warn('x');
  // @ts-expect-error query's options are where, orderBy, limit and offset
  await iota.db.query('users', { limt: 10 });
  // @ts-expect-error an AbortSignal comes from AbortController or its static methods
  new AbortSignal();
  // @ts-expect-error there are no Blobs
  await r.blob();
  // @ts-expect-error an HttpResult needs a status
  const noStatus: HttpResult = { body: 'x' };
  void [p, noStatus];

  if (ctx.trigger === 'http') return Response.json({ hex, uuid: crypto.randomUUID(), copy, b64 }, { status: 200 });
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: hex };
}

export function onEvent(event: EventInput<{ id: number }>, ctx: KilnContext): number {
  return event.payload.id + ctx.attempt + Date.parse(event.occurredAt);
}

export function onSchedule(input: CronInput): number {
  return Date.parse(input.scheduledAt);
}
`

// findTSC returns the TypeScript compiler to use: ui/'s, else one on PATH.
func findTSC(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs(filepath.Join("..", "ui", "node_modules", ".bin", "tsc")); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("tsc"); err == nil {
		return p
	}
	msg := "no TypeScript compiler: run `npm ci` in ui/ (it provides ui/node_modules/.bin/tsc) to type-check iota.d.ts"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// writeTSConfig writes a tsconfig.json with the given compiler options and
// files to a temporary folder and returns its path.
func writeTSConfig(t *testing.T, options map[string]any, files []string) string {
	t.Helper()
	options["noEmit"] = true
	options["types"] = []string{}
	cfg := map[string]any{"compilerOptions": options, "files": files}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tsconfig.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runTSC(t *testing.T, tsc, project string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, tsc, "-p", project, "--pretty", "false").CombinedOutput()
	if err != nil {
		t.Errorf("tsc -p %s: %v\n%s", project, err, out)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// ---------------------------------------------------------------------------
// A small extractor for iota.d.ts. It understands the subset of TypeScript
// declaration syntax the file uses: top-level declarations, namespaces
// (nested and dotted), classes and interfaces with their members, function
// signatures, and `export { a as b }` in namespaces. It fails the test on
// what it cannot follow, rather than guessing.
// ---------------------------------------------------------------------------

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
