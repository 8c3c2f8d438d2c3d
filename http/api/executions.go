package api

import (
	"encoding/json"
	"net/http"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

func (a *API) scriptExecute(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		Input json.RawMessage `json:"input"`
		Async bool            `json:"async"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	res, err := a.client.Run(r.Context(), kiln.RunParams{TenantID: p.TenantID, ScriptID: r.PathValue("id"),
		Trigger: kilntype.TriggerManual, Input: b.Input, Async: b.Async,
		TraceParent: r.Header.Get("Traceparent"), TraceState: r.Header.Get("Tracestate")})
	if err != nil {
		return 0, nil, err
	}
	if b.Async {
		return http.StatusAccepted, res.Execution, nil
	}
	return http.StatusOK, res.Execution, nil
}

func (a *API) executionList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	execs, next, err := a.client.ExecutionList(r.Context(), kiln.ExecutionListParams{TenantID: p.TenantID, ScriptID: q.Get("script"),
		Status: kilntype.ExecutionStatus(q.Get("status")), Trigger: kilntype.Trigger(q.Get("trigger")), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"executions": execs, "nextCursor": next}, nil
}

func (a *API) executionJournal(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	entries, err := a.client.ExecutionJournal(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"entries": entries}, nil
}

func (a *API) executionGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	e, err := a.client.ExecutionGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e, nil
}
