package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// TestTasksHTTP drives a durable task through the API: start it, send it
// an event, wait for it to complete with the event's payload, read its
// journal; a viewer reads but may not write, another tenant finds
// nothing, and bad requests are INVALID_ARGUMENT.
func TestTasksHTTP(t *testing.T) {
	_, _, srv := newTestAPI(t)
	call := func(key, method, path, body string, out any) (int, string) {
		t.Helper()
		return do(t, srv, key, method, path, body, out)
	}
	mustCall := func(key, method, path, body string, want int, out any) {
		t.Helper()
		if status, raw := call(key, method, path, body, out); status != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, status, raw, want)
		}
	}
	keyOf := func(slug, role string) string {
		var k struct{ Key string }
		mustCall(testOperatorKey, "POST", "/api/tenants/"+slug+"/keys", `{"name": "`+role+`", "role": "`+role+`"}`, 201, &k)
		return k.Key
	}
	mustCall(testOperatorKey, "POST", "/api/tenants", `{"slug": "acme", "name": "Acme"}`, 201, nil)
	mustCall(testOperatorKey, "POST", "/api/tenants", `{"slug": "globex", "name": "Globex"}`, 201, nil)
	dev, viewer, other := keyOf("acme", "developer"), keyOf("acme", "viewer"), keyOf("globex", "developer")
	var script struct{ ID string }
	mustCall(dev, "POST", "/api/scripts", `{"name": "echo", "type": "task",
		"source": "export default async () => { const e = await iota.tasks.receive({timeout: 5}); return e && e.payload; }"}`, 201, &script)
	mustCall(dev, "POST", "/api/scripts", `{"name": "plain", "type": "manual", "source": "export default () => 1"}`, 201, nil)

	var task kilntype.Task
	mustCall(dev, "POST", "/api/tasks", `{"script": "echo", "params": {"n": 1}}`, 201, &task)
	if task.ID == "" || task.ScriptID != script.ID || task.Version != 1 || string(task.Params) != `{"n":1}` {
		t.Fatalf("started %+v", task)
	}
	var sent struct{ Seq int64 }
	mustCall(dev, "POST", "/api/tasks/"+task.ID+"/events", `{"type": "greet", "payload": {"hello": "world"}}`, 202, &sent)
	if sent.Seq != 1 {
		t.Errorf("the first event's seq is %d, want 1", sent.Seq)
	}
	var got struct {
		kilntype.Task
		Children []string
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mustCall(viewer, "GET", "/api/tasks/"+task.ID, "", 200, &got)
		if got.State.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still %s after 20s", got.State)
		}
	}
	if got.State != kilntype.TaskCompleted || string(got.Result) != `{"hello":"world"}` || got.Children == nil || len(got.Children) != 0 ||
		got.JournalLen == 0 || got.JournalBytes == 0 || got.InboxDepth != 0 {
		t.Fatalf("ended as %+v (result %s, error %+v)", got, got.Result, got.Error)
	}

	var journal struct {
		Entries []kilntype.JournalEntry
		Next    *int64
	}
	mustCall(viewer, "GET", "/api/tasks/"+task.ID+"/journal", "", 200, &journal)
	if int64(len(journal.Entries)) != got.JournalLen || journal.Next != nil {
		t.Fatalf("journal: %d entries (next %v), the task says %d", len(journal.Entries), journal.Next, got.JournalLen)
	}
	var receive *kilntype.JournalEntry
	for i := range journal.Entries {
		if journal.Entries[i].Kind == kilntype.JournalReceive {
			receive = &journal.Entries[i]
		}
	}
	if receive == nil || !strings.Contains(string(receive.Value), `"greet"`) {
		t.Errorf("no receive entry with the event in %+v", journal.Entries)
	}
	if got.JournalLen > 1 {
		mustCall(viewer, "GET", "/api/tasks/"+task.ID+"/journal?from=0&limit=1", "", 200, &journal)
		if len(journal.Entries) != 1 || journal.Next == nil || *journal.Next != 1 {
			t.Errorf("a page of one: %d entries, next %v; want 1 and 1", len(journal.Entries), journal.Next)
		}
	}

	var list struct {
		Tasks      []kilntype.Task
		NextCursor string
	}
	for _, q := range []string{"", "?state=completed", "?script=echo", "?script=" + script.ID} {
		mustCall(viewer, "GET", "/api/tasks"+q, "", 200, &list)
		if len(list.Tasks) != 1 || list.Tasks[0].ID != task.ID {
			t.Errorf("GET /api/tasks%s: %+v", q, list.Tasks)
		}
	}
	mustCall(viewer, "GET", "/api/tasks?state=running", "", 200, &list)
	if len(list.Tasks) != 0 {
		t.Errorf("running tasks: %+v", list.Tasks)
	}
	if status, raw := call(dev, "POST", "/api/tasks/"+task.ID+"/events", `{"type": "late"}`, nil); status != 409 || !strings.Contains(raw, "CONFLICT") {
		t.Errorf("sending to a completed task: %d %s", status, raw)
	}

	// A second task to cancel.
	var second kilntype.Task
	mustCall(dev, "POST", "/api/tasks", `{"scriptId": "`+script.ID+`"}`, 201, &second)
	var cancelled kilntype.Task
	mustCall(dev, "DELETE", "/api/tasks/"+second.ID, "", 202, &cancelled)
	if cancelled.ID != second.ID {
		t.Errorf("cancel answered %+v", cancelled)
	}

	for _, probe := range []struct{ method, path, body string }{
		{"POST", "/api/tasks", `{"script": "echo"}`},
		{"POST", "/api/tasks/" + task.ID + "/events", `{"type": "x"}`},
		{"DELETE", "/api/tasks/" + second.ID, ""},
	} {
		if status, raw := call(viewer, probe.method, probe.path, probe.body, nil); status != 403 || !strings.Contains(raw, "FORBIDDEN") {
			t.Errorf("%s %s by a viewer: %d %s", probe.method, probe.path, status, raw)
		}
	}
	for _, probe := range []struct{ method, path, body string }{
		{"GET", "/api/tasks/" + task.ID, ""},
		{"GET", "/api/tasks/" + task.ID + "/journal", ""},
		{"POST", "/api/tasks/" + second.ID + "/events", `{"type": "x"}`},
		{"DELETE", "/api/tasks/" + second.ID, ""},
		{"POST", "/api/tasks", `{"scriptId": "` + script.ID + `"}`},
		{"POST", "/api/tasks", `{"script": "echo"}`},
	} {
		if status, raw := call(other, probe.method, probe.path, probe.body, nil); status != 404 || !strings.Contains(raw, "NOT_FOUND") {
			t.Errorf("%s %s by another tenant: %d %s", probe.method, probe.path, status, raw)
		}
	}
	mustCall(other, "GET", "/api/tasks", "", 200, &list)
	if len(list.Tasks) != 0 {
		t.Errorf("another tenant lists %+v", list.Tasks)
	}

	for _, probe := range []struct{ method, path, body, code string }{
		{"POST", "/api/tasks", ``, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks", `{}`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks", `{"script": "echo", "scriptId": "` + script.ID + `"}`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks", `{"script": "echo", "extra": 1}`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks", `{"script": 7}`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks", `{"script": "echo", "params": {"a": 1} }{`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks/" + second.ID + "/events", `{"payload": 1}`, "INVALID_ARGUMENT"},
		{"POST", "/api/tasks/" + second.ID + "/events", `not json`, "INVALID_ARGUMENT"},
		{"GET", "/api/tasks?state=sleeping", ``, "INVALID_ARGUMENT"},
		{"GET", "/api/tasks?limit=0", ``, "INVALID_ARGUMENT"},
		{"GET", "/api/tasks/" + task.ID + "/journal?from=-1", ``, "INVALID_ARGUMENT"},
		{"GET", "/api/tasks/" + task.ID + "/journal?limit=1001", ``, "INVALID_ARGUMENT"},
		{"GET", "/api/tasks/" + task.ID + "/journal?limit=x", ``, "INVALID_ARGUMENT"},
	} {
		if status, raw := call(dev, probe.method, probe.path, probe.body, nil); status != 400 || !strings.Contains(raw, probe.code) {
			t.Errorf("%s %s %s: %d %s, want 400 %s", probe.method, probe.path, probe.body, status, raw, probe.code)
		}
	}
	if status, raw := call(dev, "POST", "/api/tasks", `{"script": "plain"}`, nil); status != 409 || !strings.Contains(raw, "CONFLICT") {
		t.Errorf("starting a manual script as a task: %d %s, want 409", status, raw)
	}
	if status, raw := call(dev, "GET", "/api/tasks?script=nope", "", nil); status != 404 || !strings.Contains(raw, "NOT_FOUND") {
		t.Errorf("listing by an unknown script: %d %s, want 404", status, raw)
	}
}

// do sends a request with key and decodes a JSON answer into out; it
// returns the status and the raw body.
func do(t *testing.T, srv *httptest.Server, key, method, path, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}
