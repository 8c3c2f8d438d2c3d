package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-run/kiln/outbound"
)

// fetchBundle is a test server on 127.0.0.1, an outbound client that allows
// exactly its port, and an engine whose fetch goes through that client.
type fetchBundle struct {
	srv       *httptest.Server
	engine    *Engine
	tenants   chan string // the tenant of each request the engine sent
	cancelled atomic.Int32
}

func setupFetch(t *testing.T) *fetchBundle {
	t.Helper()
	b := &fetchBundle{tenants: make(chan string, 64)}
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"hello":"world","n":[1,2]}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, r.Header.Get("Content-Type")+"|"+r.Header.Get("X-Token")+"|"+string(body))
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte{0, 1, 254, 255}) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/json", http.StatusFound) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			b.cancelled.Add(1)
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/delay", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		_, _ = io.WriteString(w, "late")
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	client, err := outbound.New(outbound.Config{Allow: []string{b.srv.Listener.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	b.engine = setup(t, Config{Fetch: func(ctx context.Context, m Meta, r FetchRequest) (*FetchResponse, error) {
		b.tenants <- m.TenantID
		return outboundFetch(ctx, client, m.TenantID, r)
	}})
	return b
}

// outboundFetch sends r through client as sdk.Fetch does (the engine's
// tests cannot import sdk, which imports the engine), so that these tests
// see the guard's real refusals and codes.
func outboundFetch(ctx context.Context, client *outbound.Client, tenant string, r FetchRequest) (*FetchResponse, error) {
	resp, err := client.Do(ctx, tenant, outbound.Request{Method: r.Method, URL: r.URL, Header: r.Header, Body: r.Body, Redirect: r.Redirect})
	var oe *outbound.Error
	if errors.As(err, &oe) {
		return nil, &Error{Code: oe.Code, Message: oe.Message}
	} else if err != nil {
		return nil, err
	}
	return &FetchResponse{Status: resp.Status, StatusText: resp.StatusText, Header: resp.Header, Body: resp.Body, URL: resp.URL, Redirected: resp.Redirected}, nil
}

// run invokes src with input {base: the server's URL}.
func (b *fetchBundle) run(t *testing.T, src string, timeout time.Duration) *Result {
	t.Helper()
	return runSource(t, b.engine, "fetch.js", src, map[string]any{"base": b.srv.URL},
		InvokeParams{Meta: Meta{TenantID: "acme", ExecutionID: "ex-1"}, Timeout: timeout})
}

func TestFetch(t *testing.T) {
	b := setupFetch(t)
	_, port, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	blocked := "http://127.0.0.1:1/" // loopback, not allow-listed
	if port == "1" {
		blocked = "http://127.0.0.1:2/"
	}
	tests := []struct {
		name, src, want    string
		wantErr, msgHas    string
		calls              []HostCallRecord // names and codes; durations ignored
		timeout            time.Duration
		serverSawCancelled bool
	}{
		{name: "GET and json()",
			src: `export default async ({base}) => { const r = await fetch(base + "/json");
				return [r.status, r.ok, r.statusText, r.headers.get("content-type"), r.url === base + "/json", r.redirected, await r.json()] }`,
			want:  `[200,true,"OK","application/json",true,false,{"hello":"world","n":[1,2]}]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "POST with headers and a string body, text()",
			src: `export default async ({base}) => { const r = await fetch(base + "/echo", {method: "POST", headers: {"X-Token": "t1"}, body: JSON.stringify({a: 1})});
				return [r.status, r.headers.get("x-method"), r.headers.get("x-multi"), await r.text()] }`,
			want:  `[202,"POST","a, b","text/plain;charset=UTF-8|t1|{\"a\":1}"]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "PATCH is sent as given, typed array body",
			src: `export default async ({base}) => { const r = await fetch(new Request(base + "/echo", {method: "PATCH", body: new TextEncoder().encode("hé")}));
				return [r.headers.get("x-method"), await r.text()] }`,
			want:  `["PATCH","||hé"]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "URLSearchParams body",
			src:   `export default async ({base}) => (await fetch(base + "/echo", {method: "PUT", body: new URLSearchParams({q: "a b"})})).text()`,
			want:  `"application/x-www-form-urlencoded;charset=UTF-8||q=a+b"`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "arrayBuffer()",
			src:   `export default async ({base}) => [...new Uint8Array(await (await fetch(base + "/bytes")).arrayBuffer())]`,
			want:  `[0,1,254,255]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "redirects are followed",
			src: `export default async ({base}) => { const r = await fetch(base + "/moved");
				return [r.redirected, r.url === base + "/json", (await r.json()).hello] }`,
			want:  `[true,true,"world"]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "redirect: manual",
			src: `export default async ({base}) => { const r = await fetch(base + "/moved", {redirect: "manual"});
				return [r.status, r.headers.get("location"), r.redirected] }`,
			want:  `[302,"/json",false]`,
			calls: []HostCallRecord{{Name: "fetch"}}},
		{name: "SSRF refusal is visible as err.code",
			src: `export default async () => { try { await fetch("` + blocked + `") } catch (e) {
				return [e instanceof TypeError, e.code, e.message] } }`,
			want:  `[true,"SSRF_BLOCKED","request to ` + strings.TrimSuffix(strings.TrimPrefix(blocked, "http://"), "/") + ` refused: loopback addresses are blocked; an operator can allow it with --http-allow"]`,
			calls: []HostCallRecord{{Name: "fetch", Error: "SSRF_BLOCKED"}}},
		{name: "an uncaught refusal keeps its code",
			src:     `export default async () => { await fetch("http://169.254.169.254/latest/meta-data/") }`,
			wantErr: "SSRF_BLOCKED", msgHas: "TypeError: request to 169.254.169.254:80 refused: cloud metadata addresses are blocked",
			calls: []HostCallRecord{{Name: "fetch", Error: "SSRF_BLOCKED"}}},
		{name: "other schemes are refused",
			src:   `export default async () => { try { await fetch("file:///etc/passwd") } catch (e) { return [e.name, e.code] } }`,
			want:  `["TypeError","INVALID_URL"]`,
			calls: []HostCallRecord{{Name: "fetch", Error: "INVALID_URL"}}},
		{name: "AbortSignal.timeout aborts the request",
			src: `export default async ({base}) => { const t0 = Date.now();
				try { await fetch(base + "/slow", {signal: AbortSignal.timeout(50)}) } catch (e) {
					return [e instanceof DOMException, e.name, Date.now() - t0 < 2000] } }`,
			want:               `[true,"TimeoutError",true]`,
			calls:              []HostCallRecord{{Name: "fetch", Error: CodeCancelled}},
			serverSawCancelled: true},
		{name: "AbortController aborts the request with its reason",
			src: `export default async ({base}) => { const c = new AbortController(); setTimeout(() => c.abort("stop"), 20);
				try { await fetch(base + "/slow", {signal: c.signal}) } catch (e) { return e } }`,
			want:               `"stop"`,
			calls:              []HostCallRecord{{Name: "fetch", Error: CodeCancelled}},
			serverSawCancelled: true},
		{name: "a fetch still running at the timeout is abandoned",
			// 1 s: long enough for a loaded machine to send the request
			// before the deadline; /slow answers after 5 s.
			src:     `export default async ({base}) => { await fetch(base + "/slow") }`,
			wantErr: "TIMEOUT", timeout: time.Second,
			// The deadline may reach the request (TIMEOUT) before the
			// invocation seals its records (CANCELLED).
			calls:              []HostCallRecord{{Name: "fetch", Error: "TIMEOUT|CANCELLED"}},
			serverSawCancelled: true},
		{name: "parallel fetches",
			src:   `export default async ({base}) => (await Promise.all([1, 2, 3].map(() => fetch(base + "/json").then(r => r.json())))).map(j => j.hello)`,
			want:  `["world","world","world"]`,
			calls: []HostCallRecord{{Name: "fetch"}, {Name: "fetch"}, {Name: "fetch"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.cancelled.Load()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			res := b.run(t, tt.src, timeout)
			if tt.wantErr != "" {
				if res.Err == nil || string(res.Err.Code) != tt.wantErr || !strings.Contains(res.Err.Message, tt.msgHas) {
					t.Fatalf("want %s containing %q, got %+v", tt.wantErr, tt.msgHas, res.Err)
				}
			} else if res.Err != nil || !jsonEqual(t, tt.want, string(res.Value)) {
				t.Fatalf("got %s %v, want %s", res.Value, res.Err, tt.want)
			}
			if len(res.HostCalls) != len(tt.calls) {
				t.Fatalf("host calls %+v, want %+v", res.HostCalls, tt.calls)
			}
			for i, c := range res.HostCalls {
				if c.Name != tt.calls[i].Name || !slices.Contains(strings.Split(string(tt.calls[i].Error), "|"), string(c.Error)) {
					t.Errorf("host call %d = %+v, want %+v", i, c, tt.calls[i])
				}
			}
			for range res.HostCalls {
				if tenant := <-b.tenants; tenant != "acme" {
					t.Errorf("the request was sent for tenant %q", tenant)
				}
			}
			if tt.serverSawCancelled {
				deadline := time.Now().Add(10 * time.Second)
				for b.cancelled.Load() == before && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				if b.cancelled.Load() == before {
					t.Error("the server's request was not cancelled")
				}
			}
		})
	}
}

// TestFetchNotAwaited checks that the invocation waits for a response
// nobody awaits, as a JS runtime keeps running for a pending request.
func TestFetchNotAwaited(t *testing.T) {
	b := setupFetch(t)
	res := b.run(t, `export default ({base}) => { fetch(base + "/delay").then(r => r.text()).then(t => console.log(t)); return "returned" }`, 5*time.Second)
	if res.Err != nil || string(res.Value) != `"returned"` || len(res.Logs) != 1 || res.Logs[0].Message != "late" {
		t.Fatalf("%s %v %+v", res.Value, res.Err, res.Logs)
	}
	if len(res.HostCalls) != 1 || res.HostCalls[0].Error != "" {
		t.Fatalf("host calls %+v", res.HostCalls)
	}
}

func TestFetchWithoutClient(t *testing.T) {
	e := setup(t, Config{})
	res := runSource(t, e, "nofetch.js", `export default async () => {
		try { await fetch("https://api.example.com/") } catch (e) { return [e instanceof TypeError, e.code, e.message] } }`, nil, InvokeParams{})
	want := `[true,"NOT_SUPPORTED","fetch is not available here: the application running this script gave Kiln no outbound HTTP client"]`
	if res.Err != nil || string(res.Value) != want {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
	if len(res.HostCalls) != 0 {
		t.Fatalf("recorded %+v", res.HostCalls)
	}
}

func TestFetchHookErrors(t *testing.T) {
	var got FetchRequest
	e := setup(t, Config{Fetch: func(ctx context.Context, m Meta, r FetchRequest) (*FetchResponse, error) {
		got = r
		switch r.URL {
		case "https://a.test/limited":
			return nil, &Error{Code: "RATE_LIMITED", Message: "slow down"}
		case "https://a.test/go":
			return nil, io.ErrUnexpectedEOF
		}
		return &FetchResponse{Status: 200, Header: http.Header{"B": {"2"}, "A": {"1"}}, Body: []byte("ok"), URL: r.URL}, nil
	}})
	res := runSource(t, e, "hook.js", `export default async () => {
		const out = [];
		for (const p of ["limited", "go"]) {
			try { await fetch("https://a.test/" + p) } catch (e) { out.push(e.code + ": " + e.message) }
		}
		const r = await fetch("https://a.test/ok", {method: "options", headers: [["x-a", "1"], ["X-A", "2"]]});
		out.push([...r.headers].join(";"), await r.text());
		return out }`, nil, InvokeParams{})
	want := []string{"RATE_LIMITED: slow down", "INTERNAL: the call failed inside Kiln; the error was logged for the operator", "a,1;b,2", "ok"}
	var value []string
	if res.Err != nil || json.Unmarshal(res.Value, &value) != nil || strings.Join(value, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
	if got.Method != "OPTIONS" || strings.Join(got.Header.Values("X-A"), ",") != "1,2" || got.Redirect != "follow" {
		t.Fatalf("hook saw %+v", got)
	}
	codes := []Code{"RATE_LIMITED", CodeInternal, ""}
	for i, c := range res.HostCalls {
		if c.Name != "fetch" || c.Error != codes[i] {
			t.Errorf("call %d: %+v", i, c)
		}
	}
}

func TestFetchBodyIsCharged(t *testing.T) {
	var sent atomic.Int32
	e := setup(t, Config{Fetch: func(ctx context.Context, m Meta, r FetchRequest) (*FetchResponse, error) {
		sent.Add(1)
		return &FetchResponse{Status: 200}, nil
	}})
	res := runSource(t, e, "big.js", `export default async () => {
		const body = new Uint8Array(6 << 20).fill(1);
		// Let the heap watchdog see the buffer, so the budget left is small.
		await new Promise(resolve => setTimeout(resolve, 30));
		await fetch("https://a.test/", {method: "POST", body});
	}`, nil, InvokeParams{MemoryLimit: 8 << 20})
	// The charge for the body or the heap watchdog, whichever sees it
	// first, stops the run; either way nothing is sent.
	if res.Err == nil || res.Err.Code != CodeMemoryLimit || sent.Load() != 0 {
		t.Fatalf("got %v, %d requests sent", res.Err, sent.Load())
	}
}
