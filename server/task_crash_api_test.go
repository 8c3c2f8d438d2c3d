package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// The harness of TestTaskCrashLosesNothing: the server child process and
// the HTTP calls the test makes to it.

// waitCrash polls cond until it holds, for at most a minute.
func waitCrash(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > time.Minute {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s: %s", what, time.Since(start).Round(time.Millisecond))
}

// startCrashChild runs the test binary's helper test as a server child
// process and waits until it is ready.
func startCrashChild(t *testing.T, helper, addr string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("the server did not get ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// parallel runs f(0..n-1) on 16 goroutines and waits for them.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(n, 16) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

// crashAPI is a client of the server that survives its death: errors are
// returned, never fatal, so goroutines may use it.
type crashAPI struct {
	base   string
	client *http.Client
}

func (a *crashAPI) call(method, path, key string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, b, err)
		}
	}
	return resp.StatusCode, nil
}

func (a *crashAPI) get(key, path string, out any) error {
	_, err := a.call("GET", path, key, nil, out)
	return err
}

// start starts an ingress task and returns its ID.
func (a *crashAPI) start(t *testing.T, key, to string) string {
	var task kilntype.Task
	if _, err := a.call("POST", "/api/tasks", key, map[string]any{"script": "ingress", "params": map[string]string{"to": to}}, &task); err != nil {
		t.Error(err)
	}
	return task.ID
}

// sendDigit sends digit d to c as a new attempt, and reports whether the
// server acknowledged it. A send that got no answer (the server died) may
// or may not be stored; any answer but 202 fails the test.
func (a *crashAPI) sendDigit(t *testing.T, key string, c *crashCall, d int) bool {
	at := crashAttempt{D: d, K: len(c.attempts)}
	c.attempts = append(c.attempts, at)
	status, err := a.call("POST", "/api/tasks/"+c.ingress+"/events", key, map[string]any{"type": "digit", "payload": at}, nil)
	if status != 0 && status != http.StatusAccepted {
		t.Errorf("send digit %d to %s: %v", d, c.ingress, err)
	}
	c.attempts[at.K].acked = err == nil && status == http.StatusAccepted
	return c.attempts[at.K].acked
}

func (a *crashAPI) mustSend(t *testing.T, key, task, typ string, payload any) {
	if status, err := a.call("POST", "/api/tasks/"+task+"/events", key, map[string]any{"type": typ, "payload": payload}, nil); status != http.StatusAccepted {
		t.Errorf("send %s to %s: %d %v", typ, task, status, err)
	}
}

// list returns every task of the key's tenant that the query selects.
func (a *crashAPI) list(t *testing.T, key, query string) []kilntype.Task {
	t.Helper()
	var all []kilntype.Task
	for cursor := ""; ; {
		var page struct {
			Tasks      []kilntype.Task
			NextCursor string
		}
		if err := a.get(key, "/api/tasks?limit=200&"+query+"&cursor="+cursor, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Tasks...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// journal reads a task's journal page by page and checks that its
// indexes run from 0 to n-1.
func (a *crashAPI) journal(key, task string, n int64) ([]kilntype.JournalEntry, error) {
	var all []kilntype.JournalEntry
	for from := int64(0); ; {
		var page struct {
			Entries []kilntype.JournalEntry
			Next    *int64
		}
		if err := a.get(key, fmt.Sprintf("/api/tasks/%s/journal?from=%d&limit=10", task, from), &page); err != nil {
			return nil, err
		}
		for _, e := range page.Entries {
			if e.Index != int64(len(all)) {
				return nil, fmt.Errorf("journal entry %d at position %d", e.Index, len(all))
			}
			all = append(all, e)
		}
		if page.Next == nil {
			break
		}
		from = *page.Next
	}
	if int64(len(all)) != n {
		return nil, fmt.Errorf("the journal has %d entries, the task says %d: %s", len(all), n, strings.Join(shapeOf(all), " "))
	}
	return all, nil
}
