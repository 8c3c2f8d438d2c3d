package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln"
)

// TestReplayCommand replays tasks from a real server: a task that failed
// reproduces its error at the same line after the same effects; a task
// that waits stops where it waits; --to stops earlier; and nothing the
// replay does reaches the server (the waiting task's journal is
// unchanged after).
func TestReplayCommand(t *testing.T) {
	srv := startAPIServer(t, kiln.Config{Tasks: kiln.TaskConfig{HibernateAfter: 20 * time.Millisecond, PollInterval: 5 * time.Millisecond}})
	api, kiln, key := srv.api, srv.kiln, struct{ Key string }{srv.key}
	src, _ := json.Marshal("export default async (params) => {\n" +
		"  const r = Math.random();\n" +
		"  await iota.cache.set('k', { r }, 60);\n" +
		"  const got = await iota.cache.get('k');\n" +
		"  iota.log.info('got', { same: got.r === r });\n" +
		"  const e = await iota.tasks.receive();\n" +
		"  if (e.payload.boom) throw new Error('boom at ' + got.r);\n" +
		"  return got.r;\n" +
		"};\n")
	api(key.Key, "POST", "/api/scripts", `{"name": "flaky", "type": "task", "language": "javascript", "source": `+string(src)+`}`, nil)
	start := func() string {
		var task struct{ ID string }
		api(key.Key, "POST", "/api/tasks", `{"script": "flaky"}`, &task)
		return task.ID
	}
	state := func(id string) (string, int) {
		var task struct {
			State      string
			JournalLen int
		}
		api(key.Key, "GET", "/api/tasks/"+id, "", &task)
		return task.State, task.JournalLen
	}
	waitFor := func(id, want string) int {
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			s, n := state(id)
			if s == want {
				return n
			}
			if time.Now().After(deadline) {
				t.Fatalf("task %s is %s, want %s", id, s, want)
			}
		}
	}

	failed := start()
	waitFor(failed, "hibernated")
	api(key.Key, "POST", "/api/tasks/"+failed+"/events", `{"type": "x", "payload": {"boom": true}}`, nil)
	waitFor(failed, "failed")
	code, out, stderr := kiln("replay", failed)
	if code != ExitFailed || !strings.Contains(out, "error RUNTIME_ERROR at script.js:7") || !strings.Contains(out, "boom at 0.") ||
		!strings.Contains(out, "call     iota.cache.set") || !strings.Contains(out, "receive  x") || !strings.Contains(out, `got {"same":true}`) {
		t.Fatalf("replay of a failed task: %d\n%s\n%s", code, out, stderr)
	}

	waiting := start()
	n := waitFor(waiting, "hibernated")
	code, out, stderr = kiln("replay", waiting)
	if code != 0 || !strings.Contains(out, "waits for an event") {
		t.Fatalf("replay of a waiting task: %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = kiln("replay", waiting, "--to", "2", "--quiet")
	if code != 0 || !strings.Contains(out, "ends at index 2") || strings.Contains(out, "call     iota.cache.set") {
		t.Fatalf("replay --to 2: %d\n%s\n%s", code, out, stderr)
	}
	if s, after := state(waiting); s != "hibernated" || after != n {
		t.Fatalf("replays changed the task: %s, journal %d → %d", s, n, after)
	}
	if code, _, stderr := kiln("replay", waiting, "--to", "999"); code != ExitUsage || !strings.Contains(stderr, "the journal has") {
		t.Fatalf("--to past the end: %d %s", code, stderr)
	}
	// A failed execution's journal is kept: replayed, it fails at the same
	// line after the same values.
	execSrc, _ := json.Marshal("export default async (input) => {\n" +
		"  const n = await iota.cache.increment('runs', 1, 60);\n" +
		"  const r = Math.random();\n" +
		"  if (input.fail) throw new Error('run ' + n + ' drew ' + r);\n" +
		"  return n;\n" +
		"};\n")
	var script struct{ ID string }
	api(key.Key, "POST", "/api/scripts", `{"name": "hook", "type": "manual", "language": "javascript", "source": `+string(execSrc)+`}`, &script)
	var ok, bad struct {
		ID    string
		Error struct{ Message string }
	}
	api(key.Key, "POST", "/api/scripts/"+script.ID+"/execute", `{"input": {"fail": false}}`, &ok)
	api(key.Key, "POST", "/api/scripts/"+script.ID+"/execute", `{"input": {"fail": true}}`, &bad)
	code, out, stderr = kiln("replay", bad.ID)
	if code != ExitFailed || !strings.Contains(out, "recorded: error RUNTIME_ERROR at script.js:4") ||
		!strings.Contains(out, "error RUNTIME_ERROR at script.js:4") || !strings.Contains(out, bad.Error.Message) ||
		!strings.Contains(out, "call     iota.cache.increment") {
		t.Fatalf("replay of a failed execution: %d\n%s\n%s\nrecorded %q", code, out, stderr, bad.Error.Message)
	}
	if code, _, stderr := kiln("replay", ok.ID); code != ExitFailed || !strings.Contains(stderr, "no journal was kept") {
		t.Fatalf("replay of a completed execution: %d %s", code, stderr)
	}
	if code, _, stderr := kiln("replay", "nope"); code != ExitFailed || !strings.Contains(stderr, "NOT_FOUND") {
		t.Fatalf("unknown task: %d %s", code, stderr)
	}
}
