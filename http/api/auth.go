package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/kiln-run/kiln/kilntype"
)

// principal is who is calling: the operator, or a key of one tenant.
type principal struct {
	Operator bool
	TenantID string
	Role     kilntype.Role
	KeyID    string
}

// name is what version records note as their author.
func (p principal) name() string {
	if p.Operator {
		return "operator"
	}
	return "key:" + p.KeyID
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newSecret returns a new API key secret: a prefix people can recognize in
// logs and config, and 256 random bits.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "kiln_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// authenticate resolves the bearer key: 401 when it is missing or unknown.
func (a *App) authenticate(r *http.Request) (principal, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(secret) == "" {
		return principal{}, kilntype.Errorf(kilntype.EUnauthorized, "missing API key: send the header 'Authorization: Bearer <key>'")
	}
	hash := hashKey(strings.TrimSpace(secret))
	if subtle.ConstantTimeCompare([]byte(hash), []byte(a.operatorHash)) == 1 {
		return a.operatorPrincipal(r)
	}
	key, err := a.store.KeyGetByHash(r.Context(), hash)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return principal{}, kilntype.Errorf(kilntype.EUnauthorized, "the API key is not valid or was revoked")
		}
		return principal{}, err
	}
	return principal{TenantID: key.TenantID, Role: key.Role, KeyID: key.ID}, nil
}

// tenantHeader lets the operator act inside one tenant, as its admin.
const tenantHeader = "X-Kiln-Tenant"

// operatorPrincipal is the operator, acting as admin of the tenant named by
// the X-Kiln-Tenant header when there is one.
func (a *App) operatorPrincipal(r *http.Request) (principal, error) {
	slug := strings.TrimSpace(r.Header.Get(tenantHeader))
	if slug == "" {
		return principal{Operator: true}, nil
	}
	t, err := a.store.TenantGetBySlug(r.Context(), slug)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return principal{}, kilntype.Errorf(kilntype.ENotFound, "no tenant %q (from the %s header)", slug, tenantHeader)
		}
		return principal{}, err
	}
	return principal{Operator: true, TenantID: t.ID, Role: kilntype.RoleAdmin}, nil
}

// requireTenant checks the caller is a tenant key with at least role need.
// The operator manages tenants but does not act inside them.
func requireTenant(p principal, need kilntype.Role) error {
	if p.TenantID == "" {
		return kilntype.Errorf(kilntype.EForbidden, "the operator key manages tenants; to act inside one, send the header '%s: <slug>' or use a tenant's key", tenantHeader)
	}
	if !p.Role.Allows(need) {
		return kilntype.Errorf(kilntype.EForbidden, "this needs the %s role; the key has %s", need, p.Role)
	}
	return nil
}
