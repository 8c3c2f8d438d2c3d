package sdk

import (
	"strings"
	"testing"
)

// TestFetch checks the adapter between the engine's fetch and the outbound
// client: the request reaches the server as the script wrote it, the whole
// response comes back, and the guard's refusals keep their codes and
// messages (a TypeError, no iota.http prefix).
func TestFetch(t *testing.T) {
	b := setupHTTP(t)
	res := b.run(t, `export default async () => {
		const r = await fetch('BASE/echo?reply=hi&reply-type=text/plain', {method: 'POST', headers: {'Content-Type': 'text/x-test', Authorization: 'Bearer t'}, body: 'ping'});
		const out = [r.status, r.statusText, r.headers.get('x-multi'), r.headers.get('content-type'), r.url.endsWith('/echo?reply=hi&reply-type=text/plain'), r.redirected, await r.text()];
		for (const url of ['http://127.0.0.1:1/', 'http://169.254.169.254/latest/meta-data/']) {
			try { await fetch(url) } catch (e) { out.push([e instanceof TypeError, e.code, e.message]) }
		}
		return out }`)
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, res.Err.Stack)
	}
	want := `[200,"OK","a, b","text/plain",true,false,"hi",` +
		`[true,"SSRF_BLOCKED","request to 127.0.0.1:1 refused: loopback addresses are blocked; an operator can allow it with --http-allow"],` +
		`[true,"SSRF_BLOCKED","request to 169.254.169.254:80 refused: cloud metadata addresses are blocked` // the message goes on
	if !strings.HasPrefix(string(res.Value), want) {
		t.Fatalf("got  %s\nwant %s…", res.Value, want)
	}
	seen := b.lastSeen(t)
	if seen.Method != "POST" || seen.Path != "/echo" || seen.ContentType != "text/x-test" || seen.Authorization != "Bearer t" || seen.Body != "ping" {
		t.Fatalf("the server saw %+v", seen)
	}
	codes := []string{"", "SSRF_BLOCKED", "SSRF_BLOCKED"}
	if len(res.HostCalls) != len(codes) {
		t.Fatalf("host calls %+v", res.HostCalls)
	}
	for i, c := range res.HostCalls {
		if c.Name != "fetch" || string(c.Error) != codes[i] {
			t.Errorf("host call %d = %+v, want fetch %q", i, c, codes[i])
		}
	}
}
