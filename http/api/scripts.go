package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/store"
)

// scriptBody is what POST and PUT /api/scripts accept. On PUT, absent
// fields keep their value.
type scriptBody struct {
	Name              *string                `json:"name"`
	Description       *string                `json:"description"`
	Type              *kilntype.ScriptType   `json:"type"`
	Status            *kilntype.ScriptStatus `json:"status"`
	Source            *string                `json:"source"`
	Language          *string                `json:"language"`
	Trigger           *kilntype.TriggerConfig      `json:"trigger"`
	Limits            *kilntype.Limits       `json:"limits"`
	ChangeDescription string                 `json:"changeDescription"`
}

// scriptView is a script with its current version's source.
type scriptView struct {
	kilntype.Script
	Source string `json:"source"`
	// NextRuns are a scheduled script's next five run times, in its
	// timezone.
	NextRuns []time.Time `json:"nextRuns,omitempty"`
}

func newScriptView(s kilntype.Script, source string) scriptView {
	v := scriptView{Script: s, Source: source}
	if c := s.Trigger.Cron; s.Type == kilntype.TypeScheduled && c != nil {
		if spec, err := schedule.Parse(c.Expression, c.Timezone); err == nil {
			v.NextRuns = spec.NextN(time.Now(), 5)
		}
	}
	return v
}

const maxSourceBytes = 512 << 10

func (a *App) checkScriptBody(b *scriptBody, creating bool) error {
	if creating {
		switch {
		case b.Name == nil:
			return invalid("name is required")
		case b.Type == nil:
			return invalid("type is required: one of http, event, scheduled, manual, embedded")
		case b.Source == nil:
			return invalid("source is required: the script's code")
		}
	}
	if b.Name != nil {
		*b.Name = strings.TrimSpace(*b.Name)
		if *b.Name == "" || len(*b.Name) > 200 {
			return invalid("name must be 1 to 200 characters")
		}
	}
	if b.Description != nil && len(*b.Description) > 2000 {
		return invalid("description must be at most 2000 characters")
	}
	if b.Type != nil && !slices.Contains(validTypes, *b.Type) {
		return invalid("type %q must be one of http, event, scheduled, manual, embedded", *b.Type)
	}
	if b.Status != nil && !slices.Contains(validStatuses, *b.Status) {
		return invalid("status %q must be one of draft, active, paused, disabled, archived", *b.Status)
	}
	if b.Language != nil && *b.Language != "typescript" && *b.Language != "javascript" {
		return invalid("language %q must be typescript or javascript", *b.Language)
	}
	if b.Source != nil && (strings.TrimSpace(*b.Source) == "" || len(*b.Source) > maxSourceBytes) {
		return invalid("source must be non-empty and at most %d bytes", maxSourceBytes)
	}
	if len(b.ChangeDescription) > 1000 {
		return invalid("changeDescription must be at most 1000 characters")
	}
	if b.Limits != nil {
		return a.validateLimits(*b.Limits)
	}
	return nil
}

func (a *App) scriptCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	var b scriptBody
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	if err := a.checkScriptBody(&b, true); err != nil {
		return 0, nil, err
	}
	s := kilntype.Script{TenantID: p.TenantID, Name: *b.Name, Type: *b.Type, Status: kilntype.StatusDraft, Language: "typescript"}
	if b.Description != nil {
		s.Description = *b.Description
	}
	if b.Status != nil {
		s.Status = *b.Status
	}
	if b.Language != nil {
		s.Language = *b.Language
	}
	if b.Trigger != nil {
		s.Trigger = *b.Trigger
	}
	if b.Limits != nil {
		s.Limits = *b.Limits
	}
	if err := a.checkTriggerAndSource(r, &s, *b.Source); err != nil {
		return 0, nil, err
	}
	created, err := a.store.ScriptCreate(r.Context(), store.ScriptCreateParams{
		TenantID: s.TenantID, Name: s.Name, Description: s.Description, Type: s.Type, Status: s.Status,
		Language: s.Language, Trigger: s.Trigger, Limits: s.Limits,
		Version: store.VersionCreateParams{SourceCode: *b.Source, ChangeDescription: orDefault(b.ChangeDescription, "created"),
			CreatedBy: p.name(), Trigger: triggerJSON(s.Trigger)},
	})
	if err != nil {
		return 0, nil, err
	}
	a.routesChanged(r, created)
	return http.StatusCreated, newScriptView(*created, *b.Source), nil
}

// checkTriggerAndSource validates the trigger for the type, that an HTTP
// route is free, and that the source compiles.
func (a *App) checkTriggerAndSource(r *http.Request, s *kilntype.Script, source string) error {
	if err := validateTrigger(s.Type, &s.Trigger); err != nil {
		return err
	}
	tenant, err := a.store.TenantGet(r.Context(), s.TenantID)
	if err != nil {
		return err
	}
	if err := checkCaps(s.Limits, tenant.Settings.Caps); err != nil {
		return err
	}
	if s.Type == kilntype.TypeHTTP && s.Status != kilntype.StatusArchived {
		if err := a.checkRouteFree(r.Context(), s.TenantID, s.ID, s.Trigger.HTTP); err != nil {
			return err
		}
	}
	if _, err := a.runner.compile(r.Context(), s, source); err != nil {
		return compileError(err)
	}
	return nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func (a *App) scriptGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	s, v, err := a.currentVersion(r, p, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newScriptView(*s, v.SourceCode), nil
}

func (a *App) currentVersion(r *http.Request, p principal, id string) (*kilntype.Script, *kilntype.Version, error) {
	s, err := a.store.ScriptGet(r.Context(), p.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	v, err := a.store.VersionGet(r.Context(), p.TenantID, s.ID, s.Version)
	if err != nil {
		return nil, nil, err
	}
	return s, v, nil
}

func (a *App) scriptList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	params := store.ScriptListParams{TenantID: p.TenantID, Type: kilntype.ScriptType(q.Get("type")),
		Status: kilntype.ScriptStatus(q.Get("status")), Query: q.Get("q"), Cursor: q.Get("cursor")}
	if params.Type != "" && !slices.Contains(validTypes, params.Type) {
		return 0, nil, invalid("type %q must be one of http, event, scheduled, manual, embedded", params.Type)
	}
	if params.Status != "" && !slices.Contains(validStatuses, params.Status) {
		return 0, nil, invalid("status %q must be one of draft, active, paused, disabled, archived", params.Status)
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	params.Limit = limit
	scripts, next, err := a.store.ScriptList(r.Context(), params)
	if err != nil {
		return 0, nil, err
	}
	if scripts == nil {
		scripts = []kilntype.Script{}
	}
	return http.StatusOK, map[string]any{"scripts": scripts, "nextCursor": next}, nil
}

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

func (a *App) scriptUpdate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	var b scriptBody
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	if err := a.checkScriptBody(&b, false); err != nil {
		return 0, nil, err
	}
	cur, curVersion, err := a.currentVersion(r, p, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if b.Type != nil && *b.Type != cur.Type {
		return 0, nil, invalid("a script's type cannot change (it is %s); create a new script instead", cur.Type)
	}
	next := *cur
	params := store.ScriptUpdateParams{TenantID: p.TenantID, ID: cur.ID, Name: b.Name, Description: b.Description,
		Status: b.Status, Language: b.Language, Limits: b.Limits}
	if b.Status != nil {
		next.Status = *b.Status
	}
	if b.Language != nil {
		next.Language = *b.Language
	}
	if b.Trigger != nil {
		next.Trigger = *b.Trigger
	}
	if b.Limits != nil {
		next.Limits = *b.Limits
	}
	source := curVersion.SourceCode
	if b.Source != nil {
		source = *b.Source
	}
	if err := a.checkTriggerAndSource(r, &next, source); err != nil {
		return 0, nil, err
	}
	params.Trigger = &next.Trigger
	if source != curVersion.SourceCode || !bytes.Equal(triggerJSON(next.Trigger), triggerJSON(cur.Trigger)) {
		params.NewVersion = &store.VersionCreateParams{SourceCode: source, ChangeDescription: orDefault(b.ChangeDescription, "updated"),
			CreatedBy: p.name(), Trigger: triggerJSON(next.Trigger)}
	}
	updated, err := a.store.ScriptUpdate(r.Context(), params)
	if err != nil {
		return 0, nil, err
	}
	a.routesChanged(r, updated)
	return http.StatusOK, newScriptView(*updated, source), nil
}

func (a *App) scriptArchive(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
		return 0, nil, err
	}
	archived := kilntype.StatusArchived
	s, err := a.store.ScriptUpdate(r.Context(), store.ScriptUpdateParams{TenantID: p.TenantID, ID: r.PathValue("id"), Status: &archived})
	if err != nil {
		return 0, nil, err
	}
	a.routesChanged(r, s)
	return http.StatusNoContent, nil, nil
}

// routesChanged refreshes the tenant's HTTP routes and retires old VMs.
func (a *App) routesChanged(r *http.Request, s *kilntype.Script) {
	a.catalog.scriptChanged(s)
	a.events.invalidate(s.TenantID)
	if a.cron != nil {
		if err := a.reloadCron(r.Context()); err != nil {
			a.log.Error("reload scheduled scripts", "err", err)
		}
	}
	a.runner.retire(s)
	if err := a.routes.reloadTenant(r.Context(), a.store, s.TenantID); err != nil {
		a.log.Error("reload HTTP routes", "tenant", s.TenantID, "err", err)
	}
}

func (a *App) versionList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	vs, err := a.store.VersionList(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"versions": vs}, nil
}

func (a *App) versionGet(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, nil, invalid("version %q must be a positive number", r.PathValue("n"))
	}
	v, err := a.store.VersionGet(r.Context(), p.TenantID, r.PathValue("id"), n)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v, nil
}

func (a *App) versionDiff(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleViewer); err != nil {
		return 0, nil, err
	}
	var nums [2]int
	for i, name := range []string{"from", "to"} {
		n, err := strconv.Atoi(r.URL.Query().Get(name))
		if err != nil || n < 1 {
			return 0, nil, invalid("query parameter %s must be a version number, as in ?from=1&to=2", name)
		}
		nums[i] = n
	}
	var vs [2]*kilntype.Version
	for i, n := range nums {
		v, err := a.store.VersionGet(r.Context(), p.TenantID, r.PathValue("id"), n)
		if err != nil {
			return 0, nil, err
		}
		vs[i] = v
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(vs[0].SourceCode), B: difflib.SplitLines(vs[1].SourceCode),
		FromFile: "v" + strconv.Itoa(nums[0]), ToFile: "v" + strconv.Itoa(nums[1]), Context: 3,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"from": nums[0], "to": nums[1], "diff": diff}, nil
}

func (a *App) scriptRollback(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleDeveloper); err != nil {
		return 0, nil, err
	}
	var b struct {
		Version           int    `json:"version"`
		ChangeDescription string `json:"changeDescription"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	if b.Version < 1 {
		return 0, nil, invalid("version must be the number of the version to roll back to")
	}
	old, err := a.store.VersionGet(r.Context(), p.TenantID, r.PathValue("id"), b.Version)
	if err != nil {
		return 0, nil, err
	}
	var trig kilntype.TriggerConfig
	if len(old.Trigger) > 0 {
		if err := json.Unmarshal(old.Trigger, &trig); err != nil {
			return 0, nil, err
		}
	}
	cur, err := a.store.ScriptGet(r.Context(), p.TenantID, r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if len(old.Trigger) == 0 {
		trig = cur.Trigger
	}
	next := *cur
	next.Trigger = trig
	if err := a.checkTriggerAndSource(r, &next, old.SourceCode); err != nil {
		return 0, nil, err
	}
	updated, err := a.store.ScriptUpdate(r.Context(), store.ScriptUpdateParams{TenantID: p.TenantID, ID: cur.ID, Trigger: &next.Trigger,
		NewVersion: &store.VersionCreateParams{SourceCode: old.SourceCode, CreatedBy: p.name(), Trigger: triggerJSON(next.Trigger),
			ChangeDescription: orDefault(b.ChangeDescription, "rollback to version "+strconv.Itoa(b.Version))}})
	if err != nil {
		return 0, nil, err
	}
	a.routesChanged(r, updated)
	return http.StatusOK, newScriptView(*updated, old.SourceCode), nil
}
