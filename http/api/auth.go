package api

import (
	"net/http"
	"strings"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// principal is who is calling: the operator (maybe acting inside one
// tenant), or a key of one tenant.
type principal = kiln.Principal

// Access is who may call a route. Each route of the table declares one;
// the authed middleware enforces it, and TestRouteAccess walks every
// route with every kind of key.
type Access int

const (
	// AccessAnyKey: any valid key.
	AccessAnyKey Access = iota
	// AccessOperator: only the operator key.
	AccessOperator
	// AccessOperatorOrAdmin: the operator, or a tenant's admin key (the
	// handler scopes it to its own tenant).
	AccessOperatorOrAdmin
	// AccessViewer, AccessDeveloper, AccessAdmin: a tenant's key with at
	// least this role, or the operator acting inside a tenant (as its
	// admin) with the X-Kiln-Tenant header.
	AccessViewer
	AccessDeveloper
	AccessAdmin
)

// String says who may call, for the OpenAPI document.
func (a Access) String() string {
	switch a {
	case AccessAnyKey:
		return "any key"
	case AccessOperator:
		return "operator"
	case AccessOperatorOrAdmin:
		return "operator or admin"
	case AccessViewer:
		return "viewer"
	case AccessDeveloper:
		return "developer"
	case AccessAdmin:
		return "admin"
	}
	return "unknown"
}

// role is the tenant role a tenant-scoped access needs.
func (a Access) role() (kilntype.Role, bool) {
	switch a {
	case AccessViewer:
		return kilntype.RoleViewer, true
	case AccessDeveloper:
		return kilntype.RoleDeveloper, true
	case AccessAdmin:
		return kilntype.RoleAdmin, true
	}
	return "", false
}

// check refuses p unless it has this access: FORBIDDEN with a sentence
// that says what would work.
func (a Access) check(p principal) error {
	switch a {
	case AccessAnyKey:
		return nil
	case AccessOperator:
		if !p.Operator {
			return kilntype.Errorf(kilntype.EForbidden, "only the operator key can do this")
		}
		return nil
	case AccessOperatorOrAdmin:
		if !p.Operator && !p.Role.Allows(kilntype.RoleAdmin) {
			return kilntype.Errorf(kilntype.EForbidden, "this needs the operator key or the admin role; the key has %s", p.Role)
		}
		return nil
	}
	need, _ := a.role()
	if p.TenantID == "" {
		return kilntype.Errorf(kilntype.EForbidden, "the operator key manages tenants; to act inside one, send the header '%s: <slug>' or use a tenant's key", tenantHeader)
	}
	if !p.Role.Allows(need) {
		return kilntype.Errorf(kilntype.EForbidden, "this needs the %s role; the key has %s", need, p.Role)
	}
	return nil
}

// tenantHeader lets the operator act inside one tenant, as its admin.
const tenantHeader = "X-Kiln-Tenant"

// authenticate resolves the bearer key: 401 when it is missing or unknown.
// The operator with the X-Kiln-Tenant header acts as that tenant's admin.
func (a *API) authenticate(r *http.Request) (principal, error) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		secret = ""
	}
	p, err := a.client.Authenticate(r.Context(), secret)
	if err != nil || !p.Operator {
		return p, err
	}
	slug := strings.TrimSpace(r.Header.Get(tenantHeader))
	if slug == "" {
		return p, nil
	}
	t, err := a.client.TenantGetBySlug(r.Context(), slug)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return principal{}, kilntype.Errorf(kilntype.ENotFound, "no tenant %q (from the %s header)", slug, tenantHeader)
		}
		return principal{}, err
	}
	return principal{Operator: true, TenantID: t.ID, Role: kilntype.RoleAdmin}, nil
}
