package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/server"
)

// apiServer is a real kiln server for the API commands' tests, with a
// tenant "acme" and a developer key of it.
type apiServer struct {
	t    *testing.T
	base string
	key  string // acme's developer key
}

const testOperatorKey = "operator-key-for-cli-tests-0123"

// startAPIServer starts a server on cfg (DataDir, OperatorKey and
// ShutdownTimeout are filled in), stopped when t ends.
func startAPIServer(t *testing.T, cfg kiln.Config) *apiServer {
	t.Helper()
	ctx := context.Background()
	cfg.DataDir, cfg.OperatorKey, cfg.ShutdownTimeout = t.TempDir(), testOperatorKey, 5*time.Second
	app, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", Config: cfg}, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Stop(ctx) })
	s := &apiServer{t: t, base: "http://" + app.Addr()}
	s.api(testOperatorKey, "POST", "/api/tenants", `{"slug": "acme", "name": "Acme"}`, nil)
	var key struct{ Key string }
	s.api(testOperatorKey, "POST", "/api/tenants/acme/keys", `{"name": "cli", "role": "developer"}`, &key)
	s.key = key.Key
	return s
}

// api calls the server with key and decodes a 2xx answer into out; any
// other answer fails the test.
func (s *apiServer) api(key, method, path, body string, out any) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		_ = json.Unmarshal(b, out)
	}
}

// kiln runs the CLI against the server with the developer key.
func (s *apiServer) kiln(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Main(append(args, "--server", s.base, "--key", s.key), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}
