package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func builtFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":             {Data: []byte("<!doctype html><title>Kiln</title>" + strings.Repeat("<!-- padding -->", 200))},
		"favicon.svg":            {Data: []byte("<svg/>")},
		"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('kiln');\n", 200))},
		"assets/codicon-9f.ttf":  {Data: []byte("ttf")},
		".gitkeep":               {Data: nil},
	}
}

// reply is a response read whole, its body closed.
type reply struct {
	StatusCode int
	Header     http.Header
	Body       string
}

func get(t *testing.T, h http.Handler, method, target string, header map[string]string) reply {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{StatusCode: res.StatusCode, Header: res.Header, Body: string(b)}
}

func TestUIHandlerServesFilesAndFallsBackToIndex(t *testing.T) {
	t.Parallel()
	h := newHandler(builtFS())
	tests := []struct {
		name, target, wantType, wantCache, wantBody string
		wantStatus                                  int
	}{
		{"root", "/", "text/html; charset=utf-8", "no-cache", "<title>Kiln</title>", 200},
		{"app route", "/scripts/0192abc/history", "text/html; charset=utf-8", "no-cache", "<title>Kiln</title>", 200},
		{"hashed asset", "/assets/index-abc123.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console.log", 200},
		{"font", "/assets/codicon-9f.ttf", "font/ttf", "public, max-age=31536000, immutable", "ttf", 200},
		{"unhashed file", "/favicon.svg", "image/svg+xml", "no-cache", "<svg/>", 200},
		{"missing asset is not the app", "/assets/gone-123.js", "text/plain; charset=utf-8", "no-cache", "not found", 404},
		{"missing file with extension", "/robots.txt", "text/plain; charset=utf-8", "no-cache", "not found", 404},
		{"hidden file", "/.gitkeep", "text/plain; charset=utf-8", "no-cache", "not found", 404},
		{"dot-dot stays inside", "/../../etc/passwd", "text/html; charset=utf-8", "no-cache", "<title>Kiln</title>", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, h, "GET", tt.target, nil)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := res.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			if got := res.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy %q", got)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
			if b := res.Body; !strings.Contains(b, tt.wantBody) {
				t.Errorf("body %.80q does not contain %q", b, tt.wantBody)
			}
		})
	}
}

func TestUIHandlerCSPAllowsNoExternalOrigin(t *testing.T) {
	t.Parallel()
	for _, directive := range strings.Split(ContentSecurityPolicy, ";") {
		for _, source := range strings.Fields(directive)[1:] {
			switch source {
			case "'self'", "'none'", "'unsafe-inline'", "data:", "blob:":
			default:
				t.Errorf("directive %q allows %s", strings.TrimSpace(directive), source)
			}
		}
	}
	if !strings.Contains(ContentSecurityPolicy, "worker-src 'self' blob:") {
		t.Error("Monaco's workers need worker-src 'self' blob:")
	}
}

func TestUIHandlerGzipETagAndHead(t *testing.T) {
	t.Parallel()
	h := newHandler(builtFS())
	plain := get(t, h, "GET", "/assets/index-abc123.js", nil)
	want := plain.Body
	if plain.Header.Get("Content-Encoding") != "" {
		t.Fatal("gzip sent to a client that did not ask for it")
	}

	zipped := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if zipped.Header.Get("Content-Encoding") != "gzip" || zipped.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v, want gzip with Vary", zipped.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(zipped.Body)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	if string(got) != want {
		t.Error("gzipped body differs from the plain one")
	}

	refused := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if refused.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent with q=0")
	}

	etag := plain.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, h, "GET", "/assets/index-abc123.js", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", res.StatusCode)
	}

	head := get(t, h, "HEAD", "/", nil)
	if head.StatusCode != 200 || head.Body != "" || head.Header.Get("Content-Length") == "" {
		t.Errorf("HEAD: status %d, Content-Length %q", head.StatusCode, head.Header.Get("Content-Length"))
	}
}

func TestUIHandlerRefusesOtherMethods(t *testing.T) {
	t.Parallel()
	res := get(t, newHandler(builtFS()), "POST", "/scripts", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("status %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}

func TestUIHandlerNotBuilt(t *testing.T) {
	t.Parallel()
	h := newHandler(fstest.MapFS{".gitkeep": {}})
	for _, target := range []string{"/", "/scripts"} {
		res := get(t, h, "GET", target, nil)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503", target, res.StatusCode)
		}
		if b := res.Body; !strings.Contains(b, "The admin UI is not built") || !strings.Contains(b, "make ui") {
			t.Errorf("%s: body %q", target, b)
		}
	}
}

// TestUIHandlerEmbedded checks the real embedded folder: ui/dist is
// committed, so the root answers with the app, and every file its
// index.html references is there.
func TestUIHandlerEmbedded(t *testing.T) {
	t.Parallel()
	h := Handler()
	res := get(t, h, "GET", "/", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `<div id="app"`) {
		t.Fatalf("status %d, want 200 and the app's index.html (is ui/dist committed? see make ui): %.200q", res.StatusCode, res.Body)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(res.Body, -1)
	if len(refs) < 2 {
		t.Errorf("index.html references %d files, want the app's script and styles", len(refs))
	}
	for _, ref := range refs {
		if r := get(t, h, "GET", ref[1], nil); r.StatusCode != http.StatusOK || strings.Contains(r.Body, `<div id="app"`) {
			t.Errorf("%s: status %d, want 200 and the file itself", ref[1], r.StatusCode)
		}
	}
}
