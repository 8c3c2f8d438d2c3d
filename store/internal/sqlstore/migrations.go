package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// goMigrations are the migrations written in Go, shared by both dialects:
// those that decide row by row, which one SQL text for both databases
// cannot. Each takes the next free version number, which the .sql files
// of store/sqlite/migrations and store/postgres/migrations then skip.
// renames collects what migration 7 renamed, for Open to log.
func goMigrations(d Dialect, renames *[]store.ScriptRename) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(UniqueScriptNamesVersion,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				r, err := uniqueScriptNames(ctx, tx, d, time.Now())
				*renames = append(*renames, r...)
				return err
			}},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
				// The renames stay: the names the scripts had are in
				// store.SettingScriptRenames.
				_, err := tx.ExecContext(ctx, `DROP INDEX scripts_tenant_name`)
				return err
			}}),
	}
}

// UniqueScriptNamesVersion is the migration that makes a script's name
// unique among its tenant's scripts that are not archived.
const UniqueScriptNamesVersion = 7

// uniqueScriptNames is migration 7: a unique index on a script's tenant
// and name, for scripts that are not archived. Before it can exist, no two
// such scripts of one tenant may share a name, which earlier versions
// allowed. Rather than fail, or merge them, it keeps the name of the
// oldest (by created_at, then ID) and renames each other one visibly,
// "orders" to "orders (2)", then "orders (3)", skipping any name the
// tenant already uses, archived scripts' included. It returns what it
// renamed and appends it to the store.SettingScriptRenames setting.
func uniqueScriptNames(ctx context.Context, tx *sql.Tx, d Dialect, now time.Time) ([]store.ScriptRename, error) {
	// Every script of each tenant that has a duplicate, oldest first.
	rows, err := tx.QueryContext(ctx, `
		SELECT s.tenant_id, t.slug, s.id, s.name, s.status
		FROM scripts s JOIN tenants t ON t.id = s.tenant_id
		WHERE s.tenant_id IN (
			SELECT tenant_id FROM scripts WHERE status <> 'archived'
			GROUP BY tenant_id, name HAVING COUNT(*) > 1)
		ORDER BY s.tenant_id, s.created_at, s.id`)
	if err != nil {
		return nil, fmt.Errorf("find duplicate script names: %w", err)
	}
	type script struct{ tenantID, slug, id, name, status string }
	var scripts []script
	for rows.Next() {
		var s script
		if err := rows.Scan(&s.tenantID, &s.slug, &s.id, &s.name, &s.status); err != nil {
			return nil, errors.Join(fmt.Errorf("find duplicate script names: %w", err), rows.Close())
		}
		scripts = append(scripts, s)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("find duplicate script names: %w", err)
	}

	taken := map[[2]string]bool{} // tenant ID, name: every name in use
	for _, s := range scripts {
		taken[[2]string{s.tenantID, s.name}] = true
	}
	at := normTime(now)
	var renames []store.ScriptRename
	keptBy := map[[2]string]string{} // tenant ID, name: the live script that holds it
	for _, s := range scripts {
		if s.status == string(kilntype.StatusArchived) {
			continue
		}
		keeper, dup := keptBy[[2]string{s.tenantID, s.name}]
		if !dup {
			keptBy[[2]string{s.tenantID, s.name}] = s.id
			continue
		}
		to := ""
		for n := 2; ; n++ {
			to = fmt.Sprintf("%s (%d)", s.name, n)
			if !taken[[2]string{s.tenantID, to}] {
				break
			}
		}
		taken[[2]string{s.tenantID, to}] = true
		keptBy[[2]string{s.tenantID, to}] = s.id
		if _, err := tx.ExecContext(ctx, `UPDATE scripts SET name = $1, updated_at = $2 WHERE id = $3`,
			to, d.Time(at), s.id); err != nil {
			return nil, fmt.Errorf("rename script %s from %q to %q: %w", s.id, s.name, to, err)
		}
		renames = append(renames, store.ScriptRename{
			TenantID: s.tenantID, TenantSlug: s.slug, ScriptID: s.id, From: s.name, To: to, KeptBy: keeper, At: at,
		})
	}
	if len(renames) > 0 {
		if err := recordRenames(ctx, tx, d, at, renames); err != nil {
			return nil, err
		}
	}
	// The status is literal SQL, not a parameter, so that PostgreSQL can
	// use the index for ScriptGetByName's query, which spells it alike.
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX scripts_tenant_name ON scripts (tenant_id, name)
		WHERE status <> 'archived'`); err != nil {
		return nil, fmt.Errorf("create the unique index of script names: %w", err)
	}
	return renames, nil
}

// recordRenames appends renames to the list in store.SettingScriptRenames.
func recordRenames(ctx context.Context, tx *sql.Tx, d Dialect, at time.Time, renames []store.ScriptRename) error {
	var list []store.ScriptRename
	var old string
	err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, store.SettingScriptRenames).Scan(&old)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read setting %s: %w", store.SettingScriptRenames, err)
	default:
		if err := json.Unmarshal([]byte(old), &list); err != nil {
			return fmt.Errorf("read setting %s: %w", store.SettingScriptRenames, err)
		}
	}
	value, err := json.Marshal(append(list, renames...))
	if err != nil {
		return fmt.Errorf("write setting %s: %w", store.SettingScriptRenames, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		store.SettingScriptRenames, string(value), d.Time(at))
	if err != nil {
		return fmt.Errorf("write setting %s: %w", store.SettingScriptRenames, err)
	}
	return nil
}

// logRenames warns of each script migration 7 renamed: whoever upgrades
// sees it in the log, and the tenant's developers see the new name.
func logRenames(log *slog.Logger, renames []store.ScriptRename) {
	for _, r := range renames {
		log.Warn("store: renamed a script whose name another script of its tenant already had; script names are now unique per tenant (docs/server.md)",
			"tenant", r.TenantSlug, "script", r.ScriptID, "from", r.From, "to", r.To, "name_kept_by", r.KeptBy,
			"recorded_in_setting", store.SettingScriptRenames)
	}
}
