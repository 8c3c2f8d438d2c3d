package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// local is a folder with scripts and a data folder for kiln run.
type local struct {
	dir, data string
}

func setupLocal(t *testing.T) *local {
	t.Helper()
	dir := t.TempDir()
	return &local{dir: dir, data: filepath.Join(dir, "data")}
}

// write creates a file in the folder and returns its path.
func (l *local) write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(l.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs kiln run FILE with the data folder and args, and fails the test
// unless it exits with code.
func (l *local) run(t *testing.T, code int, file string, args ...string) (stdout, stderr string) {
	t.Helper()
	got, stdout, stderr := run(t, append([]string{"run", file, "--data", l.data}, args...)...)
	if got != code {
		t.Fatalf("kiln run %s %q: exit %d, want %d\nstdout: %s\nstderr: %s", filepath.Base(file), args, got, code, stdout, stderr)
	}
	return stdout, stderr
}

// canonJSON re-encodes one JSON value with sorted keys.
func canonJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRunDBPersistsAcrossRuns(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "users.ts", `export default async (input: {name: string}, ctx: KilnContext) => {
  await iota.db.insert('users', { name: input.name, active: true });
  await iota.db.insert('users', { name: 'gone', active: false });
  const active = await iota.db.query('users', { where: { active: true }, orderBy: 'name' });
  return { names: active.map((u: any) => u.name), count: await iota.db.count('users', { active: true }), tenant: ctx.tenantId };
}`)
	var first, second, fresh struct {
		Count  int
		Names  []string
		Tenant string
	}
	out, _ := l.run(t, ExitOK, script, "--input", `{"name":"Ada"}`)
	if err := json.Unmarshal([]byte(out), &first); err != nil || first.Count != 1 || strings.Join(first.Names, ",") != "Ada" || first.Tenant == "" {
		t.Fatalf("first run: %s (%v)", out, err)
	}
	out, _ = l.run(t, ExitOK, script, "--input", `{"name":"Grace"}`)
	if err := json.Unmarshal([]byte(out), &second); err != nil || second.Count != 2 || strings.Join(second.Names, ",") != "Ada,Grace" || second.Tenant != first.Tenant {
		t.Fatalf("the second run must see the first one's rows, as the same tenant (%s): %s (%v)", first.Tenant, out, err)
	}
	if info, err := os.Stat(l.data); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("the data folder: %v, %v", info, err)
	}
	// Another data folder is another world.
	other := &local{dir: l.dir, data: filepath.Join(l.dir, "other")}
	out, _ = other.run(t, ExitOK, script, "--input", `{"name":"Linus"}`)
	if err := json.Unmarshal([]byte(out), &fresh); err != nil || fresh.Count != 1 || strings.Join(fresh.Names, ",") != "Linus" {
		t.Fatalf("a fresh data folder: %s (%v)", out, err)
	}
}

func TestRunCache(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "cache.js", `export default async () => {
  const before = await iota.cache.get('greeting');
  await iota.cache.set('greeting', { text: 'hello' }, 3600);
  return { before, hits: await iota.cache.increment('hits'), deleted: await iota.cache.delete('nothing') };
}`)
	out, _ := l.run(t, ExitOK, script)
	if want := `{"before":null,"deleted":false,"hits":1}`; canonJSON(t, out) != want {
		t.Fatalf("first run: %s, want %s", out, want)
	}
	out, _ = l.run(t, ExitOK, script)
	if want := `{"before":{"text":"hello"},"deleted":false,"hits":2}`; canonJSON(t, out) != want {
		t.Fatalf("second run: %s, want %s", out, want)
	}
}

func TestRunSecrets(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	// The script leaks its secret every way it can print it; the printed
	// logs, events and error must carry none of it.
	script := l.write(t, "secret.ts", `export default async (input: {fail?: boolean}) => {
  const key = await iota.secrets.get('STRIPE_KEY');
  console.log('the key is ' + key);
  iota.log.warn('fields', { key, json: JSON.stringify({ key }) });
  await iota.events.publish('key.read', { key });
  if (input?.fail) throw new Error('failed with ' + key);
  return { tail: key.slice(-4) };
}`)
	noLeak := func(t *testing.T, stderr string, values ...string) {
		t.Helper()
		for _, v := range values {
			if strings.Contains(stderr, v) {
				t.Fatalf("the secret %q was printed:\n%s", v, stderr)
			}
		}
		if !strings.Contains(stderr, "[REDACTED:STRIPE_KEY]") {
			t.Fatalf("want the redaction marker in stderr:\n%s", stderr)
		}
	}
	envFile := l.write(t, "dev.env", "# secrets for local runs\nexport STRIPE_KEY=\"sk_from_env_file_1111\"\n\nOTHER_KEY='x'\n")

	out, stderr := l.run(t, ExitOK, script, "--secret", "STRIPE_KEY=sk_from_flag_2222")
	if canonJSON(t, out) != `{"tail":"2222"}` {
		t.Fatalf("--secret: %s", out)
	}
	noLeak(t, stderr, "sk_from_flag_2222")

	out, stderr = l.run(t, ExitOK, script, "--env-file", envFile)
	if canonJSON(t, out) != `{"tail":"1111"}` {
		t.Fatalf("--env-file: %s", out)
	}
	noLeak(t, stderr, "sk_from_env_file_1111")

	out, _ = l.run(t, ExitOK, script, "--env-file", envFile, "--secret", "STRIPE_KEY=sk_flag_wins_3333")
	if canonJSON(t, out) != `{"tail":"3333"}` {
		t.Fatalf("--secret must win over --env-file: %s", out)
	}

	_, stderr = l.run(t, ExitFailed, script, "--secret", "STRIPE_KEY=sk_in_error_4444", "--input", `{"fail":true}`)
	noLeak(t, stderr, "sk_in_error_4444")
	if !strings.Contains(stderr, "failed with [REDACTED:STRIPE_KEY]") {
		t.Fatalf("the error line must be printed, redacted:\n%s", stderr)
	}

	// Without a secret, the message says how to give one.
	_, stderr = l.run(t, ExitFailed, script)
	if !strings.Contains(stderr, "error NOT_FOUND") || !strings.Contains(stderr, "pass --secret STRIPE_KEY=VALUE") {
		t.Fatalf("a missing secret: %s", stderr)
	}

	// Saved secrets are sealed in the data folder and read by later runs;
	// flags still win.
	_, stderr = l.run(t, ExitOK, script, "--secret", "STRIPE_KEY=sk_saved_5555", "--save-secrets")
	if !strings.Contains(stderr, "saved STRIPE_KEY in "+l.data) {
		t.Fatalf("--save-secrets: %s", stderr)
	}
	out, stderr = l.run(t, ExitOK, script)
	if canonJSON(t, out) != `{"tail":"5555"}` {
		t.Fatalf("a saved secret: %s", out)
	}
	noLeak(t, stderr, "sk_saved_5555")
	if out, _ := l.run(t, ExitOK, script, "--secret", "STRIPE_KEY=sk_over_saved_6666"); canonJSON(t, out) != `{"tail":"6666"}` {
		t.Fatalf("--secret must win over a saved secret: %s", out)
	}
	db, err := os.ReadFile(filepath.Join(l.data, "kiln.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), "sk_saved_5555") {
		t.Fatal("the saved secret is in kiln.db in clear text")
	}
	if info, err := os.Stat(filepath.Join(l.data, "secret.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v, %v", info, err)
	}

	// With another key the saved secret does not open: the script sees
	// INTERNAL, as in the server, and kiln run says why.
	if err := os.WriteFile(filepath.Join(l.data, "secret.key"), []byte(strings.Repeat("A", 43)+"=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr = l.run(t, ExitFailed, script)
	if !strings.Contains(stderr, "error INTERNAL") || !strings.Contains(stderr, "kiln: secret STRIPE_KEY saved in "+l.data+" does not open with this key") {
		t.Fatalf("a saved secret under another key: %s", stderr)
	}
}

func TestRunEvents(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	publisher := l.write(t, "publish.ts", `export default async () => {
  const id = await iota.events.publish('order.created', { id: 42 });
  await iota.events.publish('audit.entry', { what: 'order' });
  return { id };
}`)
	handler := l.write(t, "on_order.ts", `export default async (event: any, ctx: KilnContext) => {
  console.log('handling ' + event.type + ' ' + event.id + ' as ' + ctx.trigger);
  if (event.type === 'order.created') await iota.events.publish('order.shipped', { id: event.payload.id });
  return { type: event.type, payload: event.payload, occurred: typeof event.occurredAt };
}`)
	failing := l.write(t, "on_fail.js", `export default () => { throw new Error('handler broke') }`)

	// Without --on, events are printed, not run.
	out, stderr := l.run(t, ExitOK, publisher)
	var res struct{ ID string }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ID == "" {
		t.Fatalf("publish returns the event id: %s (%v)", out, err)
	}
	if !strings.Contains(stderr, `[event] published order.created {"id":42} (id `+res.ID+")") ||
		!strings.Contains(stderr, `[event] published audit.entry {"what":"order"}`) {
		t.Fatalf("published events must be printed:\n%s", stderr)
	}

	// --on runs the matching scripts, and those their events reach.
	out, stderr = l.run(t, ExitOK, publisher, "--on", "order.>="+handler)
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"[event] delivering order.created (id " + res.ID + ") to " + handler,
		"[info] handling order.created " + res.ID + " as event",
		`[event] ` + handler + ` returned {"type":"order.created","payload":{"id":42},"occurred":"string"}`,
		"[event] delivering order.shipped",
		"[info] handling order.shipped",
		"audit.entry {\"what\":\"order\"} (id ",
		"no --on script matches it",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(out, "handling") || strings.Count(out, "\n") != 1 {
		t.Fatalf("stdout must hold the result only: %q", out)
	}

	// A failing event script fails the run, after the result is printed.
	out, stderr = l.run(t, ExitFailed, publisher, "--on", "order.created="+failing)
	if !strings.Contains(out, `"id"`) || !strings.Contains(stderr, "error RUNTIME_ERROR at on_fail.js") || !strings.Contains(stderr, "on_fail.js failed on order.created") {
		t.Fatalf("stdout %q stderr:\n%s", out, stderr)
	}

	// A script that publishes what it handles is stopped.
	loop := l.write(t, "loop.js", `export default async () => { await iota.events.publish('loop.again', {}) }`)
	_, stderr = l.run(t, ExitFailed, loop, "--on", "loop.*="+loop)
	if !strings.Contains(stderr, "stopped after 100 event script runs") {
		t.Fatalf("a loop of events: %s", stderr[max(0, len(stderr)-500):])
	}

	// An invalid type fails the call as the server's queue would.
	bad := l.write(t, "bad.js", `export default async () => { await iota.events.publish('Order Created', {}) }`)
	if _, stderr := l.run(t, ExitFailed, bad); !strings.Contains(stderr, "error INVALID_ARGUMENT") || !strings.Contains(stderr, "dot-separated segments") {
		t.Fatalf("an invalid event type: %s", stderr)
	}
}

func TestRunLog(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "log.ts", `export default () => {
  iota.log.debug('starting');
  iota.log.info('order paid', { orderId: 42 });
  iota.log.warn({ odd: true });
  iota.log.error('two\nlines');
  console.error('from console');
}`)
	out, stderr := l.run(t, ExitOK, script)
	if out != "null\n" {
		t.Fatalf("stdout %q", out)
	}
	want := "[debug] starting\n[info] order paid {\"orderId\":42}\n[warn] {\"odd\":true}\n[error] two\n    lines\n[error] from console\n"
	if stderr != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

// echo is a script that returns what it was called with.
const echo = `export default (input: unknown, ctx: KilnContext) => ({ input, trigger: ctx.trigger, attempt: ctx.attempt })`

func TestRunTriggerHTTP(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "echo.ts", echo)
	tests := []struct {
		name string
		args []string
		want string // the input, as canonical JSON
		note string
	}{
		{"defaults", nil, `{"body":null,"headers":{},"method":"GET","params":{},"path":"/","query":{}}`, ""},
		{"a JSON body is parsed and POSTed",
			[]string{"--path", "/orders/42", "--param", "id=42", "--query", "status=open", "--query", "status=closed", "--query", "empty=",
				"--header", "X-Request-Id: abc", "--header", "x-request-id: def", "--input", `{"total":1999}`},
			`{"body":{"total":1999},"headers":{"content-type":"application/json","x-request-id":"abc, def"},"method":"POST","params":{"id":"42"},"path":"/orders/42","query":{"empty":"","status":"open"}}`, ""},
		{"a text body stays text", []string{"--method", "put", "--input", "hello"},
			`{"body":"hello","headers":{},"method":"PUT","params":{},"path":"/","query":{}}`, ""},
		{"JSON with another content type stays text", []string{"--header", "Content-Type: text/plain", "--input", `{"a":1}`},
			`{"body":"{\"a\":1}","headers":{"content-type":"text/plain"},"method":"POST","params":{},"path":"/","query":{}}`, ""},
		{"+json is JSON", []string{"--header", "Content-Type: application/vnd.api+json", "--input", `[1]`},
			`{"body":[1],"headers":{"content-type":"application/vnd.api+json"},"method":"POST","params":{},"path":"/","query":{}}`, ""},
		{"Authorization and Cookie are kept from the script", []string{"--header", "Authorization: Bearer x", "--header", "cookie: a=b"},
			`{"body":null,"headers":{},"method":"GET","params":{},"path":"/","query":{}}`, "--header Authorization is not passed to the script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr := l.run(t, ExitOK, script, append([]string{"--trigger", "http"}, tt.args...)...)
			var got struct {
				Input   json.RawMessage
				Trigger string
				Attempt int
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if canonJSON(t, string(got.Input)) != tt.want || got.Trigger != "http" || got.Attempt != 1 {
				t.Fatalf("got %s (trigger %s)\nwant %s", canonJSON(t, string(got.Input)), got.Trigger, tt.want)
			}
			if !strings.Contains(stderr, tt.note) {
				t.Fatalf("stderr %q lacks %q", stderr, tt.note)
			}
		})
	}
}

func TestRunTriggerEventCronManual(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "echo.ts", echo)
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}`
	rfc3339 := `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`
	tests := []struct {
		args []string
		want string // a regexp of the whole output
	}{
		{[]string{"--trigger", "event", "--event-type", "order.created", "--input", `{"id":42}`},
			`^\{"input":\{"id":"` + uuid + `","type":"order.created","payload":\{"id":42\},"occurredAt":"` + rfc3339 + `"\},"trigger":"event","attempt":1\}$`},
		{[]string{"--trigger", "event", "--event-type", "ping"},
			`^\{"input":\{"id":"` + uuid + `","type":"ping","payload":null,"occurredAt":"` + rfc3339 + `"\},"trigger":"event","attempt":1\}$`},
		{[]string{"--trigger", "cron"}, `^\{"input":\{"scheduledAt":"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z"\},"trigger":"cron","attempt":1\}$`},
		{[]string{"--input", `[1,"two"]`}, `^\{"input":\[1,"two"\],"trigger":"manual","attempt":1\}$`},
		{nil, `^\{"input":null,"trigger":"manual","attempt":1\}$`},
	}
	for _, tt := range tests {
		out, _ := l.run(t, ExitOK, script, tt.args...)
		if !regexp.MustCompile(tt.want).MatchString(strings.TrimSpace(out)) {
			t.Errorf("%q: got %s\nwant %s", tt.args, out, tt.want)
		}
	}
}

func TestRunOutbound(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"method":%q}`, r.Method)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	script := l.write(t, "call.ts", `export default async (input: {url: string, via: string}) => {
  if (input.via === 'fetch') {
    const r = await fetch(input.url, { method: 'POST' });
    return { status: r.status, body: await r.json() };
  }
  const r = await iota.http.post(input.url, { body: { a: 1 } });
  return { status: r.status, body: r.body };
}`)
	for _, via := range []string{"fetch", "iota.http"} {
		input := fmt.Sprintf(`{"url":%q,"via":%q}`, srv.URL+"/charge", via)
		_, stderr := l.run(t, ExitFailed, script, "--input", input)
		if !strings.Contains(stderr, "error SSRF_BLOCKED") || !strings.Contains(stderr, "refused: loopback addresses are blocked") || !strings.Contains(stderr, "--http-allow") {
			t.Fatalf("%s to %s without --http-allow: %s", via, host, stderr)
		}
		out, _ := l.run(t, ExitOK, script, "--input", input, "--http-allow", "10.9.9.9/32, "+host)
		if canonJSON(t, out) != `{"body":{"method":"POST"},"status":200}` {
			t.Fatalf("%s with --http-allow %s: %s", via, host, out)
		}
	}
}

func TestRunFlagErrors(t *testing.T) {
	t.Parallel()
	l := setupLocal(t)
	script := l.write(t, "ok.ts", `export default () => 1`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--trigger", "webhook"}, `--trigger "webhook": use one of manual, http, event, cron`},
		{[]string{"--method", "POST"}, "--method only applies with --trigger http"},
		{[]string{"--trigger", "event", "--event-type", "x", "--path", "/"}, "--path only applies with --trigger http"},
		{[]string{"--event-type", "order.created"}, "--event-type only applies with --trigger event"},
		{[]string{"--trigger", "event"}, "--trigger event needs --event-type"},
		{[]string{"--trigger", "event", "--event-type", "Order Created"}, `--event-type "Order Created" must be`},
		{[]string{"--trigger", "event", "--event-type", "a.b", "--input", "{bad"}, "--input is not valid JSON"},
		{[]string{"--trigger", "cron", "--input", "{}"}, "--trigger cron takes no --input"},
		{[]string{"--trigger", "http", "--method", "BREW"}, `--method "BREW": use one of GET, POST`},
		{[]string{"--trigger", "http", "--path", "orders"}, `--path "orders" must start with /`},
		{[]string{"--trigger", "http", "--path", "/orders?x=1"}, "pass query parameters with --query"},
		{[]string{"--trigger", "http", "--query", "novalue"}, `--query "novalue": write NAME=VALUE`},
		{[]string{"--trigger", "http", "--param", "=1"}, `--param "=1": write NAME=VALUE`},
		{[]string{"--trigger", "http", "--header", "NoColon"}, `--header "NoColon": write a header as 'Name: value'`},
		{[]string{"--trigger", "http", "--header", "Bad Name: x"}, `--header "Bad Name: x"`},
		{[]string{"--trigger", "http", "--header", "Content-Type: application/json", "--input", "{nope"}, "is sent with Content-Type application/json but is not JSON"},
		{[]string{"--secret", "STRIPE_KEY"}, `--secret "STRIPE_KEY": write NAME=VALUE`},
		{[]string{"--secret", "stripe_key=x"}, `--secret: secret name "stripe_key" is not valid`},
		{[]string{"--secret", "BIG=" + strings.Repeat("x", 65<<10)}, "--secret: secret BIG is 66560 bytes; the limit is 65536"},
		{[]string{"--env-file", filepath.Join(l.dir, "missing.env")}, "--env-file " + filepath.Join(l.dir, "missing.env") + ": cannot read it"},
		{[]string{"--env-file", l.write(t, "bad.env", "GOOD=1\nno equals sign\n")}, "bad.env:2: write NAME=VALUE"},
		{[]string{"--env-file", l.write(t, "lower.env", "lower=1\n")}, `lower.env:1: secret name "lower" is not valid`},
		{[]string{"--save-secrets"}, "--save-secrets saves the secrets given with --secret or --env-file"},
		{[]string{"--on", "order.created"}, `--on "order.created": write PATTERN=FILE`},
		{[]string{"--on", "Order=" + script}, `"Order" is not an event pattern`},
		{[]string{"--on", "a.>.b=" + script}, `"a.>.b" is not an event pattern`},
		{[]string{"--on", "a=" + filepath.Join(l.dir, "none.ts")}, "cannot read"},
		{[]string{"--on", "a=" + l.write(t, "h.py", "")}, "must be a .ts, .js, .mjs or .cjs file"},
		{[]string{"--http-allow", "example.com:443"}, "--http-allow: allow entry \"example.com:443\""},
		{[]string{"--data", " "}, "--data must name a folder"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, append([]string{"run", script}, tt.args...)...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

// TestRunREADMEScript runs the script under "What a script can do" in
// README.md as it is. It calls https://api.example.com, which may not
// resolve here: it must then fail cleanly with an outbound error code,
// never crash.
func TestRunREADMEScript(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(readme), "## What a script can do")
	_, block, _ := strings.Cut(after, "```ts\n")
	block, _, _ = strings.Cut(block, "```")
	if !strings.Contains(block, "iota.http.post") {
		t.Fatalf("README's example script not found: %q", block)
	}
	l := setupLocal(t)
	script := l.write(t, "readme.ts", block)

	_, stderr := l.run(t, ExitFailed, script)
	if !strings.Contains(stderr, "error NOT_FOUND") || !strings.Contains(stderr, "pass --secret STRIPE_KEY=VALUE") {
		t.Fatalf("without STRIPE_KEY: %s", stderr)
	}
	code, stdout, stderr := run(t, "run", script, "--data", l.data, "--secret", "STRIPE_KEY=sk_test_readme_7777", "--timeout", "20s")
	switch {
	case strings.Contains(stderr, "sk_test_readme_7777"):
		t.Fatalf("the secret was printed: %s", stderr)
	case strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine "):
		t.Fatalf("crashed: %s", stderr)
	case code == ExitOK: // the network answered
		if !strings.Contains(stdout, `"users":0`) {
			t.Fatalf("stdout %s", stdout)
		}
	case code == ExitFailed:
		if !regexp.MustCompile(`error (NETWORK_ERROR|TIMEOUT|SSRF_BLOCKED)\b.*iota\.http\.post: `).MatchString(stderr) {
			t.Fatalf("want a clear outbound error, got: %s", stderr)
		}
	default:
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestRunFlagsDocumented: every flag of kiln run has a row in docs/cli.md.
func TestRunFlagsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^\s+--([a-z-]+)`).FindAllStringSubmatch(newRunCommand(nil, nil).Flags().FlagUsages(), -1)
	if len(flags) < 10 {
		t.Fatalf("found %d flags in kiln run's usage", len(flags))
	}
	for _, f := range flags {
		if !strings.Contains(string(doc), "| `--"+f[1]+"` |") {
			t.Errorf("--%s is not in docs/cli.md's table of kiln run's flags", f[1])
		}
	}
}
