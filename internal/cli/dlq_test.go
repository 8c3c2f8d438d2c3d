package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/kiln-run/kiln"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/server"
)

// TestDLQCommands drives kiln dlq against a real server: a delivery that
// fails lands in the dead-letter queue; list, show, replay and discard it.
func TestDLQCommands(t *testing.T) {
	const op = "operator-key-for-cli-tests-0123"
	ctx := context.Background()
	app, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", Config: kiln.Config{DataDir: t.TempDir(), OperatorKey: op, ShutdownTimeout: 5 * time.Second}},
		slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Stop(ctx) })
	base := "http://" + app.Addr()
	api := func(key, method, path, body string, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			_ = json.Unmarshal(b, out)
		}
	}
	api(op, "POST", "/api/tenants", `{"slug": "acme", "name": "Acme"}`, nil)
	var key struct{ Key string }
	api(op, "POST", "/api/tenants/acme/keys", `{"name": "cli", "role": "developer"}`, &key)
	api(key.Key, "POST", "/api/scripts", `{"name": "fails", "type": "event", "status": "active",
		"source": "export default () => { throw new Error('nope') }",
		"trigger": {"events": ["order.*"], "retry": {"retries": 0}}}`, nil)
	for range 2 {
		api(key.Key, "POST", "/api/events", `{"type": "order.created", "payload": {"n": 1}}`, nil)
	}
	kiln := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append(args, "--server", base, "--key", key.Key), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	var ids []string
	deadline := time.Now().Add(20 * time.Second)
	for len(ids) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no dead letters after 20s")
		}
		time.Sleep(50 * time.Millisecond)
		code, out, stderr := kiln("dlq", "list")
		if code != 0 {
			t.Fatalf("dlq list: %d %s", code, stderr)
		}
		ids = ids[:0]
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			if !strings.Contains(line, "RUNTIME_ERROR: Error: nope") {
				t.Fatalf("list line %q", line)
			}
			ids = append(ids, strings.Fields(line)[0])
		}
	}
	if code, out, _ := kiln("dlq", "show", ids[0]); code != 0 || !strings.Contains(out, `"eventType": "order.created"`) {
		t.Fatalf("dlq show: %d %s", code, out)
	}
	if code, out, _ := kiln("dlq", "replay", ids[0]); code != 0 || !strings.Contains(out, "replayed as delivery") {
		t.Fatalf("dlq replay: %d %s", code, out)
	}
	if code, out, _ := kiln("dlq", "discard", ids[1]); code != 0 || !strings.Contains(out, "discarded") {
		t.Fatalf("dlq discard: %d %s", code, out)
	}
	if code, _, stderr := kiln("dlq", "discard", ids[1]); code != ExitFailed || !strings.Contains(stderr, "CONFLICT") {
		t.Fatalf("discarding twice: %d %s", code, stderr)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"dlq", "list", "--server", base}, strings.NewReader(""), &stdout, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), "KILN_KEY") {
		t.Fatalf("without a key: %d %s", code, stderr.String())
	}
}
