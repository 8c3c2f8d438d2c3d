package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/redact"
)

// maxLocalDeliveries bounds the event scripts one kiln run runs: event
// scripts that publish what they subscribe to would otherwise never end.
const maxLocalDeliveries = 100

// localRunner runs scripts for kiln run, one at a time, each with a fresh
// execution ID, and prints what each did to stderr with secrets cut out.
// The server cuts every secret a VM has read out of the records of its
// runs; kiln run cuts every secret any of its runs has read so far, so
// that an --on script that logs an event payload holding a secret its
// publisher read does not print it either.
type localRunner struct {
	engine   *engine.Engine
	store    *localStore
	tenantID string // the local tenant's
	handlers []eventHandler
	stderr   io.Writer
	secrets  redact.Set // read so far, by any run

	mu        sync.Mutex
	published []localEvent // by the run in progress
}

// secretRead is iota.secrets' onRead.
func (r *localRunner) secretRead(_ engine.Meta, name, value string) {
	r.secrets.Add(name, value)
}

// eventHandler is an --on PATTERN=FILE script.
type eventHandler struct {
	pattern string
	file    string // as the user wrote it
	src     engine.Source
}

// localEvent is an event a script published with iota.events.publish.
type localEvent struct {
	id, typ    string
	payload    json.RawMessage
	occurredAt time.Time
}

func (e localEvent) input() json.RawMessage {
	b, _ := json.Marshal(kilntype.EventInput{ID: e.id, Type: e.typ, Payload: e.payload, OccurredAt: e.occurredAt}) // valid JSON in, valid JSON out
	return b
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// publish is iota.events.publish's sdk.Publisher. It checks the event as
// the server's queue does, then keeps it for deliver.
func (r *localRunner) publish(_ context.Context, _, typ string, payload json.RawMessage) (string, error) {
	if !queue.ValidType(typ) {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "event type %q must be 1 to 8 dot-separated segments of lowercase letters, digits, '_' or '-' (like \"billing.invoice.paid\")", typ)
	}
	if len(payload) > queue.DefaultMaxPayload {
		return "", kilntype.Errorf(kilntype.EValueTooLarge, "event payload is %d bytes; the limit is %d", len(payload), queue.DefaultMaxPayload)
	}
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	e := localEvent{id: newID(), typ: typ, payload: payload, occurredAt: time.Now().UTC()}
	r.mu.Lock()
	r.published = append(r.published, e)
	r.mu.Unlock()
	return e.id, nil
}

// run runs one script and prints its logs, the events it published and
// its error. It returns the result and those events.
func (r *localRunner) run(ctx context.Context, src engine.Source, trigger string, input json.RawMessage) (*engine.Result, []localEvent) {
	meta := engine.Meta{TenantID: r.tenantID, ScriptID: src.Name, ExecutionID: newID(), Trigger: kilntype.Trigger(trigger), Attempt: 1}
	res := r.invoke(ctx, src, input, meta)
	r.secrets.AddAll(res.Secrets)
	r.mu.Lock()
	events := r.published
	r.published = nil
	r.mu.Unlock()

	for _, l := range res.Logs {
		l.Message = r.secrets.Redact(l.Message)
		if f, ok := r.secrets.RedactValue(l.Fields).(map[string]any); ok {
			l.Fields = f
		}
		writeLog(r.stderr, l)
	}
	if res.LogsTruncated {
		fmt.Fprintln(r.stderr, "[warn] (more log lines were dropped: the log limit was reached)")
	}
	for _, e := range events {
		note := ""
		if len(r.handlers) > 0 && !r.handled(e.typ) {
			note = "; no --on script matches it"
		}
		fmt.Fprintf(r.stderr, "[event] published %s %s (id %s%s)\n", e.typ, r.secrets.RedactJSON(e.payload), e.id, note)
	}
	for _, p := range r.store.takeProblems() {
		fmt.Fprintf(r.stderr, "kiln: %s\n", p)
	}
	if res.Err != nil {
		redacted := *res.Err
		redacted.Message = r.secrets.Redact(redacted.Message)
		redacted.Stack = r.secrets.Redact(redacted.Stack)
		writeError(r.stderr, &redacted)
	}
	return res, events
}

func (r *localRunner) invoke(ctx context.Context, src engine.Source, input json.RawMessage, meta engine.Meta) *engine.Result {
	p, err := r.engine.Compile(ctx, src)
	if err != nil {
		return &engine.Result{Err: asEngineError(err)}
	}
	vm, err := r.engine.NewVM(ctx, p)
	if err != nil {
		return &engine.Result{Err: asEngineError(err)}
	}
	return vm.Invoke(ctx, engine.InvokeParams{Input: input, Meta: meta})
}

func (r *localRunner) handled(typ string) bool {
	for _, h := range r.handlers {
		if kilntype.MatchEvent(h.pattern, typ) {
			return true
		}
	}
	return false
}

// deliver runs the --on scripts that match each event, in the order the
// events were published, then the events those scripts publish, and so
// on, each once: no retries and no dead-letter queue, unlike the server.
// It reports whether every run succeeded.
func (r *localRunner) deliver(ctx context.Context, events []localEvent) bool {
	ok, runs := true, 0
	for len(events) > 0 && ctx.Err() == nil {
		e := events[0]
		events = events[1:]
		for _, h := range r.handlers {
			if !kilntype.MatchEvent(h.pattern, e.typ) {
				continue
			}
			if runs == maxLocalDeliveries {
				fmt.Fprintf(r.stderr, "[event] stopped after %d event script runs: do the --on scripts publish the events they handle?\n", maxLocalDeliveries)
				return false
			}
			runs++
			fmt.Fprintf(r.stderr, "[event] delivering %s (id %s) to %s\n", e.typ, e.id, h.file)
			res, more := r.run(ctx, h.src, "event", e.input())
			if res.Err != nil {
				ok = false
				fmt.Fprintf(r.stderr, "[event] %s failed on %s (id %s)\n", h.file, e.typ, e.id)
			} else {
				fmt.Fprintf(r.stderr, "[event] %s returned %s\n", h.file, res.Value)
			}
			events = append(events, more...)
		}
	}
	return ok && ctx.Err() == nil
}
