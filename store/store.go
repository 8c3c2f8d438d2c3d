// Package store declares the persistence Kiln needs. One interface, two
// implementations — store/sqlite (the embedded default) and store/postgres
// (for several nodes) — and one conformance suite, store/storetest, that
// runs against both.
//
// Every method that reads or writes tenant data takes the tenant's ID and
// filters by it: an ID from another tenant is NOT_FOUND, never someone
// else's row. Errors are *kilntype.Error with codes NOT_FOUND, CONFLICT or
// INVALID_ARGUMENT where the caller can act on them; anything else is a
// wrapped driver error (INTERNAL).
package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
)

// Store is Kiln's persistence. Implementations are safe for concurrent use.
type Store interface {
	DeadLetters
	Tasks

	// Ping reports whether the database answers and migrations are applied.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error

	// SettingGet returns a server-wide setting (such as the operator key's
	// hash), or NOT_FOUND.
	SettingGet(ctx context.Context, key string) (string, error)
	// SettingPut creates or replaces a setting.
	SettingPut(ctx context.Context, key, value string) error

	// TenantCreate creates a tenant; CONFLICT if the slug is taken.
	TenantCreate(ctx context.Context, p TenantCreateParams) (*kilntype.Tenant, error)
	// TenantGet returns a tenant by ID, or NOT_FOUND.
	TenantGet(ctx context.Context, id string) (*kilntype.Tenant, error)
	// TenantGetBySlug returns a tenant by slug, or NOT_FOUND.
	TenantGetBySlug(ctx context.Context, slug string) (*kilntype.Tenant, error)
	// TenantList returns every tenant, oldest first.
	TenantList(ctx context.Context) ([]kilntype.Tenant, error)
	// TenantUpdate changes a tenant's name or settings; NOT_FOUND if it does
	// not exist.
	TenantUpdate(ctx context.Context, p TenantUpdateParams) (*kilntype.Tenant, error)

	// KeyCreate stores a key (its hash, never the secret).
	KeyCreate(ctx context.Context, p KeyCreateParams) (*kilntype.APIKey, error)
	// KeyGet returns a key by ID (revoked or not), or NOT_FOUND.
	KeyGet(ctx context.Context, id string) (*kilntype.APIKey, error)
	// KeyGetByHash returns the unrevoked key with this hash, or NOT_FOUND.
	KeyGetByHash(ctx context.Context, hash string) (*kilntype.APIKey, error)
	// KeyRevoke marks a key revoked; NOT_FOUND if it does not exist.
	// Revoking twice is not an error.
	KeyRevoke(ctx context.Context, id string, at time.Time) error

	// ScriptCreate creates a script and its version 1 in one transaction;
	// CONFLICT if another of the tenant's scripts that is not archived has
	// its name. A script's name is unique among its tenant's scripts that
	// are not archived.
	ScriptCreate(ctx context.Context, p ScriptCreateParams) (*kilntype.Script, error)
	// ScriptGet returns a tenant's script, or NOT_FOUND.
	ScriptGet(ctx context.Context, tenantID, id string) (*kilntype.Script, error)
	// ScriptGetByName returns the tenant's script that is not archived and
	// has exactly this name (there is at most one), or NOT_FOUND.
	ScriptGetByName(ctx context.Context, tenantID, name string) (*kilntype.Script, error)
	// ScriptList returns a page of a tenant's scripts, newest first, and the
	// cursor of the next page ("" on the last).
	ScriptList(ctx context.Context, p ScriptListParams) ([]kilntype.Script, string, error)
	// ScriptUpdate changes a script's fields and, when p.NewVersion is set,
	// appends the next version in the same transaction. Concurrent updates
	// never produce two versions with one number and never lose one.
	// CONFLICT if the script would share its name with another of the
	// tenant's scripts, neither archived (a rename onto a taken name, or
	// the restoring of an archived script whose name was taken since);
	// archiving a script frees its name.
	ScriptUpdate(ctx context.Context, p ScriptUpdateParams) (*kilntype.Script, error)
	// ScriptListByStatus returns every script of the given type and status
	// across tenants (the server builds its HTTP routes from this).
	ScriptListByStatus(ctx context.Context, typ kilntype.ScriptType, status kilntype.ScriptStatus) ([]kilntype.Script, error)

	// VersionList returns a script's versions newest first, without source.
	VersionList(ctx context.Context, tenantID, scriptID string) ([]kilntype.Version, error)
	// VersionGet returns one version with its source, or NOT_FOUND.
	VersionGet(ctx context.Context, tenantID, scriptID string, number int) (*kilntype.Version, error)

	// ExecutionWrite inserts or replaces execution records by ID, in one
	// transaction. The server batches its writes through it.
	ExecutionWrite(ctx context.Context, execs []kilntype.Execution) error
	// ExecutionAppend stores finished records (not pending or running)
	// whose IDs are written once, in one transaction, many to a row: far
	// cheaper per record than ExecutionWrite. Reads see both kinds alike;
	// a later ExecutionWrite of the same ID supersedes the appended record.
	ExecutionAppend(ctx context.Context, execs []kilntype.Execution) error
	// ExecutionGet returns a tenant's execution, or NOT_FOUND.
	ExecutionGet(ctx context.Context, tenantID, id string) (*kilntype.Execution, error)
	// ExecutionList returns a page of a tenant's executions, newest first,
	// without logs, input or output, and the next page's cursor.
	ExecutionList(ctx context.Context, p ExecutionListParams) ([]kilntype.Execution, string, error)
	// ExecutionJournalPut keeps the journal of an execution (JSON of
	// []kilntype.JournalEntry), replacing any kept before; retention
	// deletes it with the execution (ExecutionDeleteBefore).
	ExecutionJournalPut(ctx context.Context, tenantID, executionID string, createdAt time.Time, journal json.RawMessage) error
	// ExecutionJournalGet returns a tenant's execution's journal, or
	// NOT_FOUND when none was kept.
	ExecutionJournalGet(ctx context.Context, tenantID, executionID string) (json.RawMessage, error)
	// ExecutionDeleteBefore deletes a tenant's executions created before t.
	ExecutionDeleteBefore(ctx context.Context, tenantID string, t time.Time) (int64, error)

	// The iota.db document store (documents.go; the query language is
	// package sdk/docquery). Collections need no creation: a collection
	// exists while it has documents. Invalid collection names, fields,
	// filters, IDs or documents are INVALID_ARGUMENT.

	// DocQuery returns the documents of a tenant's collection that match
	// q.Where, ordered by q.OrderBy and then oldest first, after skipping
	// q.Offset of them and at most q.Limit. A collection without documents
	// gives an empty list.
	DocQuery(ctx context.Context, tenantID, collection string, q docquery.Query) ([]Doc, error)
	// DocCount returns how many documents of the collection match where.
	DocCount(ctx context.Context, tenantID, collection string, where docquery.Filter) (int64, error)
	// DocGet returns one document, or NOT_FOUND.
	DocGet(ctx context.Context, tenantID, collection, id string) (*Doc, error)
	// DocInsert stores a new document (generating its ID if Data has
	// none); CONFLICT if the ID is taken in the collection;
	// PAYLOAD_TOO_LARGE past p.MaxBytes.
	DocInsert(ctx context.Context, p DocInsertParams) (*Doc, error)
	// DocUpdate merges p.Patch into a document and returns the result;
	// NOT_FOUND if it does not exist; PAYLOAD_TOO_LARGE if the result is
	// past p.MaxBytes. Concurrent updates of one document never lose one.
	DocUpdate(ctx context.Context, p DocUpdateParams) (*Doc, error)
	// DocDelete deletes a document and reports whether it existed.
	DocDelete(ctx context.Context, tenantID, collection, id string) (bool, error)

	// The iota.cache key-value store (cache.go). Expired entries are never
	// returned; they still count against the tenant's bytes until a write
	// that needs the room, or CacheSweep, removes them.

	// CacheGet returns an entry's JSON value, or NOT_FOUND if it is
	// missing or expired.
	CacheGet(ctx context.Context, tenantID, key string) (json.RawMessage, error)
	// CacheSet creates or replaces an entry; PAYLOAD_TOO_LARGE past the
	// value cap, QUOTA_EXCEEDED past the tenant's total.
	CacheSet(ctx context.Context, p CacheSetParams) error
	// CacheDelete deletes an entry and reports whether a live (unexpired)
	// one existed.
	CacheDelete(ctx context.Context, tenantID, key string) (bool, error)
	// CacheIncrement atomically adds p.By to a numeric entry (a missing or
	// expired one starts at 0) and returns the new value;
	// INVALID_ARGUMENT if the entry holds anything but a number or the sum
	// is not finite.
	CacheIncrement(ctx context.Context, p CacheIncrementParams) (float64, error)
	// CacheSweep deletes every tenant's entries expired at now and
	// returns how many it deleted.
	CacheSweep(ctx context.Context, now time.Time) (int64, error)

	// Secrets (secrets.go): the store keeps ciphertext only, sealed and
	// opened by package secrets.

	// SecretPut creates or replaces a tenant's secret.
	SecretPut(ctx context.Context, tenantID, name string, ciphertext []byte) (*SecretInfo, error)
	// SecretGet returns a secret's ciphertext, or NOT_FOUND.
	SecretGet(ctx context.Context, tenantID, name string) ([]byte, error)
	// SecretList returns the names and times of a tenant's secrets, by
	// name.
	SecretList(ctx context.Context, tenantID string) ([]SecretInfo, error)
	// SecretDelete deletes a secret; NOT_FOUND if it does not exist.
	SecretDelete(ctx context.Context, tenantID, name string) error
}

// TenantCreateParams creates a tenant.
type TenantCreateParams struct {
	Slug string
	Name string
}

// TenantUpdateParams updates a tenant. Nil fields are left as they are.
type TenantUpdateParams struct {
	ID       string
	Name     *string
	Settings *kilntype.TenantSettings
}

// KeyCreateParams creates an API key.
type KeyCreateParams struct {
	TenantID string
	Name     string
	Role     kilntype.Role
	Hash     string // hex SHA-256 of the secret
}

// ScriptCreateParams creates a script with version 1.
type ScriptCreateParams struct {
	TenantID    string
	Name        string
	Description string
	Type        kilntype.ScriptType
	Status      kilntype.ScriptStatus
	Language    string
	Trigger     kilntype.TriggerConfig
	Limits      kilntype.Limits
	Version     VersionCreateParams
}

// VersionCreateParams is the content of a new version.
type VersionCreateParams struct {
	SourceCode        string
	ChangeDescription string
	CreatedBy         string
	Trigger           json.RawMessage // the trigger as saved with this version
}

// ScriptUpdateParams updates a script. Nil fields are left as they are.
type ScriptUpdateParams struct {
	TenantID    string
	ID          string
	Name        *string
	Description *string
	Status      *kilntype.ScriptStatus
	Language    *string
	Trigger     *kilntype.TriggerConfig
	Limits      *kilntype.Limits
	// NewVersion, if set, appends the next version.
	NewVersion *VersionCreateParams
}

// ScriptListParams filters a tenant's scripts. Empty fields do not filter.
type ScriptListParams struct {
	TenantID string
	Type     kilntype.ScriptType
	Status   kilntype.ScriptStatus
	Query    string // case-insensitive substring of name or description
	Limit    int    // 1..200; 0 means 50
	Cursor   string // from the previous page
}

// SettingScriptRenames is the setting (SettingGet) in which the migration
// that made script names unique within a tenant left the scripts it
// renamed, as a JSON array of ScriptRename; it is absent when there were
// none. docs/server.md tells operators about it.
const SettingScriptRenames = "script_renames"

// ScriptRename is a script renamed because an older script of its tenant,
// neither archived, had the same name.
type ScriptRename struct {
	TenantID   string    `json:"tenantId"`
	TenantSlug string    `json:"tenantSlug"`
	ScriptID   string    `json:"scriptId"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	KeptBy     string    `json:"keptBy"` // the script that kept the name
	At         time.Time `json:"at"`
}

// ExecutionListParams filters a tenant's executions.
type ExecutionListParams struct {
	TenantID string
	ScriptID string
	Status   kilntype.ExecutionStatus
	Trigger  kilntype.Trigger
	Limit    int
	Cursor   string
}
