package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
)

// TestDLQCommands drives kiln dlq against a real server: a delivery that
// fails lands in the dead-letter queue; list, show, replay and discard it.
func TestDLQCommands(t *testing.T) {
	srv := startAPIServer(t, kiln.Config{})
	api, kiln, key := srv.api, srv.kiln, struct{ Key string }{srv.key}
	api(key.Key, "POST", "/api/scripts", `{"name": "fails", "type": "event", "status": "active",
		"source": "export default () => { throw new Error('nope') }",
		"trigger": {"events": ["order.*"], "retry": {"retries": 0}}}`, nil)
	for range 2 {
		api(key.Key, "POST", "/api/events", `{"type": "order.created", "payload": {"n": 1}}`, nil)
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
	if code := Main([]string{"dlq", "list", "--server", srv.base}, strings.NewReader(""), &stdout, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), "KILN_KEY") {
		t.Fatalf("without a key: %d %s", code, stderr.String())
	}
}
