package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
)

// TestTasksCommands drives kiln tasks against a real server: start a task,
// list it, send it the event it waits for, see it complete, read its
// journal; start another and cancel it; bad input is a usage error and
// the server's errors come back with their codes.
func TestTasksCommands(t *testing.T) {
	srv := startAPIServer(t, kiln.Config{})
	api, kiln, key := srv.api, srv.kiln, struct{ Key string }{srv.key}
	api(key.Key, "POST", "/api/scripts", `{"name": "echo", "type": "task",
		"source": "export default async (params) => { const e = await iota.tasks.receive({timeout: 30}); return { n: params.n, got: e && e.payload }; }"}`, nil)

	code, out, stderr := kiln("tasks", "start", "echo", "--params", `{"n": 7}`)
	if code != 0 || !strings.HasPrefix(out, "started task ") {
		t.Fatalf("tasks start: %d %s %s", code, out, stderr)
	}
	id := strings.Fields(out)[2]
	if code, out, stderr := kiln("tasks", "list", "--script", "echo"); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("tasks list: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := kiln("tasks", "send", id, "digit", `{"d": 5}`); code != 0 || !strings.Contains(out, "as event 1") {
		t.Fatalf("tasks send: %d %s %s", code, out, stderr)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		code, out, stderr := kiln("tasks", "get", id)
		if code != 0 {
			t.Fatalf("tasks get: %d %s", code, stderr)
		}
		if strings.Contains(out, `"state": "completed"`) {
			if !strings.Contains(out, `"result": {`) || !strings.Contains(out, `"d": 5`) || !strings.Contains(out, `"children": []`) {
				t.Fatalf("tasks get: %s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not completed after 20s: %s", out)
		}
	}
	if code, out, stderr := kiln("tasks", "list", "--state", "completed"); code != 0 || !strings.Contains(out, id) {
		t.Fatalf("tasks list --state completed: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := kiln("tasks", "journal", id); code != 0 || !strings.Contains(out, "receive") || !strings.Contains(out, "digit") {
		t.Fatalf("tasks journal: %d %s %s", code, out, stderr)
	}
	if code, out, stderr := kiln("tasks", "journal", id, "--limit", "1"); code != 0 || len(strings.Split(strings.TrimSpace(out), "\n")) != 2 ||
		!strings.Contains(stderr, "--from 1") {
		t.Fatalf("tasks journal --limit 1: %d %s %s", code, out, stderr)
	}

	_, out, _ = kiln("tasks", "start", "echo")
	second := strings.Fields(out)[2]
	if code, out, stderr := kiln("tasks", "cancel", second); code != 0 || !strings.Contains(out, "cancelling "+second) {
		t.Fatalf("tasks cancel: %d %s %s", code, out, stderr)
	}

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"tasks", "start", "echo", "--params", "{nope"}, ExitUsage, "--params must be JSON"},
		{[]string{"tasks", "send", id, "digit", "{nope"}, ExitUsage, "payload must be JSON"},
		{[]string{"tasks", "send", id}, ExitUsage, "accepts between 2 and 3 arg(s)"},
		{[]string{"tasks", "journal", id, "--limit", "5000"}, ExitUsage, "--limit 5000"},
		{[]string{"tasks", "send", id, "late"}, ExitFailed, "CONFLICT"},
		{[]string{"tasks", "get", "no-such-task"}, ExitFailed, "NOT_FOUND"},
		{[]string{"tasks", "start", "nope"}, ExitFailed, "NOT_FOUND"},
		{[]string{"tasks", "list", "--state", "sleeping"}, ExitFailed, "INVALID_ARGUMENT"},
	} {
		if code, _, stderr := kiln(tc.args...); code != tc.code || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: %d %s, want %d %q", tc.args, code, stderr, tc.code, tc.says)
		}
	}
}
