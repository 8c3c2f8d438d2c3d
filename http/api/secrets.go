package server

import (
	"net/http"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// maxSecretBytes bounds one secret's value.
const maxSecretBytes = 64 << 10

// secretPut creates or replaces a secret, encrypted at rest.
func (a *App) secretPut(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
		return 0, nil, err
	}
	name := r.PathValue("name")
	if err := store.ValidSecretName(name); err != nil {
		return 0, nil, err
	}
	var b struct {
		Value *string `json:"value"`
	}
	if err := decodeBody(w, r, a.cfg.MaxBodyBytes, &b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.Value == nil || *b.Value == "":
		return 0, nil, invalid("value is required: send {\"value\": \"…\"}")
	case len(*b.Value) > maxSecretBytes:
		return 0, nil, kilntype.Errorf(kilntype.ETooLarge, "a secret's value is at most %d bytes", maxSecretBytes)
	case !utf8.ValidString(*b.Value):
		return 0, nil, invalid("value must be UTF-8 text (encode binary values, e.g. in base64)")
	}
	sealed, err := a.secrets.Seal(p.TenantID, name, []byte(*b.Value))
	if err != nil {
		return 0, nil, err
	}
	info, err := a.store.SecretPut(r.Context(), p.TenantID, name, sealed)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, info, nil
}

// secretList lists names and times, never values.
func (a *App) secretList(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
		return 0, nil, err
	}
	list, err := a.store.SecretList(r.Context(), p.TenantID)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []store.SecretInfo{}
	}
	return http.StatusOK, map[string]any{"secrets": list}, nil
}

func (a *App) secretDelete(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	if err := requireTenant(p, kilntype.RoleAdmin); err != nil {
		return 0, nil, err
	}
	if err := a.store.SecretDelete(r.Context(), p.TenantID, r.PathValue("name")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
