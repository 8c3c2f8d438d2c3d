package kilntype

import "time"

// Tenant is one customer of the host application; every script, key and
// execution belongs to exactly one.
type Tenant struct {
	ID        string         `json:"id"`
	Slug      string         `json:"slug"`
	Name      string         `json:"name"`
	Settings  TenantSettings `json:"settings"`
	CreatedAt time.Time      `json:"createdAt"`
}

// TenantSettings are the operator's per-tenant overrides; zero values mean
// the server's defaults.
type TenantSettings struct {
	// RetentionDays is how long the tenant's execution records are kept.
	RetentionDays int `json:"retentionDays,omitempty"`
	// Caps bound what the tenant's scripts may ask for in their limits
	// (and are the default when a script asks for nothing).
	Caps Limits `json:"caps"`
	// Pool overrides the server's per-tenant share of the VM pool.
	Pool TenantPool `json:"pool"`
	// RecordExecutions keeps the journal of every execution of the
	// tenant, not only of failed ones, for kiln replay (as a script's
	// limits.record does for its own).
	RecordExecutions bool `json:"recordExecutions,omitempty"`
}

// TenantPool is a tenant's share of the global VM pool; zero fields mean
// the server's defaults.
type TenantPool struct {
	// MaxConcurrent caps the tenant's executions running at once.
	MaxConcurrent int `json:"maxConcurrent,omitempty"`
	// MaxVMs caps the tenant's live VMs (never below MaxConcurrent).
	MaxVMs int `json:"maxVMs,omitempty"`
}

// Role is what an API key may do within its tenant.
type Role string

const (
	// RoleAdmin may do everything in its tenant, including managing keys.
	RoleAdmin Role = "admin"
	// RoleDeveloper may read, create, update and execute scripts.
	RoleDeveloper Role = "developer"
	// RoleViewer may only read.
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleDeveloper || r == RoleViewer }

// Allows reports whether r grants at least need.
func (r Role) Allows(need Role) bool { return roleRank[r] >= roleRank[need] }

var roleRank = map[Role]int{RoleViewer: 1, RoleDeveloper: 2, RoleAdmin: 3}

// APIKey is a key's stored form: only the SHA-256 hash of the secret is kept.
type APIKey struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenantId"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}
