package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

const scriptColumns = `id, tenant_id, name, description, type, status, language, trigger, limits, version, created_at, updated_at`

func scanScript(row interface{ Scan(...any) error }, sc *kilntype.Script) error {
	var trigger, limits []byte
	err := row.Scan(&sc.ID, &sc.TenantID, &sc.Name, &sc.Description, &sc.Type, &sc.Status, &sc.Language,
		textScanner{&trigger}, textScanner{&limits}, &sc.Version,
		timeScanner{&sc.CreatedAt}, timeScanner{&sc.UpdatedAt})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(trigger, &sc.Trigger); err != nil {
		return fmt.Errorf("decode trigger: %w", err)
	}
	if err := json.Unmarshal(limits, &sc.Limits); err != nil {
		return fmt.Errorf("decode limits: %w", err)
	}
	return nil
}

// ScriptCreate creates a script and its version 1 in one transaction;
// NOT_FOUND if the tenant does not exist, CONFLICT if another of its
// scripts that is not archived has the name. A version without its own
// trigger records the script's.
func (s *Store) ScriptCreate(ctx context.Context, p store.ScriptCreateParams) (*kilntype.Script, error) {
	if p.Type == "" || p.Status == "" {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "script type and status are required")
	}
	trigger, err := json.Marshal(p.Trigger)
	if err != nil {
		return nil, s.wrap(err, "encode trigger")
	}
	limits, err := json.Marshal(p.Limits)
	if err != nil {
		return nil, s.wrap(err, "encode limits")
	}
	now := s.timestamp()
	sc := &kilntype.Script{
		ID: s.newID(), TenantID: p.TenantID, Name: p.Name, Description: p.Description,
		Type: p.Type, Status: p.Status, Language: p.Language, Trigger: p.Trigger, Limits: p.Limits,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO scripts (`+scriptColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			sc.ID, sc.TenantID, sc.Name, sc.Description, string(sc.Type), string(sc.Status), sc.Language,
			s.jsonArg(trigger), s.jsonArg(limits), sc.Version, s.timeArg(now), s.timeArg(now))
		if err != nil && s.dialect.IsForeignKeyViolation(err) {
			return kilntype.Errorf(kilntype.ENotFound, "tenant %s not found", p.TenantID)
		}
		if err != nil && s.dialect.IsUniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return s.wrap(err, "create script")
		}
		return s.insertVersion(ctx, tx, sc, p.Version, trigger)
	})
	if errors.Is(err, errNameTaken) {
		return nil, s.nameTaken(ctx, p.TenantID, p.Name, "cannot create script %q", p.Name)
	}
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// errNameTaken is a write's unique violation on the scripts_tenant_name
// index (UNIQUE (tenant_id, name) WHERE status <> 'archived'), the one
// unique constraint of scripts that a create or update can meet: IDs are
// the store's own. It never leaves the package: nameTaken replaces it
// once the transaction has ended, since a failed statement ends a
// PostgreSQL transaction.
var errNameTaken = errors.New("script name taken")

// nameTaken returns the CONFLICT for a write that would give a second
// script of the tenant the name: what was refused (format and args), then
// the script that has the name.
func (s *Store) nameTaken(ctx context.Context, tenantID, name, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	holder, err := s.ScriptGetByName(ctx, tenantID, name)
	if err != nil {
		// Archived or renamed since: the name may be free by now.
		return kilntype.Errorf(kilntype.EConflict, "%s: another script of the tenant had the name %q; retry", what, name)
	}
	return kilntype.Errorf(kilntype.EConflict,
		"%s: the tenant's script %s is already named %q; choose another name, or rename or archive that script first",
		what, holder.ID, name)
}

// insertVersion writes version sc.Version of sc. scriptTrigger is recorded
// when v has no trigger of its own.
func (s *Store) insertVersion(ctx context.Context, tx *sql.Tx, sc *kilntype.Script, v store.VersionCreateParams, scriptTrigger []byte) error {
	trigger := []byte(v.Trigger)
	if len(trigger) == 0 {
		trigger = scriptTrigger
	}
	if !json.Valid(trigger) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "version trigger is not valid JSON")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO script_versions
		(id, script_id, version_number, source_code, change_description, created_by, created_at, trigger)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		s.newID(), sc.ID, sc.Version, v.SourceCode, v.ChangeDescription, v.CreatedBy,
		s.timeArg(sc.UpdatedAt), s.jsonArg(trigger))
	if err != nil && s.dialect.IsUniqueViolation(err) {
		// Unreachable while ScriptUpdate holds the script's row lock; the
		// UNIQUE constraint is the backstop if that ever changes.
		return kilntype.Errorf(kilntype.EConflict, "version %d of script %s was saved concurrently; retry", sc.Version, sc.ID)
	}
	return s.wrap(err, "create version %d of script %s", sc.Version, sc.ID)
}

// ScriptGet returns a tenant's script, or NOT_FOUND.
func (s *Store) ScriptGet(ctx context.Context, tenantID, id string) (*kilntype.Script, error) {
	var sc kilntype.Script
	err := scanScript(s.read.QueryRowContext(ctx,
		`SELECT `+scriptColumns+` FROM scripts WHERE tenant_id = $1 AND id = $2`, tenantID, id), &sc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "script %s not found", id)
	}
	if err != nil {
		return nil, s.wrap(err, "get script %s", id)
	}
	return &sc, nil
}

// ScriptGetByName returns the tenant's script that is not archived and has
// exactly this name (byte for byte), or NOT_FOUND.
func (s *Store) ScriptGetByName(ctx context.Context, tenantID, name string) (*kilntype.Script, error) {
	var sc kilntype.Script
	// The status is literal SQL, spelt as in the predicate of the
	// scripts_tenant_name index (migrations.go), so that PostgreSQL can
	// prove the index serves the query whatever the parameters.
	err := scanScript(s.read.QueryRowContext(ctx, `SELECT `+scriptColumns+` FROM scripts
		WHERE tenant_id = $1 AND name = $2 AND status <> '`+string(kilntype.StatusArchived)+`'`, tenantID, name), &sc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "no script named %q", name)
	}
	if err != nil {
		return nil, s.wrap(err, "get script named %q", name)
	}
	return &sc, nil
}

// ScriptList returns a page of a tenant's scripts, newest first, and the
// next page's cursor ("" on the last page). INVALID_ARGUMENT for a limit
// outside 0..200 or a cursor this store did not issue.
func (s *Store) ScriptList(ctx context.Context, p store.ScriptListParams) ([]kilntype.Script, string, error) {
	limit, after, err := pageStart(p.Limit, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.add(`SELECT `+scriptColumns+` FROM scripts WHERE tenant_id = `, q.arg(p.TenantID))
	if p.Type != "" {
		q.add(` AND type = `, q.arg(string(p.Type)))
	}
	if p.Status != "" {
		q.add(` AND status = `, q.arg(string(p.Status)))
	}
	if p.Query != "" {
		// lower() on both sides rather than ILIKE, which SQLite lacks.
		// SQLite's lower() folds ASCII only, so non-ASCII matching there
		// is case-sensitive.
		pattern := q.arg("%" + escapeLike(strings.ToLower(p.Query)) + "%")
		q.add(` AND (lower(name) LIKE `, pattern, ` ESCAPE '\' OR lower(description) LIKE `, pattern, ` ESCAPE '\')`)
	}
	return listPage(ctx, s, &q, after, limit, "scripts",
		scanScript,
		func(x *kilntype.Script) (time.Time, string) { return x.CreatedAt, x.ID })
}

// ScriptUpdate changes the fields that are set and, when p.NewVersion is
// set, appends the next version in the same transaction; NOT_FOUND if the
// tenant has no such script.
//
// The UPDATE that bumps scripts.version also locks the script's row (in
// PostgreSQL a row lock held to commit; in SQLite the database write lock),
// so a concurrent update waits and then increments the committed number:
// no two versions share a number and none is lost. A version without its
// own trigger records the script's trigger after the update.
//
// CONFLICT if the script would then share its name with another of the
// tenant's scripts, neither archived: a rename onto a taken name, or an
// archived script restored after its name was taken. Archiving frees the
// name.
func (s *Store) ScriptUpdate(ctx context.Context, p store.ScriptUpdateParams) (*kilntype.Script, error) {
	var trigger, limits any
	if p.Trigger != nil {
		b, err := json.Marshal(p.Trigger)
		if err != nil {
			return nil, s.wrap(err, "encode trigger")
		}
		trigger = s.jsonArg(b)
	}
	if p.Limits != nil {
		b, err := json.Marshal(p.Limits)
		if err != nil {
			return nil, s.wrap(err, "encode limits")
		}
		limits = s.jsonArg(b)
	}
	var status any
	if p.Status != nil {
		status = string(*p.Status)
	}
	bump := 0
	if p.NewVersion != nil {
		bump = 1
	}
	var sc kilntype.Script
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := scanScript(tx.QueryRowContext(ctx, `UPDATE scripts SET
				name = COALESCE($3, name),
				description = COALESCE($4, description),
				status = COALESCE($5, status),
				language = COALESCE($6, language),
				trigger = COALESCE($7, trigger),
				limits = COALESCE($8, limits),
				version = version + $9,
				updated_at = $10
			WHERE tenant_id = $1 AND id = $2
			RETURNING `+scriptColumns,
			p.TenantID, p.ID, optional(p.Name), optional(p.Description), status, optional(p.Language),
			trigger, limits, bump, s.timeArg(s.timestamp())), &sc)
		if errors.Is(err, sql.ErrNoRows) {
			return kilntype.Errorf(kilntype.ENotFound, "script %s not found", p.ID)
		}
		if err != nil && s.dialect.IsUniqueViolation(err) {
			return errNameTaken
		}
		if err != nil {
			return s.wrap(err, "update script %s", p.ID)
		}
		if p.NewVersion == nil {
			return nil
		}
		scriptTrigger, err := json.Marshal(sc.Trigger)
		if err != nil {
			return s.wrap(err, "encode trigger")
		}
		return s.insertVersion(ctx, tx, &sc, *p.NewVersion, scriptTrigger)
	})
	if errors.Is(err, errNameTaken) {
		return nil, s.updateNameTaken(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	return &sc, nil
}

// updateNameTaken is nameTaken for a ScriptUpdate refused by the unique
// index: a rename, or else the restoring of an archived script.
func (s *Store) updateNameTaken(ctx context.Context, p store.ScriptUpdateParams) error {
	if p.Name != nil {
		return s.nameTaken(ctx, p.TenantID, *p.Name, "cannot rename script %s to %q", p.ID, *p.Name)
	}
	sc, err := s.ScriptGet(ctx, p.TenantID, p.ID)
	if err != nil {
		return kilntype.Errorf(kilntype.EConflict, "cannot update script %s: another script of the tenant has its name; retry", p.ID)
	}
	return s.nameTaken(ctx, p.TenantID, sc.Name, "cannot restore archived script %s as %q", p.ID, sc.Name)
}

// ScriptListByStatus returns every script of the given type and status
// across tenants, oldest first.
func (s *Store) ScriptListByStatus(ctx context.Context, typ kilntype.ScriptType, status kilntype.ScriptStatus) ([]kilntype.Script, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+scriptColumns+` FROM scripts
		WHERE type = $1 AND status = $2 ORDER BY created_at, id`, string(typ), string(status))
	if err != nil {
		return nil, s.wrap(err, "list %s %s scripts", status, typ)
	}
	defer func() { _ = rows.Close() }()
	var out []kilntype.Script
	for rows.Next() {
		var sc kilntype.Script
		if err := scanScript(rows, &sc); err != nil {
			return nil, s.wrap(err, "list %s %s scripts", status, typ)
		}
		out = append(out, sc)
	}
	return out, s.wrap(rows.Err(), "list %s %s scripts", status, typ)
}

// VersionList returns a script's versions newest first, without source;
// NOT_FOUND if the tenant has no such script.
func (s *Store) VersionList(ctx context.Context, tenantID, scriptID string) ([]kilntype.Version, error) {
	// The join is the tenant check: a version has no tenant of its own.
	rows, err := s.read.QueryContext(ctx, `
		SELECT v.id, v.script_id, v.version_number, v.change_description, v.created_by, v.created_at, v.trigger
		FROM script_versions v JOIN scripts s ON s.id = v.script_id
		WHERE s.tenant_id = $1 AND v.script_id = $2
		ORDER BY v.version_number DESC`, tenantID, scriptID)
	if err != nil {
		return nil, s.wrap(err, "list versions of script %s", scriptID)
	}
	defer func() { _ = rows.Close() }()
	var out []kilntype.Version
	for rows.Next() {
		var v kilntype.Version
		err := rows.Scan(&v.ID, &v.ScriptID, &v.Number, &v.ChangeDescription, &v.CreatedBy,
			timeScanner{&v.CreatedAt}, textScanner{(*[]byte)(&v.Trigger)})
		if err != nil {
			return nil, s.wrap(err, "list versions of script %s", scriptID)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "list versions of script %s", scriptID)
	}
	// Every script has version 1, so no rows means no script.
	if len(out) == 0 {
		return nil, kilntype.Errorf(kilntype.ENotFound, "script %s not found", scriptID)
	}
	return out, nil
}

// VersionGet returns one version with its source; NOT_FOUND if the tenant
// has no such script or the script no such version.
func (s *Store) VersionGet(ctx context.Context, tenantID, scriptID string, number int) (*kilntype.Version, error) {
	var v kilntype.Version
	err := s.read.QueryRowContext(ctx, `
		SELECT v.id, v.script_id, v.version_number, v.source_code, v.change_description, v.created_by, v.created_at, v.trigger
		FROM script_versions v JOIN scripts s ON s.id = v.script_id
		WHERE s.tenant_id = $1 AND v.script_id = $2 AND v.version_number = $3`, tenantID, scriptID, number).
		Scan(&v.ID, &v.ScriptID, &v.Number, &v.SourceCode, &v.ChangeDescription, &v.CreatedBy,
			timeScanner{&v.CreatedAt}, textScanner{(*[]byte)(&v.Trigger)})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "version %d of script %s not found", number, scriptID)
	}
	if err != nil {
		return nil, s.wrap(err, "get version %d of script %s", number, scriptID)
	}
	return &v, nil
}
