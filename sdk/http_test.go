package sdk

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
)

// seenRequest is what the test server received.
type seenRequest struct {
	Method, Path, Query, ContentType, Authorization, Body string
}

// httpBundle is an HTTPS test server on 127.0.0.1, an outbound client that
// allow-lists exactly it, and an engine exposing iota.http and fetch over
// that client.
type httpBundle struct {
	srv    *httptest.Server
	engine *engine.Engine

	mu   sync.Mutex
	seen []seenRequest
}

func setupHTTP(t *testing.T) *httpBundle {
	t.Helper()
	b := &httpBundle{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.seen = append(b.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(body)})
		b.mu.Unlock()
		if ct := r.URL.Query().Get("reply-type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		if r.URL.Query().Get("status") == "404" {
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = io.WriteString(w, r.URL.Query().Get("reply"))
	})
	mux.HandleFunc("/v1/charges", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.seen = append(b.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("Authorization"), string(body)})
		b.mu.Unlock()
		var charge map[string]any
		if err := json.Unmarshal(body, &charge); err != nil {
			http.Error(w, `{"error":"not JSON"}`, http.StatusBadRequest)
			return
		}
		charge["id"] = "ch_1"
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(charge)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	b.srv = httptest.NewTLSServer(mux)
	t.Cleanup(b.srv.Close)
	client, err := outbound.New(outbound.Config{
		Allow:     []string{b.srv.Listener.Addr().String()},
		TLSConfig: b.srv.Client().Transport.(*http.Transport).TLSClientConfig,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	b.engine, err = engine.New(engine.Config{Modules: []engine.Module{HTTPModule(client)}, Fetch: Fetch(client)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.engine.Close() })
	return b
}

// run compiles and invokes src once; BASE in src stands for the server's URL.
func (b *httpBundle) run(t *testing.T, src string) *engine.Result {
	t.Helper()
	src = strings.ReplaceAll(src, "BASE", b.srv.URL)
	ctx := context.Background()
	p, err := b.engine.Compile(ctx, engine.Source{Name: "main.js", Code: src, Files: fstest.MapFS{"main.js": {Data: []byte(src)}}})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	vm, err := b.engine.NewVM(ctx, p)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	return vm.Invoke(ctx, engine.InvokeParams{Meta: engine.Meta{TenantID: "acme", ExecutionID: "ex-1"}, Timeout: 5 * time.Second})
}

func (b *httpBundle) lastSeen(t *testing.T) seenRequest {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.seen) == 0 {
		t.Fatal("the server saw no request")
	}
	return b.seen[len(b.seen)-1]
}

// TestDesignExample runs the design's iota.http example verbatim, with the
// test server's URL for api.example.com.
func TestDesignExample(t *testing.T) {
	b := setupHTTP(t)
	res := b.run(t, `export default async function (input, ctx) {
  const key = 'sk_test_123';
  const response = await iota.http.post('BASE/v1/charges', {
    headers: { Authorization: `+"`Bearer ${key}`"+` },
    body: { amount: 1000, currency: 'usd' },
  });
  return { status: response.status, type: response.headers['content-type'], id: response.body.id, amount: response.body.amount };
}`)
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, res.Err.Stack)
	}
	if want := `{"status":200,"type":"application/json; charset=utf-8","id":"ch_1","amount":1000}`; string(res.Value) != want {
		t.Fatalf("got %s, want %s", res.Value, want)
	}
	seen := b.lastSeen(t)
	var body map[string]any
	if err := json.Unmarshal([]byte(seen.Body), &body); err != nil {
		t.Fatalf("the server did not get JSON: %q", seen.Body)
	}
	if seen.Method != "POST" || seen.Path != "/v1/charges" || seen.ContentType != "application/json" ||
		seen.Authorization != "Bearer sk_test_123" || body["amount"] != 1000.0 || body["currency"] != "usd" || len(body) != 2 {
		t.Fatalf("server saw %+v", seen)
	}
	if len(res.HostCalls) != 1 || res.HostCalls[0].Name != "iota.http.post" || res.HostCalls[0].Error != "" {
		t.Fatalf("host calls %+v", res.HostCalls)
	}
}

func TestHTTPCalls(t *testing.T) {
	b := setupHTTP(t)
	tests := []struct {
		name, src, want string
		seen            seenRequest // Body "-" skips the check
	}{
		{name: "get with query appended and JSON parsed",
			src: `export default async () => { const r = await iota.http.get('BASE/items?page=2', {query: {tag: ['a b', 'c'], limit: 10, draft: false, skip: null,
				reply: '{"ok":true}', 'reply-type': 'application/json'}});
				delete r.headers.date; return r }`,
			want: `{"body":{"ok":true},"headers":{"content-length":"11","content-type":"application/json","x-multi":"a, b"},"status":200}`,
			seen: seenRequest{Method: "GET", Path: "/items", Query: "page=2&draft=false&limit=10&reply=%7B%22ok%22%3Atrue%7D&reply-type=application%2Fjson&tag=a+b&tag=c"}},
		{name: "+json is parsed",
			src:  `export default async () => (await iota.http.get('BASE/', {query: {reply: '[1,2]', 'reply-type': 'application/problem+json'}})).body`,
			want: `[1,2]`, seen: seenRequest{Method: "GET", Path: "/", Query: "reply=%5B1%2C2%5D&reply-type=application%2Fproblem%2Bjson"}},
		{name: "text stays text",
			src:  `export default async () => (await iota.http.get('BASE/', {query: {reply: '{"a":1}', 'reply-type': 'text/plain'}})).body`,
			want: `"{\"a\":1}"`, seen: seenRequest{Method: "GET", Path: "/", Body: "-", Query: "-"}},
		{name: "JSON that does not parse stays text",
			src:  `export default async () => (await iota.http.get('BASE/', {query: {reply: '{oops', 'reply-type': 'application/json'}})).body`,
			want: `"{oops"`, seen: seenRequest{Method: "GET", Path: "/", Query: "-"}},
		{name: "empty JSON is null",
			src:  `export default async () => (await iota.http.get('BASE/', {query: {'reply-type': 'application/json'}})).body`,
			want: `null`, seen: seenRequest{Method: "GET", Path: "/", Query: "-"}},
		{name: "a 404 is a result",
			src:  `export default async () => { const r = await iota.http.delete('BASE/gone', {query: {status: 404, reply: 'no'}}); return [r.status, r.body] }`,
			want: `[404,"no"]`, seen: seenRequest{Method: "DELETE", Path: "/gone", Query: "-"}},
		{name: "string body as-is",
			src:  `export default async () => (await iota.http.put('BASE/doc', {body: '<a/>'})).status`,
			want: `200`, seen: seenRequest{Method: "PUT", Path: "/doc", ContentType: "text/plain;charset=UTF-8", Body: "<a/>"}},
		{name: "a given content type wins",
			src:  `export default async () => (await iota.http.put('BASE/doc', {body: '<a/>', headers: {'content-type': 'application/xml'}})).status`,
			want: `200`, seen: seenRequest{Method: "PUT", Path: "/doc", ContentType: "application/xml", Body: "<a/>"}},
		{name: "patch sends JSON arrays",
			src:  `export default async () => (await iota.http.patch('BASE/p', {body: [1, 'two', {three: 3}], headers: {'X-N': 1}})).status`,
			want: `200`, seen: seenRequest{Method: "PATCH", Path: "/p", ContentType: "application/json", Body: `[1,"two",{"three":3}]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.run(t, tt.src)
			if res.Err != nil || string(res.Value) != tt.want {
				t.Fatalf("got %s %v, want %s", res.Value, res.Err, tt.want)
			}
			got := b.lastSeen(t)
			if tt.seen.Body == "-" {
				got.Body, tt.seen.Body = "", ""
			}
			if tt.seen.Query == "-" {
				got.Query, tt.seen.Query = "", ""
			}
			if got != tt.seen {
				t.Fatalf("server saw\n %+v\nwant\n %+v", got, tt.seen)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	b := setupHTTP(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	blocked := "http://" + l.Addr().String() + "/"
	_ = l.Close()
	tests := []struct {
		name, src, code, msg string
		calls                int
	}{
		{"SSRF", `export default () => iota.http.get('` + blocked + `')`, "SSRF_BLOCKED",
			"iota.http.get: request to " + strings.TrimSuffix(strings.TrimPrefix(blocked, "http://"), "/") + " refused: loopback addresses are blocked; an operator can allow it with --http-allow", 1},
		{"metadata", `export default () => iota.http.get('http://169.254.169.254/latest/meta-data/')`, "SSRF_BLOCKED", "cloud metadata", 1},
		{"scheme", `export default () => iota.http.get('file:///etc/passwd')`, "INVALID_URL", "only http and https", 1},
		{"timeout", `export default () => iota.http.get('BASE/slow', {timeout: 50})`, "TIMEOUT", "50ms timeout", 1},
		{"no URL", `export default () => iota.http.get()`, "INVALID_ARGUMENT", "iota.http.get: the URL is missing", 1},
		{"URL not a string", `export default () => iota.http.post(42)`, "INVALID_ARGUMENT", "the URL must be a string, not a number", 1},
		{"options not an object", `export default () => iota.http.post('BASE/', 'x')`, "INVALID_ARGUMENT", "the options must be an object", 1},
		{"unknown option", `export default () => iota.http.post('BASE/', {header: {}})`, "INVALID_ARGUMENT", `unknown option "header": the options are body, headers, query, timeout`, 1},
		{"bad timeout", `export default () => iota.http.get('BASE/', {timeout: -1})`, "INVALID_ARGUMENT", "timeout must be a positive number of milliseconds", 1},
		{"bad header value", `export default () => iota.http.get('BASE/', {headers: {a: {b: 1}}})`, "INVALID_ARGUMENT", `header "a": must be a string, number or boolean, not an object`, 1},
		{"bad query", `export default () => iota.http.get('BASE/', {query: 'a=1'})`, "INVALID_ARGUMENT", "query must be an object", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.run(t, `const f = `+strings.TrimPrefix(tt.src, "export default ")+`;
				export default async () => { try { await f(); return "no error" } catch (e) { return [e instanceof Error, e.code, e.message] } }`)
			var got []any
			if res.Err != nil || json.Unmarshal(res.Value, &got) != nil || len(got) != 3 {
				t.Fatalf("got %s %v", res.Value, res.Err)
			}
			if got[0] != true || got[1] != tt.code || !strings.Contains(got[2].(string), tt.msg) {
				t.Fatalf("got %v, want %s containing %q", got, tt.code, tt.msg)
			}
			if len(res.HostCalls) != tt.calls || res.HostCalls[0].Error != engine.Code(tt.code) {
				t.Fatalf("host calls %+v", res.HostCalls)
			}
		})
	}
}

func TestHTTPUncaughtErrorKeepsCode(t *testing.T) {
	b := setupHTTP(t)
	res := b.run(t, `export default async () => { await iota.http.get('http://10.0.0.1/') }`)
	if e := res.Err; e == nil || e.Code != "SSRF_BLOCKED" || !strings.Contains(e.Message, "private addresses are blocked") {
		t.Fatalf("got %v", res.Err)
	}
}
