package api

import (
	"net/http"
)

// secretPut creates or replaces a secret, encrypted at rest.
func (a *API) secretPut(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	var b struct {
		Value *string `json:"value"`
	}
	if err := decodeBody(w, r, a.maxBody, &b); err != nil {
		return 0, nil, err
	}
	value := ""
	if b.Value != nil {
		value = *b.Value
	}
	info, err := a.client.SecretPut(r.Context(), p.TenantID, r.PathValue("name"), value)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, info, nil
}

// secretList lists names and times, never values.
func (a *API) secretList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	list, err := a.client.SecretList(r.Context(), p.TenantID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"secrets": list}, nil
}

func (a *API) secretDelete(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := a.client.SecretDelete(r.Context(), p.TenantID, r.PathValue("name")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
