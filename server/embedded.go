package server

import (
	"context"
	"encoding/json"

	"github.com/kiln-run/kiln/kilntype"
)

// InvokeEmbedded runs a tenant's script (by ID) on its current version
// with trigger "embedded", for a Go host that embeds Kiln, and returns the
// execution once its record is durable. A script failure is in the
// execution's Error; err is for what kept it from running (NOT_FOUND,
// CONFLICT for an archived or disabled script, OVERLOADED).
func (a *App) InvokeEmbedded(ctx context.Context, tenantSlug, scriptID string, input json.RawMessage) (*kilntype.Execution, error) {
	tenant, err := a.catalog.tenant(ctx, tenantSlug)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			err = kilntype.Errorf(kilntype.ENotFound, "no tenant %q", tenantSlug)
		}
		return nil, err
	}
	s, v, err := a.catalog.current(ctx, tenant.ID, scriptID)
	if err != nil {
		return nil, err
	}
	if s.Status == kilntype.StatusArchived || s.Status == kilntype.StatusDisabled {
		return nil, kilntype.Errorf(kilntype.EConflict, "script %s is %s; it cannot run until its status changes", s.Name, s.Status)
	}
	if len(input) == 0 {
		input = json.RawMessage("null")
	}
	req := runRequest{Script: s, Version: v, Trigger: "embedded", Input: input, Caps: tenant.Settings.Caps, Durable: true}
	exec, err := a.runner.start(req)
	if err != nil {
		return nil, err
	}
	res, err := a.runner.run(ctx, req, exec)
	if err != nil {
		return nil, err
	}
	if res.Err != nil && res.Err.Code == codeOverloaded {
		return exec, &kilntype.Error{Code: string(codeOverloaded), Message: res.Err.Message, Details: map[string]string{"executionId": exec.ID}}
	}
	return exec, nil
}
