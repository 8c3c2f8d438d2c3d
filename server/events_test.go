package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/natstest"

	"github.com/kiln-run/kiln/queue"
)

// queueModes are the two ways the event queue runs: embedded JetStream,
// and an external NATS server (with a prefix of the test's own).
var queueModes = []struct {
	name  string
	apply func(t *testing.T, c *Config)
}{
	{"embedded", func(*testing.T, *Config) {}},
	{"external", func(t *testing.T, c *Config) {
		c.NATS = natstest.External(t)
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.Queue.Prefix = "KT" + hex.EncodeToString(b[:])
		url, prefix := c.NATS, c.Queue.Prefix
		t.Cleanup(func() { deleteQueue(t, url, prefix) })
	}},
}

// deleteQueue drops a test's queue from the shared external server.
func deleteQueue(t *testing.T, url, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := queue.DeleteStreams(ctx, url, prefix); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

type execSummary struct {
	ID      string
	Status  string
	Attempt int
	Trigger string
	Error   *struct{ Code, Message string }
}

// executionsOf lists a script's executions, oldest first.
func (h *harness) executionsOf(key, scriptID string) []execSummary {
	h.t.Helper()
	var list struct{ Executions []execSummary }
	h.do("GET", "/api/executions?limit=200&script="+scriptID, key, nil).json(h.t, &list)
	for i, j := 0, len(list.Executions)-1; i < j; i, j = i+1, j-1 {
		list.Executions[i], list.Executions[j] = list.Executions[j], list.Executions[i]
	}
	return list.Executions
}

// waitUntil polls cond for up to 30 s.
func (h *harness) waitUntil(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eventScript(name, pattern, src string, retries int) map[string]any {
	return map[string]any{"name": name, "type": "event", "status": "active", "source": src,
		"trigger": map[string]any{"events": []string{pattern}, "retry": map[string]any{"retries": retries, "backoffMs": []int{100, 200}}}}
}

// TestEventRetriesAndDeadLetters: a script failing twice completes on
// attempt 3; one that always fails lands in the dead-letter queue after
// exactly 1 + 5 runs; a replay after the fix completes. On both stores and
// both queue modes.
func TestEventRetriesAndDeadLetters(t *testing.T) {
	for _, mode := range queueModes {
		for _, backend := range backends {
			t.Run(mode.name+"/"+backend, func(t *testing.T) {
				t.Parallel()
				h := setup(t, backend, func(c *Config) { mode.apply(t, c) })
				_, dev, viewer := h.tenant("acme")
				flaky := h.script(dev, eventScript("flaky", "order.*",
					`export default (input, ctx) => { if (ctx.attempt < 3) throw new Error('not yet ' + ctx.attempt); return { paid: input.payload.total }; }`, 5))
				broken := h.script(dev, eventScript("broken", "order.created",
					`export default (input) => { throw new Error('broken for ' + input.type); }`, 5))
				h.script(dev, eventScript("other", "payment.>", `export default () => 1`, 5))

				r := h.do("POST", "/api/events", dev, map[string]any{"type": "order.created", "payload": map[string]any{"total": 12}})
				h.expect(r, 202, "")
				var published struct{ ID string }
				r.json(t, &published)

				h.waitUntil("flaky completes", func() bool {
					ex := h.executionsOf(viewer, flaky)
					return len(ex) > 0 && ex[len(ex)-1].Status == "completed"
				})
				ex := h.executionsOf(viewer, flaky)
				if len(ex) != 3 || ex[0].Attempt != 1 || ex[1].Attempt != 2 || ex[2].Attempt != 3 || ex[0].Status != "failed" || ex[0].Trigger != "event" {
					t.Fatalf("flaky's runs: %+v", ex)
				}

				var dl struct {
					DeadLetters []struct {
						ID, EventID, ScriptID, ScriptName, Status string
						Attempts                                  []struct {
							Attempt     int
							Error       struct{ Code, Message string }
							ExecutionID string
						}
					}
				}
				h.waitUntil("broken is dead-lettered", func() bool {
					h.do("GET", "/api/dlq", viewer, nil).json(t, &dl)
					return len(dl.DeadLetters) == 1
				})
				d := dl.DeadLetters[0]
				if d.EventID != published.ID || d.ScriptID != broken || d.ScriptName != "broken" || d.Status != "dead" || len(d.Attempts) != 6 {
					t.Fatalf("dead letter %+v", d)
				}
				if a := d.Attempts[5]; a.Attempt != 6 || a.Error.Code != "RUNTIME_ERROR" || a.Error.Message != "Error: broken for order.created" || a.ExecutionID == "" {
					t.Fatalf("last attempt %+v", a)
				}
				if runs := h.executionsOf(viewer, broken); len(runs) != 6 {
					t.Fatalf("broken ran %d times, want 6", len(runs))
				}
				h.expect(h.do("GET", "/api/dlq/"+d.ID, viewer, nil), 200, "")
				h.expect(h.do("POST", "/api/dlq/"+d.ID+"/replay", viewer, nil), 403, "FORBIDDEN")

				// Fix the script, replay: it completes on attempt 1 of a new delivery.
				h.expect(h.do("PUT", "/api/scripts/"+broken, dev, map[string]any{"source": `export default (input, ctx) => ({ fixed: ctx.attempt })`}), 200, "")
				h.expect(h.do("POST", "/api/dlq/"+d.ID+"/replay", dev, nil), 202, "")
				h.expect(h.do("POST", "/api/dlq/"+d.ID+"/replay", dev, nil), 409, "CONFLICT")
				h.expect(h.do("DELETE", "/api/dlq/"+d.ID, dev, nil), 409, "CONFLICT")
				h.waitUntil("the replay completes", func() bool {
					runs := h.executionsOf(viewer, broken)
					return len(runs) == 7 && runs[6].Status == "completed" && runs[6].Attempt == 1
				})
				h.do("GET", "/api/dlq?status=replayed", viewer, nil).json(t, &dl)
				if len(dl.DeadLetters) != 1 {
					t.Fatalf("replayed dead letters: %+v", dl.DeadLetters)
				}
			})
		}
	}
}

// TestEventValidation: bad events and bad retry policies get clear errors;
// scripts publish with iota.events.publish.
func TestEventPublishing(t *testing.T) {
	h := setup(t, "sqlite")
	_, dev, viewer := h.tenant("acme")
	for _, bad := range []any{
		map[string]any{"type": "Order Created"},
		map[string]any{"type": "order.*"},
		map[string]any{"type": ""},
		`{"type": "order.created", "payload": {"x": 1}, "extra": true}`,
	} {
		h.expect(h.do("POST", "/api/events", dev, bad), 400, "INVALID_ARGUMENT")
	}
	h.expect(h.do("POST", "/api/events", viewer, map[string]any{"type": "a.b"}), 403, "FORBIDDEN")
	for _, retry := range []map[string]any{{"retries": -1}, {"retries": 21}, {"retries": 1, "backoffMs": []int{-5}}, {"retries": 1, "backoffMs": []int{4000000}}} {
		s := eventScript("r", "a.b", `export default () => 1`, 0)
		s["trigger"].(map[string]any)["retry"] = retry
		h.expect(h.do("POST", "/api/scripts", dev, s), 400, "INVALID_ARGUMENT")
	}

	sink := h.script(dev, eventScript("sink", "user.signed_up", `export default (input) => input.payload`, 0))
	pub := h.script(dev, map[string]any{"name": "pub", "type": "manual", "source": `export default async () => {
		const id = await iota.events.publish('user.signed_up', { name: 'Ada' });
		let err;
		try { await iota.events.publish('Not A Type', {}); } catch (e) { err = e.code; }
		return { id: typeof id, err };
	}`})
	r := h.do("POST", "/api/scripts/"+pub+"/execute", dev, map[string]any{})
	var ex struct{ Output map[string]any }
	r.json(t, &ex)
	if fmt.Sprint(ex.Output) != "map[err:INVALID_ARGUMENT id:string]" {
		t.Fatalf("publish from a script: %s", r.Body)
	}
	h.waitUntil("the sink runs", func() bool {
		runs := h.executionsOf(viewer, sink)
		return len(runs) == 1 && runs[0].Status == "completed"
	})
}

// TestEventIDsPerTenant: through the HTTP API, two tenants publishing the
// same event ID both get their event delivered (one tenant's ID can no
// longer suppress another's); a tenant's own repeat is still dropped. On
// both queue modes.
func TestEventIDsPerTenant(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			h := setup(t, "sqlite", func(c *Config) { mode.apply(t, c) })
			type tenant struct{ dev, viewer, script string }
			tenants := map[string]*tenant{}
			for _, slug := range []string{"acme", "globex"} {
				_, dev, viewer := h.tenant(slug)
				tenants[slug] = &tenant{dev: dev, viewer: viewer,
					script: h.script(dev, eventScript("seen", "order.created", `export default (input) => input.id`, 0))}
			}
			publish := func(slug, id string) {
				t.Helper()
				r := h.do("POST", "/api/events", tenants[slug].dev, map[string]any{"type": "order.created", "id": id, "payload": map[string]any{}})
				h.expect(r, 202, "")
				var got struct{ ID string }
				r.json(t, &got)
				if got.ID != id {
					t.Fatalf("%s published %s, the API answered %s", slug, id, r.Body)
				}
			}
			publish("acme", "ORDER-1001")
			publish("globex", "ORDER-1001")
			publish("acme", "ORDER-1001") // acme's own repeat: dropped
			publish("acme", "ORDER-1002") // once these ran, a stored repeat would have been fetched
			publish("globex", "ORDER-1002")

			seen := func(slug string) string {
				tn := tenants[slug]
				out := map[string]int{}
				for _, e := range h.executionsOf(tn.viewer, tn.script) {
					var full struct {
						Status string
						Input  struct{ ID string }
						Output string
					}
					h.do("GET", "/api/executions/"+e.ID, tn.viewer, nil).json(t, &full)
					out[full.Status+" "+full.Input.ID+"="+full.Output]++
				}
				return fmt.Sprint(out)
			}
			const want = "map[completed ORDER-1001=ORDER-1001:1 completed ORDER-1002=ORDER-1002:1]"
			for slug := range tenants {
				h.waitUntil(slug+"'s script sees both its events", func() bool { return seen(slug) == want })
			}
			time.Sleep(200 * time.Millisecond) // room for a wrong extra run
			for slug := range tenants {
				if got := seen(slug); got != want {
					t.Errorf("%s's script saw %s, want %s", slug, got, want)
				}
			}
		})
	}
}
