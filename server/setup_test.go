package server

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/internal/pgtest"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

const testOperatorKey = "operator-key-for-tests-0123456789"

// backends are the stores every end-to-end test runs against.
var backends = []string{"sqlite", "postgres"}

// harness is a running server and a client for it.
type harness struct {
	t    testing.TB
	app  *App
	base string
}

// setup starts the real App on a random loopback port with the backend.
func setup(t testing.TB, backend string, mutate ...func(*Config)) *harness {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", Config: kiln.Config{DataDir: t.TempDir(), OperatorKey: testOperatorKey, ShutdownTimeout: 5 * time.Second}}
	if backend == "postgres" {
		cfg.DB = pgtest.URL(t)
	}
	for _, m := range mutate {
		m(&cfg)
	}
	ctx := context.Background()
	app, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		// Connections the default client dialed but never used would hold
		// the server's Shutdown for 5 s.
		http.DefaultClient.CloseIdleConnections()
		if err := app.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return &harness{t: t, app: app, base: "http://" + app.Addr()}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errorCode returns the {"error": {"code"}} of the body, or "".
func (r response) errorCode() string {
	var b struct{ Error struct{ Code string } }
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// do sends a request with key as the bearer key; body is JSON-encoded
// unless it is a string or []byte.
func (h *harness) do(method, path, key string, body any) response {
	h.t.Helper()
	return h.doHeader(method, path, key, nil, body)
}

// doHeader is do with extra request headers.
func (h *harness) doHeader(method, path, key string, header http.Header, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// expect fails unless r has status (and, for errors, code).
func (h *harness) expect(r response, status int, code string) {
	h.t.Helper()
	if r.Status != status || (code != "" && r.errorCode() != code) {
		h.t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, code)
	}
}

// tenant creates a tenant and returns keys for each role.
func (h *harness) tenant(slug string) (admin, developer, viewer string) {
	h.t.Helper()
	h.expect(h.do("POST", "/api/tenants", testOperatorKey, map[string]string{"slug": slug, "name": "Tenant " + slug}), 201, "")
	keys := map[string]string{}
	for _, role := range []string{"admin", "developer", "viewer"} {
		r := h.do("POST", "/api/tenants/"+slug+"/keys", testOperatorKey, map[string]string{"name": role, "role": role})
		h.expect(r, 201, "")
		var k struct{ Key string }
		r.json(h.t, &k)
		keys[role] = k.Key
	}
	return keys["admin"], keys["developer"], keys["viewer"]
}

// script creates a script and returns its ID.
func (h *harness) script(key string, body map[string]any) string {
	h.t.Helper()
	r := h.do("POST", "/api/scripts", key, body)
	h.expect(r, 201, "")
	var s struct {
		ID      string
		Version int
	}
	r.json(h.t, &s)
	if s.Version != 1 {
		h.t.Fatalf("a new script must be at version 1, got %d", s.Version)
	}
	return s.ID
}
