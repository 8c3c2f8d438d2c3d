package kiln

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/store"
)

// ScriptDetail is a script with its current version's source.
type ScriptDetail struct {
	kilntype.Script
	Source string `json:"source"`
	// NextRuns are a scheduled script's next five run times, in its
	// timezone.
	NextRuns []time.Time `json:"nextRuns,omitempty"`
}

func newScriptDetail(s kilntype.Script, source string) *ScriptDetail {
	v := &ScriptDetail{Script: s, Source: source}
	if cron := s.Trigger.Cron; s.Type == kilntype.TypeScheduled && cron != nil {
		if spec, err := schedule.Parse(cron.Expression, cron.Timezone); err == nil {
			v.NextRuns = spec.NextN(time.Now(), 5)
		}
	}
	return v
}

// ScriptCreateParams is a new script and its version 1.
type ScriptCreateParams struct {
	TenantID    string
	Name        string // required, 1 to 200 characters, unique among the tenant's scripts that are not archived
	Description string
	Type        kilntype.ScriptType   // required
	Status      kilntype.ScriptStatus // default draft
	Language    string                // "typescript" (default) or "javascript"
	Source      string                // required
	Trigger     kilntype.TriggerConfig
	Limits      kilntype.Limits
	// ChangeDescription is noted on version 1 (default "created").
	ChangeDescription string
	// CreatedBy is noted on version 1 as its author.
	CreatedBy string
}

// ScriptUpdateParams changes a script; nil fields keep their value. A new
// source or trigger makes the next version.
type ScriptUpdateParams struct {
	TenantID          string
	ID                string
	Name              *string
	Description       *string
	Type              *kilntype.ScriptType // may only repeat the script's type
	Status            *kilntype.ScriptStatus
	Language          *string
	Source            *string
	Trigger           *kilntype.TriggerConfig
	Limits            *kilntype.Limits
	ChangeDescription string
	CreatedBy         string
}

const maxSourceBytes = 512 << 10

// ScriptCreate creates a script with version 1. The source must compile
// (SYNTAX_ERROR or SANDBOX_VIOLATION with the line and column in the
// error's details), the trigger must fit the type, the limits the server's
// and the tenant's caps, an HTTP route must be free and the name must be
// free (CONFLICT).
func (c *Client) ScriptCreate(ctx context.Context, p ScriptCreateParams) (*ScriptDetail, error) {
	s := kilntype.Script{TenantID: p.TenantID, Name: strings.TrimSpace(p.Name), Description: p.Description, Type: p.Type,
		Status: cmp.Or(p.Status, kilntype.StatusDraft), Language: cmp.Or(p.Language, "typescript"), Trigger: p.Trigger, Limits: p.Limits}
	switch {
	case p.Type == "":
		return nil, invalid("type is required: one of http, event, scheduled, manual, embedded, task")
	case p.Source == "":
		return nil, invalid("source is required: the script's code")
	}
	if err := c.checkScriptFields(&s, p.Source, p.ChangeDescription); err != nil {
		return nil, err
	}
	if err := c.checkTriggerAndSource(ctx, &s, p.Source); err != nil {
		return nil, err
	}
	created, err := c.store.ScriptCreate(ctx, store.ScriptCreateParams{
		TenantID: s.TenantID, Name: s.Name, Description: s.Description, Type: s.Type, Status: s.Status,
		Language: s.Language, Trigger: s.Trigger, Limits: s.Limits,
		Version: store.VersionCreateParams{SourceCode: p.Source, ChangeDescription: orDefault(p.ChangeDescription, "created"),
			CreatedBy: p.CreatedBy, Trigger: triggerJSON(s.Trigger)},
	})
	if err != nil {
		return nil, err
	}
	c.scriptChanged(ctx, created)
	return newScriptDetail(*created, p.Source), nil
}

// checkScriptFields checks the fields a create or an update sets.
func (c *Client) checkScriptFields(s *kilntype.Script, source, changeDescription string) error {
	switch {
	case s.Name == "" || len(s.Name) > 200:
		return invalid("name must be 1 to 200 characters")
	case len(s.Description) > 2000:
		return invalid("description must be at most 2000 characters")
	case !slices.Contains(validTypes, s.Type):
		return invalid("type %q must be one of http, event, scheduled, manual, embedded, task", s.Type)
	case !slices.Contains(validStatuses, s.Status):
		return invalid("status %q must be one of draft, active, paused, disabled, archived", s.Status)
	case s.Language != "typescript" && s.Language != "javascript":
		return invalid("language %q must be typescript or javascript", s.Language)
	case strings.TrimSpace(source) == "" || len(source) > maxSourceBytes:
		return invalid("source must be non-empty and at most %d bytes", maxSourceBytes)
	case len(changeDescription) > 1000:
		return invalid("changeDescription must be at most 1000 characters")
	}
	return c.validateLimits(s.Limits)
}

// checkTriggerAndSource validates the trigger for the type, the limits
// against the tenant's caps, that an HTTP route is free, and that the
// source compiles.
func (c *Client) checkTriggerAndSource(ctx context.Context, s *kilntype.Script, source string) error {
	if err := validateTrigger(s.Type, &s.Trigger); err != nil {
		return err
	}
	tenant, err := c.store.TenantGet(ctx, s.TenantID)
	if err != nil {
		return err
	}
	if err := checkCaps(s.Limits, tenant.Settings.Caps); err != nil {
		return err
	}
	if s.Type == kilntype.TypeHTTP && s.Status != kilntype.StatusArchived {
		if err := c.checkRouteFree(ctx, s.TenantID, s.ID, s.Trigger.HTTP); err != nil {
			return err
		}
	}
	if _, err := c.runner.compile(ctx, s, source); err != nil {
		return compileError(err)
	}
	return nil
}

// ScriptUpdate changes a script. A new source or trigger writes the next
// version; other fields change the script in place. The checks are
// ScriptCreate's; a script's type never changes.
func (c *Client) ScriptUpdate(ctx context.Context, p ScriptUpdateParams) (*ScriptDetail, error) {
	cur, curVersion, err := c.currentVersion(ctx, p.TenantID, p.ID)
	if err != nil {
		return nil, err
	}
	if p.Type != nil && *p.Type != cur.Type {
		return nil, invalid("a script's type cannot change (it is %s); create a new script instead", cur.Type)
	}
	next := *cur
	if p.Name != nil {
		next.Name = strings.TrimSpace(*p.Name)
	}
	if p.Description != nil {
		next.Description = *p.Description
	}
	if p.Status != nil {
		next.Status = *p.Status
	}
	if p.Language != nil {
		next.Language = *p.Language
	}
	if p.Trigger != nil {
		next.Trigger = *p.Trigger
	}
	if p.Limits != nil {
		next.Limits = *p.Limits
	}
	source := curVersion.SourceCode
	if p.Source != nil {
		source = *p.Source
	}
	if err := c.checkScriptFields(&next, source, p.ChangeDescription); err != nil {
		return nil, err
	}
	if err := c.checkTriggerAndSource(ctx, &next, source); err != nil {
		return nil, err
	}
	params := store.ScriptUpdateParams{TenantID: p.TenantID, ID: cur.ID, Name: p.Name, Description: p.Description,
		Status: p.Status, Language: p.Language, Limits: p.Limits, Trigger: &next.Trigger}
	if p.Name != nil {
		params.Name = &next.Name
	}
	if source != curVersion.SourceCode || !bytes.Equal(triggerJSON(next.Trigger), triggerJSON(cur.Trigger)) {
		params.NewVersion = &store.VersionCreateParams{SourceCode: source, ChangeDescription: orDefault(p.ChangeDescription, "updated"),
			CreatedBy: p.CreatedBy, Trigger: triggerJSON(next.Trigger)}
	}
	updated, err := c.store.ScriptUpdate(ctx, params)
	if err != nil {
		return nil, err
	}
	c.scriptChanged(ctx, updated)
	return newScriptDetail(*updated, source), nil
}

// ScriptRollbackParams names the version whose source and trigger a
// rollback copies into a new version.
type ScriptRollbackParams struct {
	TenantID          string
	ID                string
	Version           int
	ChangeDescription string // default "rollback to version N"
	CreatedBy         string
}

// ScriptRollback writes a new version with an old version's source and
// trigger; history is never rewritten.
func (c *Client) ScriptRollback(ctx context.Context, p ScriptRollbackParams) (*ScriptDetail, error) {
	if p.Version < 1 {
		return nil, invalid("version must be the number of the version to roll back to")
	}
	if len(p.ChangeDescription) > 1000 {
		return nil, invalid("changeDescription must be at most 1000 characters")
	}
	old, err := c.store.VersionGet(ctx, p.TenantID, p.ID, p.Version)
	if err != nil {
		return nil, err
	}
	cur, err := c.store.ScriptGet(ctx, p.TenantID, p.ID)
	if err != nil {
		return nil, err
	}
	next := *cur
	if len(old.Trigger) > 0 {
		next.Trigger = kilntype.TriggerConfig{}
		if err := json.Unmarshal(old.Trigger, &next.Trigger); err != nil {
			return nil, err
		}
	}
	if err := c.checkTriggerAndSource(ctx, &next, old.SourceCode); err != nil {
		return nil, err
	}
	updated, err := c.store.ScriptUpdate(ctx, store.ScriptUpdateParams{TenantID: p.TenantID, ID: cur.ID, Trigger: &next.Trigger,
		NewVersion: &store.VersionCreateParams{SourceCode: old.SourceCode, CreatedBy: p.CreatedBy, Trigger: triggerJSON(next.Trigger),
			ChangeDescription: orDefault(p.ChangeDescription, "rollback to version "+strconv.Itoa(p.Version))}})
	if err != nil {
		return nil, err
	}
	c.scriptChanged(ctx, updated)
	return newScriptDetail(*updated, old.SourceCode), nil
}

// ScriptArchive archives a script: it never runs again, its name is free
// for a new script, and its versions and executions are kept.
func (c *Client) ScriptArchive(ctx context.Context, tenantID, id string) error {
	archived := kilntype.StatusArchived
	s, err := c.store.ScriptUpdate(ctx, store.ScriptUpdateParams{TenantID: tenantID, ID: id, Status: &archived})
	if err != nil {
		return err
	}
	c.scriptChanged(ctx, s)
	return nil
}

// ScriptGet returns a tenant's script with its current source; NOT_FOUND
// if the tenant has no script with that ID.
func (c *Client) ScriptGet(ctx context.Context, tenantID, id string) (*ScriptDetail, error) {
	s, v, err := c.currentVersion(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return newScriptDetail(*s, v.SourceCode), nil
}

// ScriptGetByName returns the tenant's script with exactly this name that
// is not archived, with its current source; NOT_FOUND if there is none.
func (c *Client) ScriptGetByName(ctx context.Context, tenantID, name string) (*ScriptDetail, error) {
	s, err := c.store.ScriptGetByName(ctx, tenantID, name)
	if err != nil {
		return nil, err
	}
	return c.ScriptGet(ctx, tenantID, s.ID)
}

func (c *Client) currentVersion(ctx context.Context, tenantID, id string) (*kilntype.Script, *kilntype.Version, error) {
	s, err := c.store.ScriptGet(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	v, err := c.store.VersionGet(ctx, tenantID, s.ID, s.Version)
	if err != nil {
		return nil, nil, err
	}
	return s, v, nil
}

// ScriptListParams filters a tenant's scripts; empty fields do not filter.
type ScriptListParams = store.ScriptListParams

// ScriptList returns a page of a tenant's scripts, newest first, and the
// cursor of the next page ("" after the last).
func (c *Client) ScriptList(ctx context.Context, p ScriptListParams) ([]kilntype.Script, string, error) {
	if p.Type != "" && !slices.Contains(validTypes, p.Type) {
		return nil, "", invalid("type %q must be one of http, event, scheduled, manual, embedded, task", p.Type)
	}
	if p.Status != "" && !slices.Contains(validStatuses, p.Status) {
		return nil, "", invalid("status %q must be one of draft, active, paused, disabled, archived", p.Status)
	}
	if err := checkLimit(p.Limit); err != nil {
		return nil, "", err
	}
	scripts, next, err := c.store.ScriptList(ctx, p)
	if scripts == nil && err == nil {
		scripts = []kilntype.Script{}
	}
	return scripts, next, err
}

// checkLimit checks a page size: 1 to 200, or 0 for the default.
func checkLimit(n int) error {
	if n < 0 || n > 200 {
		return invalid("limit %d must be a number from 1 to 200", n)
	}
	return nil
}

// VersionList returns a script's versions, newest first, without their
// sources.
func (c *Client) VersionList(ctx context.Context, tenantID, scriptID string) ([]kilntype.Version, error) {
	return c.store.VersionList(ctx, tenantID, scriptID)
}

// VersionGet returns one version of a script, with its source.
func (c *Client) VersionGet(ctx context.Context, tenantID, scriptID string, n int) (*kilntype.Version, error) {
	if n < 1 {
		return nil, invalid("version %d must be a positive number", n)
	}
	return c.store.VersionGet(ctx, tenantID, scriptID, n)
}

// VersionDiff is a unified diff between two versions' sources.
type VersionDiff struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Diff string `json:"diff"`
}

// VersionDiffGet returns the unified diff (3 lines of context) from one
// version of a script to another.
func (c *Client) VersionDiffGet(ctx context.Context, tenantID, scriptID string, from, to int) (*VersionDiff, error) {
	var vs [2]*kilntype.Version
	for i, n := range []int{from, to} {
		v, err := c.VersionGet(ctx, tenantID, scriptID, n)
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(vs[0].SourceCode), B: difflib.SplitLines(vs[1].SourceCode),
		FromFile: "v" + strconv.Itoa(from), ToFile: "v" + strconv.Itoa(to), Context: 3,
	})
	if err != nil {
		return nil, err
	}
	return &VersionDiff{From: from, To: to, Diff: diff}, nil
}

// scriptChanged refreshes what caches the script — the catalog, the event
// router, the schedule, the HTTP routes — and retires its old VMs.
func (c *Client) scriptChanged(ctx context.Context, s *kilntype.Script) {
	c.catalog.scriptChanged(s)
	c.events.invalidate(s.TenantID)
	if c.cron != nil {
		if err := c.reloadCron(ctx); err != nil {
			c.log.Error("reload scheduled scripts", "err", err)
		}
	}
	c.runner.retire(s)
	if err := c.routes.reloadTenant(ctx, c.store, s.TenantID); err != nil {
		c.log.Error("reload HTTP routes", "tenant", s.TenantID, "err", err)
	}
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// ScriptSaveParams is a script saved by name: created if the tenant has no
// script of that name, else given a new version.
type ScriptSaveParams struct {
	// TenantID or TenantSlug names the tenant; the ID wins.
	TenantID, TenantSlug string
	Name                 string
	Source               string
	// Language is "typescript" (the default) or "javascript".
	Language string
	// Type is the type a new script gets (default embedded); an existing
	// script keeps its own, and a different one is INVALID_ARGUMENT.
	Type kilntype.ScriptType
	// Trigger and Limits, if set, replace the script's.
	Trigger *kilntype.TriggerConfig
	Limits  *kilntype.Limits
	// ChangeDescription is noted on the new version.
	ChangeDescription string
	// CreatedBy is noted on the new version (default "host").
	CreatedBy string
}

// ScriptSave creates the tenant's script with this name, active, or saves
// a new version of it: the call a host makes to deploy a script it ships.
// The checks are ScriptCreate's and ScriptUpdate's.
func (c *Client) ScriptSave(ctx context.Context, p ScriptSaveParams) (*ScriptDetail, error) {
	tenant, err := c.resolveTenant(ctx, p.TenantID, p.TenantSlug)
	if err != nil {
		return nil, err
	}
	by := cmp.Or(p.CreatedBy, "host")
	existing, err := c.store.ScriptGetByName(ctx, tenant.ID, strings.TrimSpace(p.Name))
	switch {
	case err == nil:
		var typ *kilntype.ScriptType
		if p.Type != "" {
			typ = &p.Type
		}
		var lang *string
		if p.Language != "" {
			lang = &p.Language
		}
		return c.ScriptUpdate(ctx, ScriptUpdateParams{TenantID: tenant.ID, ID: existing.ID, Type: typ, Source: &p.Source,
			Language: lang, Trigger: p.Trigger, Limits: p.Limits, ChangeDescription: p.ChangeDescription, CreatedBy: by})
	case kilntype.ErrorCode(err) != kilntype.ENotFound:
		return nil, err
	}
	params := ScriptCreateParams{TenantID: tenant.ID, Name: p.Name, Type: cmp.Or(p.Type, kilntype.TypeEmbedded),
		Status: kilntype.StatusActive, Language: p.Language, Source: p.Source, ChangeDescription: p.ChangeDescription, CreatedBy: by}
	if p.Trigger != nil {
		params.Trigger = *p.Trigger
	}
	if p.Limits != nil {
		params.Limits = *p.Limits
	}
	return c.ScriptCreate(ctx, params)
}
