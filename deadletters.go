package kiln

import (
	"context"
	"slices"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/store"
)

var validDeadLetterStatuses = []kilntype.DeadLetterStatus{kilntype.DeadLetterDead, kilntype.DeadLetterReplayed, kilntype.DeadLetterDiscarded}

// DeadLetterListParams filters a tenant's dead letters; empty fields do
// not filter.
type DeadLetterListParams = store.DeadLetterListParams

// DeadLetterList returns a page of a tenant's dead letters — event
// deliveries whose every attempt failed — newest first, with their
// scripts' names, and the next page's cursor.
func (c *Client) DeadLetterList(ctx context.Context, p DeadLetterListParams) ([]kilntype.DeadLetter, string, error) {
	if p.Status != "" && !slices.Contains(validDeadLetterStatuses, p.Status) {
		return nil, "", invalid("status %q must be one of dead, replayed, discarded", p.Status)
	}
	if err := checkLimit(p.Limit); err != nil {
		return nil, "", err
	}
	list, next, err := c.store.DeadLetterList(ctx, p)
	if err != nil {
		return nil, "", err
	}
	for i := range list {
		c.nameScript(ctx, &list[i])
	}
	if list == nil {
		list = []kilntype.DeadLetter{}
	}
	return list, next, nil
}

// nameScript fills a dead letter's script name, for people reading it.
func (c *Client) nameScript(ctx context.Context, d *kilntype.DeadLetter) {
	if s, _, err := c.catalog.current(ctx, d.TenantID, d.ScriptID); err == nil {
		d.ScriptName = s.Name
	}
}

// DeadLetterGet returns a dead letter with every attempt's error.
func (c *Client) DeadLetterGet(ctx context.Context, tenantID, id string) (*kilntype.DeadLetter, error) {
	d, err := c.store.DeadLetterGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	c.nameScript(ctx, d)
	return d, nil
}

// DeadLetterReplay delivers a dead letter's event again to its script's
// current version, with a fresh attempt count, and returns the new
// delivery's ID. CONFLICT if it was already replayed or discarded, or if
// the script may not run on events now.
func (c *Client) DeadLetterReplay(ctx context.Context, tenantID, id string) (string, error) {
	d, err := c.store.DeadLetterGet(ctx, tenantID, id)
	if err != nil {
		return "", err
	}
	if d.Status != kilntype.DeadLetterDead {
		return "", kilntype.Errorf(kilntype.EConflict, "dead letter %s was already %s", d.ID, d.Status)
	}
	s, _, err := c.catalog.current(ctx, tenantID, d.ScriptID)
	if err != nil {
		return "", err
	}
	if kilntype.MayRun(s, kilntype.TriggerEvent) != nil {
		return "", kilntype.Errorf(kilntype.EConflict, "script %s is a %s %s script; only an active event script's dead letters can be replayed", s.Name, s.Status, s.Type)
	}
	deliveryID, err := c.queue.Replay(ctx, queue.Delivery{ID: d.DeliveryID, Target: d.ScriptID, Retry: retryOf(s.Trigger.Retry),
		Event: queue.Event{ID: d.EventID, Tenant: d.TenantID, Type: d.EventType, Payload: d.Payload, PublishedAt: d.OccurredAt}})
	if err != nil {
		return "", kilntype.Errorf(kilntype.EUnavailable, "the replay was not queued: %v", err)
	}
	if _, err := c.store.DeadLetterResolve(ctx, tenantID, d.ID, kilntype.DeadLetterReplayed, deliveryID); err != nil {
		return "", err
	}
	return deliveryID, nil
}

// DeadLetterDiscard drops a dead letter; its record stays, as discarded.
func (c *Client) DeadLetterDiscard(ctx context.Context, tenantID, id string) error {
	_, err := c.store.DeadLetterResolve(ctx, tenantID, id, kilntype.DeadLetterDiscarded, "")
	return err
}
