package api

import (
	"net/http"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

func (a *API) tenantCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var body struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	if err := decodeBody(w, r, a.maxBody, &body); err != nil {
		return 0, nil, err
	}
	t, err := a.client.TenantCreate(r.Context(), kiln.TenantCreateParams{Slug: body.Slug, Name: body.Name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, t, nil
}

func (a *API) tenantList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	ts, err := a.client.TenantList(r.Context())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"tenants": ts}, nil
}

func (a *API) tenantUpdate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var body struct {
		Name     *string                  `json:"name"`
		Settings *kilntype.TenantSettings `json:"settings"`
	}
	if err := decodeBody(w, r, a.maxBody, &body); err != nil {
		return 0, nil, err
	}
	t, err := a.client.TenantUpdate(r.Context(), kiln.TenantUpdateParams{Slug: r.PathValue("slug"), Name: body.Name, Settings: body.Settings})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, t, nil
}

// scope is the tenant a key route may touch: any for the operator, its own
// for a tenant's admin.
func scope(p principal) string {
	if p.Operator {
		return ""
	}
	return p.TenantID
}

func (a *API) keyCreate(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	slug := r.PathValue("slug")
	tenant, err := a.client.TenantGetBySlug(r.Context(), slug)
	if err == nil && scope(p) != "" && scope(p) != tenant.ID {
		// Another tenant's slug is not found, not forbidden, so tenants
		// cannot probe each other.
		err = kilntype.Errorf(kilntype.ENotFound, "no tenant %q", slug)
	}
	if err != nil {
		return 0, nil, err
	}
	var body struct {
		Name string        `json:"name"`
		Role kilntype.Role `json:"role"`
	}
	if err := decodeBody(w, r, a.maxBody, &body); err != nil {
		return 0, nil, err
	}
	k, err := a.client.KeyCreate(r.Context(), kiln.KeyCreateParams{TenantID: tenant.ID, Name: body.Name, Role: body.Role})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, k, nil
}

func (a *API) keyRevoke(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := a.client.KeyRevoke(r.Context(), scope(p), r.PathValue("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
