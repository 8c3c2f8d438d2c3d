package api

import (
	"encoding/json"
	"net/http"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// eventPublish accepts an event and answers once the queue holds it.
func (a *API) eventPublish(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	id, err := a.client.Publish(r.Context(), kiln.PublishParams{TenantID: p.TenantID, Type: b.Type, Payload: b.Payload, ID: b.ID})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"id": id}, nil
}

func (a *API) deadLetterList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	list, next, err := a.client.DeadLetterList(r.Context(), kiln.DeadLetterListParams{TenantID: p.TenantID, ScriptID: q.Get("script"),
		Status: kilntype.DeadLetterStatus(q.Get("status")), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"deadLetters": list, "nextCursor": next}, nil
}

func (a *API) deadLetterGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	d, err := a.client.DeadLetterGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, d, nil
}

func (a *API) deadLetterReplay(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	deliveryID, err := a.client.DeadLetterReplay(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, map[string]string{"deliveryId": deliveryID}, nil
}

func (a *API) deadLetterDiscard(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := a.client.DeadLetterDiscard(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
