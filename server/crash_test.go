package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/kiln-run/kiln"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/natstest"
)

// TestCrashHelper is not a test: TestCrashLosesNoEvent runs the test binary
// again with KILN_CRASH_DATA set, and this runs a server in that process
// until it is killed.
func TestCrashHelper(t *testing.T) {
	data := os.Getenv("KILN_CRASH_DATA")
	if data == "" {
		t.Skip("runs only as TestCrashLosesNoEvent's child process")
	}
	cfg := Config{Addr: os.Getenv("KILN_CRASH_ADDR"), Config: kiln.Config{DataDir: data, OperatorKey: testOperatorKey, NATS: os.Getenv("KILN_CRASH_NATS")}}
	cfg.Queue.Prefix = os.Getenv("KILN_CRASH_PREFIX")
	// Deliveries in flight at the kill come back after AckWait.
	cfg.Queue.AckWait = 2 * time.Second
	ctx := context.Background()
	app, err := New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	<-stop // or SIGKILL, which never arrives here
	_ = app.Stop(ctx)
}

// TestCrashLosesNoEvent publishes 1,000 events to a slow script, kill -9s
// the server while they run, starts it again on the same data, and checks
// that every event ends with exactly one completed execution.
func TestCrashLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	for _, mode := range []string{"embedded", "external"} {
		t.Run(mode, func(t *testing.T) {
			env := []string{"KILN_CRASH_DATA=" + t.TempDir()}
			if mode == "external" {
				url := natstest.External(t)
				var b [4]byte
				_, _ = rand.Read(b[:])
				prefix := "KC" + hex.EncodeToString(b[:])
				env = append(env, "KILN_CRASH_NATS="+url, "KILN_CRASH_PREFIX="+prefix)
				t.Cleanup(func() { deleteQueue(t, url, prefix) })
			}
			crashTest(t, env)
		})
	}
}

func crashTest(t *testing.T, env []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env = append(env, "KILN_CRASH_ADDR="+addr)
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
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
			time.Sleep(50 * time.Millisecond)
		}
	}
	server := start()
	t.Cleanup(func() { _ = server.Process.Kill(); _, _ = server.Process.Wait() })
	h := &harness{t: t, base: "http://" + addr}
	_, dev, viewer := h.tenant("acme")
	script := h.script(dev, eventScript("slow", "order.created",
		`export default async (input) => { await new Promise((r) => setTimeout(r, 20)); return { order: input.payload.n }; }`, 5))

	const events = 1000
	ids := make([]string, events)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range events {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := h.do("POST", "/api/events", dev, map[string]any{"type": "order.created", "payload": map[string]any{"n": i}})
			if r.Status != 202 {
				t.Errorf("publish %d: %d %s", i, r.Status, r.Body)
				return
			}
			var p struct{ ID string }
			_ = json.Unmarshal(r.Body, &p)
			ids[i] = p.ID
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Kill it mid-way: some events done, most not.
	h.waitUntil("a tenth of the events run", func() bool { return completedCount(h, viewer, script) >= events/10 })
	_ = server.Process.Signal(syscall.SIGKILL)
	_, _ = server.Process.Wait()

	server = start()
	h.waitUntil("every event completes", func() bool { return completedCount(h, viewer, script) >= events })
	time.Sleep(500 * time.Millisecond) // a duplicate, if any, would land now

	// Exactly one completed execution per event, none lost.
	perEvent := map[string]int{}
	cursor := ""
	for {
		var page struct {
			Executions []struct{ ID, Status string }
			NextCursor string
		}
		h.do("GET", "/api/executions?limit=200&status=completed&script="+script+"&cursor="+cursor, viewer, nil).json(t, &page)
		for _, e := range page.Executions {
			var full struct{ Input struct{ ID string } }
			h.do("GET", "/api/executions/"+e.ID, viewer, nil).json(t, &full)
			perEvent[full.Input.ID]++
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	for i, id := range ids {
		if perEvent[id] != 1 {
			t.Errorf("event %d (%s) has %d completed executions", i, id, perEvent[id])
		}
	}
	if len(perEvent) != events {
		t.Errorf("%d events have completed executions, want %d", len(perEvent), events)
	}
}

// completedCount counts a script's completed executions.
func completedCount(h *harness, key, script string) int {
	n, cursor := 0, ""
	for {
		var page struct {
			Executions []struct{ ID string }
			NextCursor string
		}
		r := h.do("GET", "/api/executions?limit=200&status=completed&script="+script+"&cursor="+cursor, key, nil)
		if r.Status != 200 {
			return n
		}
		_ = json.Unmarshal(r.Body, &page)
		n += len(page.Executions)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}
