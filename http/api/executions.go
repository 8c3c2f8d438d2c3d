package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

var validExecStatuses = []kilntype.ExecutionStatus{kilntype.ExecPending, kilntype.ExecRunning, kilntype.ExecCompleted, kilntype.ExecFailed, kilntype.ExecTimeout, kilntype.ExecCancelled, kilntype.ExecSkipped}

func (a *App) scriptExecute(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	var b struct {
		Input json.RawMessage `json:"input"`
		Async bool            `json:"async"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	s, v, err := a.currentVersion(r, p, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if s.Status == kilntype.StatusArchived || s.Status == kilntype.StatusDisabled {
		return 0, nil, kilntype.Errorf(kilntype.EConflict, "script %s is %s; it cannot run until its status changes", s.ID, s.Status)
	}
	if len(b.Input) == 0 {
		b.Input = json.RawMessage("null")
	}
	tenant, err := a.store.TenantGet(r.Context(), p.TenantID)
	if err != nil {
		return 0, nil, err
	}
	req := runRequest{Script: s, Version: v, Trigger: "manual", Input: b.Input, Caps: tenant.Settings.Caps, Durable: !b.Async}
	exec, err := a.runner.start(req)
	if err != nil {
		return 0, nil, err
	}
	if b.Async {
		// Accepted means recorded: the pending record is durable before
		// the answer. The execution outlives the request; shutdown still
		// cancels it.
		if err := a.runner.accept(exec); err != nil {
			return 0, nil, err
		}
		pending := *exec
		go func() { _, _ = a.runner.run(context.Background(), req, exec) }()
		return http.StatusAccepted, pending, nil
	}
	res, err := a.runner.run(r.Context(), req, exec)
	if err != nil {
		return 0, nil, err
	}
	if res.Err != nil && res.Err.Code == codeOverloaded {
		return 0, nil, &kilntype.Error{Code: string(codeOverloaded), Message: res.Err.Message, Details: map[string]string{"executionId": exec.ID}}
	}
	return http.StatusOK, exec, nil
}

func (a *App) executionList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	params := store.ExecutionListParams{TenantID: p.TenantID, ScriptID: q.Get("script"),
		Status: kilntype.ExecutionStatus(q.Get("status")), Trigger: q.Get("trigger"), Cursor: q.Get("cursor")}
	if params.Status != "" && !slices.Contains(validExecStatuses, params.Status) {
		return 0, nil, invalid("status %q must be one of pending, running, completed, failed, timeout, cancelled, skipped", params.Status)
	}
	if params.Trigger != "" && !slices.Contains([]string{"http", "event", "cron", "manual", "embedded"}, params.Trigger) {
		return 0, nil, invalid("trigger %q must be one of http, event, cron, manual, embedded", params.Trigger)
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	params.Limit = limit
	execs, next, err := a.store.ExecutionList(r.Context(), params)
	if err != nil {
		return 0, nil, err
	}
	if execs == nil {
		execs = []kilntype.Execution{}
	}
	return http.StatusOK, map[string]any{"executions": execs, "nextCursor": next}, nil
}

func (a *App) executionGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	e, err := a.store.ExecutionGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, e, nil
}
