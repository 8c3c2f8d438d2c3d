package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/secrets"
)

// The tests in this file keep iota.d.ts (DTS) in step with what scripts
// really see. They are named TestDts* so `go test ./sdk -run Dts` runs
// them alone.

// serverModules returns the modules kiln serve and kiln run register
// (Modules), over test doubles: the same functions under the same names.
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
	return Modules(ModulesConfig{Store: st, Secrets: box, Outbound: client, Publish: publish})
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
	// iota.tasks is the engine's own, in task scripts.
	maps.Copy(registered, engine.TaskFunctions)
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
var undeclaredGlobals = map[string]string{}

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
	input, _ := json.Marshal(map[string]any{"classes": classes, "objects": sortedKeys(objects), "names": probeEngine(t).GlobalNames()})
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
// properties once every name the engine lists has been read, and the
// members of the classes and objects named in its input.
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
  // Globals are built on first read: read every name the engine lists,
  // so each must resolve to an own property of globalThis.
  for (const name of input.names) void globalThis[name];
  return { globals: own(globalThis), classes, objects };
}`

// runProbe runs probeSource in a VM of an engine with the server's modules
// and returns its result.
// probeEngine is an engine with the server's modules.
func probeEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{Modules: serverModules(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func runProbe(t *testing.T, input []byte) []byte {
	t.Helper()
	e := probeEngine(t)
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
