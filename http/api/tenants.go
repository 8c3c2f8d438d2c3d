package server

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

func (a *App) tenantCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if !p.Operator {
		return 0, nil, kilntype.Errorf(kilntype.EForbidden, "only the operator key can create tenants")
	}
	var body struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &body); err != nil {
		return 0, nil, err
	}
	if !slugPattern.MatchString(body.Slug) {
		return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "slug %q must be 2-63 lowercase letters, digits or dashes, starting with a letter or digit", body.Slug)
	}
	name := strings.TrimSpace(body.Name)
	if name == "" || len(name) > 200 {
		return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "name is required (at most 200 characters)")
	}
	t, err := a.store.TenantCreate(r.Context(), store.TenantCreateParams{Slug: body.Slug, Name: name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, t, nil
}

func (a *App) tenantList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if !p.Operator {
		return 0, nil, kilntype.Errorf(kilntype.EForbidden, "only the operator key can list tenants")
	}
	ts, err := a.store.TenantList(r.Context())
	if err != nil {
		return 0, nil, err
	}
	if ts == nil {
		ts = []kilntype.Tenant{}
	}
	return http.StatusOK, map[string]any{"tenants": ts}, nil
}

func (a *App) tenantUpdate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if !p.Operator {
		return 0, nil, kilntype.Errorf(kilntype.EForbidden, "only the operator key can change a tenant's settings")
	}
	tenant, err := a.store.TenantGetBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Name     *string                  `json:"name"`
		Settings *kilntype.TenantSettings `json:"settings"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &body); err != nil {
		return 0, nil, err
	}
	if body.Name != nil {
		*body.Name = strings.TrimSpace(*body.Name)
		if *body.Name == "" || len(*body.Name) > 200 {
			return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "name must be 1 to 200 characters")
		}
	}
	if s := body.Settings; s != nil {
		if s.RetentionDays < 0 || s.RetentionDays > 3650 {
			return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "settings.retentionDays must be between 1 and 3650 (0 means the server default)")
		}
		if err := a.validateLimits(s.Caps); err != nil {
			return 0, nil, err
		}
		pc := a.pool.Config()
		if s.Pool.MaxConcurrent < 0 || s.Pool.MaxConcurrent > pc.MaxConcurrent {
			return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "settings.pool.maxConcurrent must be between 1 and the server's %d (0 means the server default, %d)", pc.MaxConcurrent, pc.TenantConcurrent)
		}
		if s.Pool.MaxVMs < 0 || s.Pool.MaxVMs > pc.MaxVMs {
			return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "settings.pool.maxVMs must be between 1 and the server's %d (0 means the server default, %d)", pc.MaxVMs, pc.TenantVMs)
		}
	}
	t, err := a.store.TenantUpdate(r.Context(), store.TenantUpdateParams{ID: tenant.ID, Name: body.Name, Settings: body.Settings})
	if err != nil {
		return 0, nil, err
	}
	a.catalog.tenantChanged(t)
	return http.StatusOK, t, nil
}

type keyCreated struct {
	ID        string        `json:"id"`
	Key       string        `json:"key"`
	Name      string        `json:"name"`
	Role      kilntype.Role `json:"role"`
	TenantID  string        `json:"tenantId"`
	CreatedAt time.Time     `json:"createdAt"`
}

func (a *App) keyCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	tenant, err := a.store.TenantGetBySlug(r.Context(), r.PathValue("slug"))
	if err != nil {
		return 0, nil, err
	}
	if !p.Operator {
		// A tenant admin manages its own keys; another tenant's slug is not
		// found, not forbidden, so tenants cannot probe each other.
		if p.TenantID != tenant.ID {
			return 0, nil, kilntype.Errorf(kilntype.ENotFound, "tenant %q not found", r.PathValue("slug"))
		}
		if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
			return 0, nil, err
		}
	}
	var body struct {
		Name string        `json:"name"`
		Role kilntype.Role `json:"role"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &body); err != nil {
		return 0, nil, err
	}
	if !body.Role.Valid() {
		return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "role %q must be admin, developer or viewer", body.Role)
	}
	name := strings.TrimSpace(body.Name)
	if name == "" || len(name) > 200 {
		return 0, nil, kilntype.Errorf(kilntype.EInvalidArgument, "name is required (at most 200 characters)")
	}
	secret := newSecret()
	k, err := a.store.KeyCreate(r.Context(), store.KeyCreateParams{TenantID: tenant.ID, Name: name, Role: body.Role, Hash: hashKey(secret)})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, keyCreated{ID: k.ID, Key: secret, Name: k.Name, Role: k.Role, TenantID: k.TenantID, CreatedAt: k.CreatedAt}, nil
}

func (a *App) keyRevoke(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	k, err := a.store.KeyGet(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !p.Operator {
		if p.TenantID != k.TenantID {
			return 0, nil, kilntype.Errorf(kilntype.ENotFound, "key %s not found", r.PathValue("id"))
		}
		if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
			return 0, nil, err
		}
	}
	if err := a.store.KeyRevoke(r.Context(), k.ID, time.Now().UTC()); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
