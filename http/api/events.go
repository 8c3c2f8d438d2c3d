package server

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/store"
)

// eventPublish accepts an event and answers once the queue holds it.
func (a *App) eventPublish(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	var b struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	if !queue.ValidType(b.Type) {
		return 0, nil, invalid("type %q must be dot-separated lowercase words, such as order.created (1 to 8 of them)", b.Type)
	}
	id, err := a.publishEvent(r.Context(), p.TenantID, b.Type, b.Payload, b.ID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"id": id}, nil
}

var validDeadLetterStatuses = []kilntype.DeadLetterStatus{kilntype.DeadLetterDead, kilntype.DeadLetterReplayed, kilntype.DeadLetterDiscarded}

func (a *App) deadLetterList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	params := store.DeadLetterListParams{TenantID: p.TenantID, ScriptID: q.Get("script"), Status: kilntype.DeadLetterStatus(q.Get("status")), Cursor: q.Get("cursor")}
	if params.Status != "" && !slices.Contains(validDeadLetterStatuses, params.Status) {
		return 0, nil, invalid("status %q must be one of dead, replayed, discarded", params.Status)
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	params.Limit = limit
	list, next, err := a.store.DeadLetterList(r.Context(), params)
	if err != nil {
		return 0, nil, err
	}
	for i := range list {
		a.nameScript(r, &list[i])
	}
	if list == nil {
		list = []kilntype.DeadLetter{}
	}
	return http.StatusOK, map[string]any{"deadLetters": list, "nextCursor": next}, nil
}

// nameScript fills a dead letter's script name, for people reading it.
func (a *App) nameScript(r *http.Request, d *kilntype.DeadLetter) {
	if s, _, err := a.catalog.current(r.Context(), d.TenantID, d.ScriptID); err == nil {
		d.ScriptName = s.Name
	}
}

func (a *App) deadLetterGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	d, err := a.store.DeadLetterGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	a.nameScript(r, d)
	return http.StatusOK, d, nil
}

// deadLetterReplay delivers the event to the script again, on its current
// version, with a fresh attempt count.
func (a *App) deadLetterReplay(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	d, err := a.store.DeadLetterGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if d.Status != kilntype.DeadLetterDead {
		return 0, nil, kilntype.Errorf(kilntype.EConflict, "dead letter %s was already %s", d.ID, d.Status)
	}
	s, _, err := a.catalog.current(r.Context(), p.TenantID, d.ScriptID)
	if err != nil {
		return 0, nil, err
	}
	if s.Status != kilntype.StatusActive || s.Type != kilntype.TypeEvent {
		return 0, nil, kilntype.Errorf(kilntype.EConflict, "script %s is %s; activate it before replaying its dead letters", s.Name, s.Status)
	}
	deliveryID, err := a.queue.Replay(r.Context(), queue.Delivery{ID: d.DeliveryID, Target: d.ScriptID, Retry: retryOf(s.Trigger.Retry),
		Event: queue.Event{ID: d.EventID, Tenant: d.TenantID, Type: d.EventType, Payload: d.Payload, PublishedAt: d.OccurredAt}})
	if err != nil {
		return 0, nil, kilntype.Errorf(kilntype.EUnavailable, "the replay was not queued: %v", err)
	}
	if _, err := a.store.DeadLetterResolve(r.Context(), p.TenantID, d.ID, kilntype.DeadLetterReplayed, deliveryID); err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"deliveryId": deliveryID}, nil
}

// deadLetterDiscard drops a dead letter; its record stays, as discarded.
func (a *App) deadLetterDiscard(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	if _, err := a.store.DeadLetterResolve(r.Context(), p.TenantID, r.PathValue("id"), kilntype.DeadLetterDiscarded, ""); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
