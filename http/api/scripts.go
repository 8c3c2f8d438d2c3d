package api

import (
	"net/http"
	"strconv"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// scriptBody is what POST and PUT /api/scripts accept. On PUT, absent
// fields keep their value.
type scriptBody struct {
	Name              *string                 `json:"name"`
	Description       *string                 `json:"description"`
	Type              *kilntype.ScriptType    `json:"type"`
	Status            *kilntype.ScriptStatus  `json:"status"`
	Source            *string                 `json:"source"`
	Language          *string                 `json:"language"`
	Trigger           *kilntype.TriggerConfig `json:"trigger"`
	Limits            *kilntype.Limits        `json:"limits"`
	ChangeDescription string                  `json:"changeDescription"`
}

func (a *API) scriptCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b scriptBody
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Name == nil:
		return 0, nil, invalid("name is required")
	case b.Type == nil:
		return 0, nil, invalid("type is required: one of http, event, scheduled, manual, embedded, task")
	case b.Source == nil:
		return 0, nil, invalid("source is required: the script's code")
	}
	params := kiln.ScriptCreateParams{TenantID: p.TenantID, Name: *b.Name, Type: *b.Type, Source: *b.Source,
		ChangeDescription: b.ChangeDescription, CreatedBy: p.Name()}
	if b.Description != nil {
		params.Description = *b.Description
	}
	if b.Status != nil {
		params.Status = *b.Status
	}
	if b.Language != nil {
		params.Language = *b.Language
	}
	if b.Trigger != nil {
		params.Trigger = *b.Trigger
	}
	if b.Limits != nil {
		params.Limits = *b.Limits
	}
	s, err := a.client.ScriptCreate(r.Context(), params)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s, nil
}

func (a *API) scriptGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	s, err := a.client.ScriptGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}

func (a *API) scriptList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	q := r.URL.Query()
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	scripts, next, err := a.client.ScriptList(r.Context(), kiln.ScriptListParams{TenantID: p.TenantID, Type: kilntype.ScriptType(q.Get("type")),
		Status: kilntype.ScriptStatus(q.Get("status")), Query: q.Get("q"), Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"scripts": scripts, "nextCursor": next}, nil
}

// parseLimit reads a page size from the query: 1 to 200, or empty for the
// default.
func parseLimit(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 200 {
		return 0, invalid("limit %q must be a number from 1 to 200", s)
	}
	return n, nil
}

func invalid(format string, args ...any) error {
	return kilntype.Errorf(kilntype.EInvalidArgument, format, args...)
}

func (a *API) scriptUpdate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b scriptBody
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	s, err := a.client.ScriptUpdate(r.Context(), kiln.ScriptUpdateParams{TenantID: p.TenantID, ID: r.PathValue("id"),
		Name: b.Name, Description: b.Description, Type: b.Type, Status: b.Status, Language: b.Language, Source: b.Source,
		Trigger: b.Trigger, Limits: b.Limits, ChangeDescription: b.ChangeDescription, CreatedBy: p.Name()})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}

func (a *API) scriptArchive(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := a.client.ScriptArchive(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) versionList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	vs, err := a.client.VersionList(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"versions": vs}, nil
}

func (a *API) versionGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, nil, invalid("version %q must be a positive number", r.PathValue("n"))
	}
	v, err := a.client.VersionGet(r.Context(), p.TenantID, r.PathValue("id"), n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (a *API) versionDiff(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var nums [2]int
	for i, name := range []string{"from", "to"} {
		n, err := strconv.Atoi(r.URL.Query().Get(name))
		if err != nil || n < 1 {
			return 0, nil, invalid("query parameter %s must be a version number, as in ?from=1&to=2", name)
		}
		nums[i] = n
	}
	d, err := a.client.VersionDiffGet(r.Context(), p.TenantID, r.PathValue("id"), nums[0], nums[1])
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, d, nil
}

func (a *API) scriptRollback(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		Version           int    `json:"version"`
		ChangeDescription string `json:"changeDescription"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	s, err := a.client.ScriptRollback(r.Context(), kiln.ScriptRollbackParams{TenantID: p.TenantID, ID: r.PathValue("id"),
		Version: b.Version, ChangeDescription: b.ChangeDescription, CreatedBy: p.Name()})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s, nil
}
