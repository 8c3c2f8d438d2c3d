package kiln

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/store"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// TenantCreateParams is a new tenant.
type TenantCreateParams struct {
	// Slug names the tenant in URLs (/run/{slug}/…): 2 to 63 lowercase
	// letters, digits or dashes, starting with a letter or digit.
	Slug string
	// Name is for people: 1 to 200 characters.
	Name string
}

// TenantCreate creates a tenant; CONFLICT if the slug is taken.
func (c *Client) TenantCreate(ctx context.Context, p TenantCreateParams) (*kilntype.Tenant, error) {
	if !slugPattern.MatchString(p.Slug) {
		return nil, invalid("slug %q must be 2-63 lowercase letters, digits or dashes, starting with a letter or digit", p.Slug)
	}
	name := strings.TrimSpace(p.Name)
	if name == "" || len(name) > 200 {
		return nil, invalid("name is required (at most 200 characters)")
	}
	return c.store.TenantCreate(ctx, store.TenantCreateParams{Slug: p.Slug, Name: name})
}

// TenantList returns every tenant.
func (c *Client) TenantList(ctx context.Context) ([]kilntype.Tenant, error) {
	ts, err := c.store.TenantList(ctx)
	if ts == nil && err == nil {
		ts = []kilntype.Tenant{}
	}
	return ts, err
}

// TenantGet returns the tenant with this ID; NOT_FOUND if there is none.
func (c *Client) TenantGet(ctx context.Context, id string) (*kilntype.Tenant, error) {
	return c.store.TenantGet(ctx, id)
}

// TenantGetBySlug returns the tenant with this slug; NOT_FOUND if there is
// none.
func (c *Client) TenantGetBySlug(ctx context.Context, slug string) (*kilntype.Tenant, error) {
	t, err := c.store.TenantGetBySlug(ctx, slug)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		return nil, kilntype.Errorf(kilntype.ENotFound, "no tenant %q", slug)
	}
	return t, err
}

// TenantUpdateParams changes a tenant; nil fields keep their value.
type TenantUpdateParams struct {
	Slug     string
	Name     *string
	Settings *kilntype.TenantSettings
}

// TenantUpdate changes a tenant's name or settings (retention, limit caps,
// pool share); the new pool share applies at once.
func (c *Client) TenantUpdate(ctx context.Context, p TenantUpdateParams) (*kilntype.Tenant, error) {
	tenant, err := c.TenantGetBySlug(ctx, p.Slug)
	if err != nil {
		return nil, err
	}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if name == "" || len(name) > 200 {
			return nil, invalid("name must be 1 to 200 characters")
		}
		p.Name = &name
	}
	if s := p.Settings; s != nil {
		if s.RetentionDays < 0 || s.RetentionDays > 3650 {
			return nil, invalid("settings.retentionDays must be between 1 and 3650 (0 means the server default)")
		}
		if err := c.validateLimits(s.Caps); err != nil {
			return nil, err
		}
		pc := c.pool.Config()
		if s.Pool.MaxConcurrent < 0 || s.Pool.MaxConcurrent > pc.MaxConcurrent {
			return nil, invalid("settings.pool.maxConcurrent must be between 1 and the server's %d (0 means the server default, %d)", pc.MaxConcurrent, pc.TenantConcurrent)
		}
		if s.Pool.MaxVMs < 0 || s.Pool.MaxVMs > pc.MaxVMs {
			return nil, invalid("settings.pool.maxVMs must be between 1 and the server's %d (0 means the server default, %d)", pc.MaxVMs, pc.TenantVMs)
		}
	}
	t, err := c.store.TenantUpdate(ctx, store.TenantUpdateParams{ID: tenant.ID, Name: p.Name, Settings: p.Settings})
	if err != nil {
		return nil, err
	}
	c.catalog.tenantChanged(t)
	return t, nil
}

// KeyCreateParams is a new API key of a tenant.
type KeyCreateParams struct {
	TenantID string
	Name     string // for people: 1 to 200 characters
	Role     kilntype.Role
}

// KeyCreated is a new key with its secret, which is shown only this once:
// only its hash is stored.
type KeyCreated struct {
	ID        string        `json:"id"`
	Key       string        `json:"key"`
	Name      string        `json:"name"`
	Role      kilntype.Role `json:"role"`
	TenantID  string        `json:"tenantId"`
	CreatedAt time.Time     `json:"createdAt"`
}

// KeyCreate creates an API key for a tenant.
func (c *Client) KeyCreate(ctx context.Context, p KeyCreateParams) (*KeyCreated, error) {
	if !p.Role.Valid() {
		return nil, invalid("role %q must be admin, developer or viewer", p.Role)
	}
	name := strings.TrimSpace(p.Name)
	if name == "" || len(name) > 200 {
		return nil, invalid("name is required (at most 200 characters)")
	}
	secret := newSecret()
	k, err := c.store.KeyCreate(ctx, store.KeyCreateParams{TenantID: p.TenantID, Name: name, Role: p.Role, Hash: hashKey(secret)})
	if err != nil {
		return nil, err
	}
	return &KeyCreated{ID: k.ID, Key: secret, Name: k.Name, Role: k.Role, TenantID: k.TenantID, CreatedAt: k.CreatedAt}, nil
}

// KeyRevoke revokes a key. With tenantID set, only that tenant's keys are
// found: another tenant's key is NOT_FOUND, so tenants cannot probe each
// other.
func (c *Client) KeyRevoke(ctx context.Context, tenantID, id string) error {
	k, err := c.store.KeyGet(ctx, id)
	if err == nil && tenantID != "" && k.TenantID != tenantID {
		err = kilntype.Errorf(kilntype.ENotFound, "key %s not found", id)
	}
	if err != nil {
		return err
	}
	return c.store.KeyRevoke(ctx, k.ID, time.Now().UTC())
}

// Principal is who holds an API key: the operator, or a key of one tenant
// with its role.
type Principal struct {
	Operator bool
	TenantID string
	Role     kilntype.Role
	KeyID    string
}

// Name is what version records note as their author.
func (p Principal) Name() string {
	if p.Operator {
		return "operator"
	}
	return "key:" + p.KeyID
}

// Authenticate resolves an API key's secret: UNAUTHORIZED when it is empty,
// unknown or revoked.
func (c *Client) Authenticate(ctx context.Context, secret string) (Principal, error) {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return Principal{}, kilntype.Errorf(kilntype.EUnauthorized, "missing API key: send the header 'Authorization: Bearer <key>'")
	}
	hash := hashKey(secret)
	if op := c.operatorHash(); op != "" && subtle.ConstantTimeCompare([]byte(hash), []byte(op)) == 1 {
		return Principal{Operator: true}, nil
	}
	key, err := c.store.KeyGetByHash(ctx, hash)
	if err != nil {
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return Principal{}, kilntype.Errorf(kilntype.EUnauthorized, "the API key is not valid or was revoked")
		}
		return Principal{}, err
	}
	return Principal{TenantID: key.TenantID, Role: key.Role, KeyID: key.ID}, nil
}

const operatorKeySetting = "operator_key_hash"

func (c *Client) operatorHash() string {
	c.opMu.RLock()
	defer c.opMu.RUnlock()
	return c.opHash
}

// loadOperatorKey stores the configured operator key's hash, or reads the
// one a server generated earlier; with neither, no key is the operator's
// until EnsureOperatorKey makes one.
func (c *Client) loadOperatorKey(ctx context.Context) error {
	var h string
	if c.cfg.OperatorKey != "" {
		h = hashKey(c.cfg.OperatorKey)
		if err := c.store.SettingPut(ctx, operatorKeySetting, h); err != nil {
			return err
		}
	} else {
		var err error
		h, err = c.store.SettingGet(ctx, operatorKeySetting)
		if err != nil && kilntype.ErrorCode(err) != kilntype.ENotFound {
			return err
		}
	}
	c.opMu.Lock()
	c.opHash = h
	c.opMu.Unlock()
	return nil
}

// EnsureOperatorKey makes sure an operator key exists: with none
// configured and none stored, it generates one, stores its hash and writes
// the key to out — the only time it is shown. `kiln serve` calls it once
// its listener is bound, so a busy port never swallows the key.
func (c *Client) EnsureOperatorKey(ctx context.Context, out io.Writer) error {
	if c.operatorHash() != "" {
		return nil
	}
	secret := newSecret()
	h := hashKey(secret)
	if err := c.store.SettingPut(ctx, operatorKeySetting, h); err != nil {
		return err
	}
	c.opMu.Lock()
	c.opHash = h
	c.opMu.Unlock()
	fmt.Fprintf(out, "\nKiln generated an operator key. It is shown only this once; store it safely:\n\n    %s\n\nSet KILN_OPERATOR_KEY to choose your own.\n\n", secret)
	return nil
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

// PoolState is the VM pool's counters and configuration.
type PoolState struct {
	pool.Stats
	Config pool.Config
}

// Pool returns the VM pool's state.
func (c *Client) Pool() PoolState { return PoolState{Stats: c.pool.Stats(), Config: c.pool.Config()} }
