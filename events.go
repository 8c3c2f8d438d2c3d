package kiln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/store"
)

// eventRouter answers which active event scripts of a tenant an event
// goes to. It keeps each tenant's event scripts for eventRouterTTL;
// changes through this node apply at once.
type eventRouter struct {
	store store.Store

	mu       sync.Mutex
	byTenant map[string]tenantEventScripts
}

const eventRouterTTL = 2 * time.Second

type tenantEventScripts struct {
	scripts []kilntype.Script
	fetched time.Time
}

func newEventRouter(st store.Store) *eventRouter {
	return &eventRouter{store: st, byTenant: map[string]tenantEventScripts{}}
}

// Route implements queue.Router: one target per matching script, with the
// script's retry policy.
func (r *eventRouter) Route(ctx context.Context, e queue.Event) ([]queue.Target, error) {
	scripts, err := r.scripts(ctx, e.Tenant)
	if err != nil {
		return nil, err
	}
	var targets []queue.Target
	for _, s := range scripts {
		for _, p := range s.Trigger.Events {
			if kilntype.MatchEvent(p, e.Type) {
				targets = append(targets, queue.Target{ID: s.ID, Retry: retryOf(s.Trigger.Retry)})
				break
			}
		}
	}
	return targets, nil
}

func (r *eventRouter) scripts(ctx context.Context, tenantID string) ([]kilntype.Script, error) {
	r.mu.Lock()
	e, ok := r.byTenant[tenantID]
	r.mu.Unlock()
	if ok && time.Since(e.fetched) < eventRouterTTL {
		return e.scripts, nil
	}
	var all []kilntype.Script
	cursor := ""
	for {
		page, next, err := r.store.ScriptList(ctx, store.ScriptListParams{TenantID: tenantID, Type: kilntype.TypeEvent,
			Status: kilntype.StatusActive, Limit: 200, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	r.mu.Lock()
	r.byTenant[tenantID] = tenantEventScripts{scripts: all, fetched: time.Now()}
	r.mu.Unlock()
	return all, nil
}

// invalidate drops a tenant's cached scripts after one of them changed.
func (r *eventRouter) invalidate(tenantID string) {
	r.mu.Lock()
	delete(r.byTenant, tenantID)
	r.mu.Unlock()
}

func retryOf(p *kilntype.RetryPolicy) queue.Retry {
	if p == nil {
		p = &kilntype.DefaultRetry
	}
	r := queue.Retry{Retries: p.Retries}
	for _, ms := range p.BackoffMs {
		r.Backoff = append(r.Backoff, time.Duration(ms)*time.Millisecond)
	}
	return r
}

// deliveryExecutionID is the execution ID of one attempt of a delivery:
// the same for a redelivery of that attempt (after a crash), so the attempt
// has one record and completes at most once. It starts with the event's
// time, like other execution IDs start with theirs, so IDs sort by time.
// Execution IDs are unique across tenants and tenants choose their event
// IDs, so it derives from the delivery's Key (tenant and delivery ID),
// not its ID.
func deliveryExecutionID(d queue.Delivery) string {
	return kilntype.DerivedID(d.Event.PublishedAt, fmt.Sprintf("%s\x00%d", d.Key, d.Attempt))
}

// deliverEvent runs one attempt of a delivery on the script's current
// version. An attempt that already completed (its record says so) is not
// run again; a delivery to a script that is gone, or that may no longer run
// on events (kilntype.MayRun), is dropped.
func (c *Client) deliverEvent(ctx context.Context, d queue.Delivery) error {
	tenant, err := c.catalog.tenantByID(ctx, d.Event.Tenant)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		c.log.Warn("event for a tenant that no longer exists", "delivery", d.ID)
		return nil
	}
	if err != nil {
		return &queue.Failure{Code: kilntype.EUnavailable, Message: err.Error()}
	}
	execID := deliveryExecutionID(d)
	if d.MayHaveRun {
		prev, err := c.store.ExecutionGet(ctx, tenant.ID, execID)
		switch {
		case err == nil && prev.Status == kilntype.ExecCompleted:
			return nil // a redelivery after the run completed
		case err != nil && kilntype.ErrorCode(err) != kilntype.ENotFound:
			// Running without knowing could complete the attempt twice.
			return &queue.Failure{Code: kilntype.EUnavailable, Message: "checking for an earlier run: " + err.Error()}
		}
	}
	in := kilntype.EventInput{ID: d.Event.ID, Type: d.Event.Type, Payload: d.Event.Payload, OccurredAt: d.Event.PublishedAt}
	input, err := in.AppendJSON(make([]byte, 0, 128+len(d.Event.Payload)))
	if err != nil {
		return queue.GiveUp(err)
	}
	res, err := c.run(ctx, runRequest{Tenant: tenant, ScriptID: d.Target, Trigger: kilntype.TriggerEvent, Input: input,
		Durable: true, ExecutionID: execID, Attempt: d.Attempt, FirstRun: !d.MayHaveRun})
	switch code := kilntype.ErrorCode(err); {
	case err == nil:
	case code == kilntype.ENotFound:
		c.log.Warn("event for a script that no longer exists", "delivery", d.ID)
		return nil
	case code == kilntype.EConflict:
		c.log.Info("event for a script that may no longer run on events; dropped", "delivery", d.ID, "script", d.Target, "reason", err)
		return nil
	case res != nil:
		return &queue.Failure{Code: code, Message: err.Error(), ExecutionID: execID}
	default:
		var ke *kilntype.Error
		if errors.As(err, &ke) {
			return &queue.Failure{Code: ke.Code, Message: ke.Message}
		}
		return &queue.Failure{Code: kilntype.EUnavailable, Message: err.Error(), ExecutionID: execID}
	}
	if e := res.Execution.Error; e != nil {
		return &queue.Failure{Code: e.Code, Message: e.Message, ExecutionID: execID}
	}
	return nil
}

// deadLetter stores a delivery whose every attempt failed.
func (c *Client) deadLetter(ctx context.Context, d queue.Delivery, attempts []queue.AttemptError) error {
	dl := kilntype.DeadLetter{ID: kilntype.NewID(time.Now()), TenantID: d.Event.Tenant, DeliveryID: d.ID, EventID: d.Event.ID, EventType: d.Event.Type,
		Payload: d.Event.Payload, OccurredAt: d.Event.PublishedAt, ScriptID: d.Target}
	if _, v, err := c.catalog.current(ctx, d.Event.Tenant, d.Target); err == nil {
		dl.Version = v.Number
	}
	for _, at := range attempts {
		dl.Attempts = append(dl.Attempts, kilntype.DeliveryAttempt{Attempt: at.Attempt, At: at.At,
			Error: &kilntype.ExecutionError{Code: at.Code, Message: at.Message}, ExecutionID: at.ExecutionID})
	}
	_, err := c.store.DeadLetterPut(ctx, dl)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		return nil // the tenant is gone
	}
	return err
}

// PublishParams is an event to publish.
type PublishParams struct {
	// TenantID or TenantSlug names the tenant; the ID wins.
	TenantID, TenantSlug string
	// Type is dot-separated lowercase words, such as order.created.
	Type string
	// Payload is the event's JSON; empty means null.
	Payload json.RawMessage
	// ID, if set, is the event's ID: a second publish of the tenant with
	// the same ID within the queue's duplicate window is dropped. IDs are
	// the tenant's own: another tenant's event with the same ID is another
	// event. Empty: Kiln makes one.
	ID string
}

// Publish makes an event durable for a tenant and returns its ID. It
// returns once the queue holds the event; the event scripts whose
// patterns match run later, each with its retries.
func (c *Client) Publish(ctx context.Context, p PublishParams) (string, error) {
	if !queue.ValidType(p.Type) {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "type %q must be dot-separated lowercase words, such as order.created (1 to 8 of them)", p.Type)
	}
	tenant, err := c.resolveTenant(ctx, p.TenantID, p.TenantSlug)
	if err != nil {
		return "", err
	}
	return c.publish(ctx, tenant.ID, p.Type, p.Payload, p.ID)
}

// publish makes an event durable for tenantID and returns its ID.
func (c *Client) publish(ctx context.Context, tenantID, typ string, payload json.RawMessage, id string) (string, error) {
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	if !json.Valid(payload) {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "payload must be JSON")
	}
	eventID, err := c.queue.Publish(ctx, queue.Event{ID: id, Tenant: tenantID, Type: typ, Payload: payload})
	var ke *kilntype.Error
	if err != nil && !errors.As(err, &ke) {
		err = kilntype.Errorf(kilntype.EUnavailable, "the event was not stored: %v", err)
	}
	return eventID, err
}
