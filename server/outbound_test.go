package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Scripts reach an allow-listed local service through fetch and iota.http;
// any other private address is refused with SSRF_BLOCKED, and the execution
// record says so.
func TestOutboundFromScripts(t *testing.T) {
	var got []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id": "ch_1"}`))
	}))
	defer upstream.Close()
	allowed := strings.TrimPrefix(upstream.URL, "http://")
	h := setup(t, "sqlite", func(c *Config) { c.HTTPAllow = []string{allowed} })
	_, dev, _ := h.tenant("acme")

	src := `export default async (input) => {
		const viaFetch = await (await fetch(input.url + '/ping')).json();
		const response = await iota.http.post(input.url + '/v1/charges', {
			headers: { 'Authorization': 'Bearer sk_test' },
			body: { amount: 1000, currency: 'usd' },
		});
		return { viaFetch, status: response.status, body: response.body };
	}`
	id := h.script(dev, map[string]any{"name": "charge", "type": "manual", "source": src})
	r := h.do("POST", "/api/scripts/"+id+"/execute", dev, map[string]any{"input": map[string]any{"url": upstream.URL}})
	h.expect(r, 200, "")
	var ex struct {
		Status string
		Output json.RawMessage
		Error  *struct{ Code string }
	}
	r.json(t, &ex)
	if ex.Status != "completed" || string(ex.Output) != `{"viaFetch":{"id":"ch_1"},"status":200,"body":{"id":"ch_1"}}` {
		t.Fatalf("execution %s", r.Body)
	}
	if len(got) != 2 || got[1] != `POST /v1/charges Bearer sk_test {"amount":1000,"currency":"usd"}` {
		t.Fatalf("upstream saw %q", got)
	}

	// Another loopback port is not on the list.
	blocked := h.script(dev, map[string]any{"name": "probe", "type": "manual", "source": `export default () => fetch('http://127.0.0.1:1/')`})
	r = h.do("POST", "/api/scripts/"+blocked+"/execute", dev, map[string]any{})
	r.json(t, &ex)
	if ex.Status != "failed" || ex.Error == nil || ex.Error.Code != "SSRF_BLOCKED" {
		t.Fatalf("a fetch to a private address: %s", r.Body)
	}
}

// GET /api/sdk/iota.d.ts serves the declarations, with no key.
func TestSDKTypes(t *testing.T) {
	h := setup(t, "sqlite")
	r := h.do("GET", "/api/sdk/iota.d.ts", "", nil)
	h.expect(r, 200, "")
	for _, want := range []string{"declare namespace iota", "function query", "interface KilnContext"} {
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("iota.d.ts lacks %q", want)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/typescript") {
		t.Errorf("content type %q", ct)
	}
}
