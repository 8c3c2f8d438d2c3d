package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// executionSummaryColumns are what a list returns: everything but the
// potentially large input, output and logs.
const executionSummaryColumns = `id, tenant_id, script_id, version, trigger, status, error, logs_truncated,
	duration_ms, host_calls, memory_bytes, created_at, started_at, finished_at, attempt`

const executionColumns = executionSummaryColumns + `, input, output, logs`

// scanExecution reads executionSummaryColumns, and with full also input,
// output and logs.
func scanExecution(row interface{ Scan(...any) error }, e *kilntype.Execution, full bool) error {
	var errJSON, logs []byte
	dest := []any{&e.ID, &e.TenantID, &e.ScriptID, &e.Version, &e.Trigger, &e.Status, textScanner{&errJSON},
		&e.LogsTruncated, &e.DurationMs, &e.HostCalls, &e.MemoryBytes,
		timeScanner{&e.CreatedAt}, nullTimeScanner{&e.StartedAt}, nullTimeScanner{&e.FinishedAt}, &e.Attempt}
	if full {
		dest = append(dest, textScanner{(*[]byte)(&e.Input)}, textScanner{(*[]byte)(&e.Output)}, textScanner{&logs})
	}
	if err := row.Scan(dest...); err != nil {
		return err
	}
	if errJSON != nil {
		e.Error = new(kilntype.ExecutionError)
		if err := json.Unmarshal(errJSON, e.Error); err != nil {
			return fmt.Errorf("decode error of execution %s: %w", e.ID, err)
		}
	}
	if logs != nil {
		if err := json.Unmarshal(logs, &e.Logs); err != nil {
			return fmt.Errorf("decode logs of execution %s: %w", e.ID, err)
		}
	}
	return nil
}

// executionUpsert inserts an execution or replaces every field of an
// existing one except created_at, which stays the time of the first write.
// The WHERE keeps a write from moving an execution to another tenant or
// script: such a row is left alone and counted as 0 rows affected.
const executionUpsert = `INSERT INTO executions (id, tenant_id, script_id, version, trigger, status, error,
		logs_truncated, duration_ms, host_calls, memory_bytes, created_at, started_at, finished_at,
		input, output, logs, attempt)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
	ON CONFLICT (id) DO UPDATE SET
		version = excluded.version,
		trigger = excluded.trigger,
		status = excluded.status,
		error = excluded.error,
		logs_truncated = excluded.logs_truncated,
		duration_ms = excluded.duration_ms,
		host_calls = excluded.host_calls,
		memory_bytes = excluded.memory_bytes,
		started_at = excluded.started_at,
		finished_at = excluded.finished_at,
		input = excluded.input,
		output = excluded.output,
		logs = excluded.logs,
		attempt = excluded.attempt
	WHERE executions.tenant_id = excluded.tenant_id AND executions.script_id = excluded.script_id`

// ExecutionWrite inserts or replaces execution records by ID, all in one
// transaction: either every record is written or none is. An execution
// with a zero CreatedAt is stamped with the current time on insert.
// INVALID_ARGUMENT for a record without ID, tenant, script or status, or
// with input or output that is not JSON; NOT_FOUND if the tenant has no
// such script; CONFLICT if the ID belongs to another tenant's or script's
// execution.
func (s *Store) ExecutionWrite(ctx context.Context, execs []kilntype.Execution) error {
	if len(execs) == 0 {
		return nil
	}
	// Encode everything before the transaction so that the write lock is
	// held only for the inserts.
	now := s.timestamp()
	args := make([][]any, len(execs))
	for i := range execs {
		a, err := s.executionArgs(&execs[i], now)
		if err != nil {
			return err
		}
		args[i] = a
	}
	prepared, err := s.upsertStmt(ctx)
	if err != nil {
		return s.wrap(err, "prepare execution write")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt := tx.StmtContext(ctx, prepared)
		defer func() { _ = stmt.Close() }()
		// The driver (modernc) watches a cancellable context with a
		// goroutine per statement; rows take microseconds, so the loop
		// checks ctx between them instead.
		rowCtx := context.WithoutCancel(ctx)
		for i, a := range args {
			if err := ctx.Err(); err != nil {
				return err
			}
			e := &execs[i]
			res, err := stmt.ExecContext(rowCtx, a...)
			if err != nil && s.dialect.IsForeignKeyViolation(err) {
				return kilntype.Errorf(kilntype.ENotFound, "execution %s: script %s not found", e.ID, e.ScriptID)
			}
			if err != nil {
				return s.wrap(err, "write execution %s", e.ID)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return s.wrap(err, "write execution %s", e.ID)
			}
			if n == 0 {
				return kilntype.Errorf(kilntype.EConflict, "execution %s already exists for another tenant or script", e.ID)
			}
		}
		return nil
	})
}

// upsertStmt returns executionUpsert prepared on the write pool, preparing
// it on first use.
func (s *Store) upsertStmt(ctx context.Context) (*sql.Stmt, error) {
	s.upsertMu.Lock()
	defer s.upsertMu.Unlock()
	if s.upsert == nil {
		q := executionUpsert
		if s.dialect.Positional {
			q = positional(q)
		}
		stmt, err := s.write.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		s.upsert = stmt
	}
	return s.upsert, nil
}

// dollarParam is a $N placeholder.
var dollarParam = regexp.MustCompile(`\$[0-9]+`)

// positional rewrites q's $1, $2, … as anonymous ? placeholders. q must use
// each $N once, in increasing order (TestPositional checks the upsert).
func positional(q string) string { return dollarParam.ReplaceAllString(q, "?") }

// executionArgs checks e and returns the arguments of executionUpsert.
func (s *Store) executionArgs(e *kilntype.Execution, now time.Time) ([]any, error) {
	errJSON, logs, err := s.checkExecution(e)
	if err != nil {
		return nil, err
	}
	created := e.CreatedAt
	if created.IsZero() {
		created = now
	}
	return []any{
		e.ID, e.TenantID, e.ScriptID, e.Version, e.Trigger, string(e.Status), s.jsonArg(errJSON),
		e.LogsTruncated, e.DurationMs, e.HostCalls, e.MemoryBytes,
		s.timeArg(created), s.nullTimeArg(e.StartedAt), s.nullTimeArg(e.FinishedAt),
		s.jsonArg(e.Input), s.jsonArg(e.Output), s.jsonArg(logs), max(e.Attempt, 1),
	}, nil
}

// ExecutionGet returns a tenant's execution with its input, output and
// logs, or NOT_FOUND.
func (s *Store) ExecutionGet(ctx context.Context, tenantID, id string) (*kilntype.Execution, error) {
	var e kilntype.Execution
	err := scanExecution(s.read.QueryRowContext(ctx,
		`SELECT `+executionColumns+` FROM executions WHERE tenant_id = $1 AND id = $2`, tenantID, id), &e, true)
	if errors.Is(err, sql.ErrNoRows) {
		found, err := s.batchGet(ctx, tenantID, id)
		if err != nil {
			return nil, s.wrap(err, "get execution %s", id)
		}
		if found == nil {
			return nil, kilntype.Errorf(kilntype.ENotFound, "execution %s not found", id)
		}
		return found, nil
	}
	if err != nil {
		return nil, s.wrap(err, "get execution %s", id)
	}
	return &e, nil
}

// ExecutionList returns a page of a tenant's executions, newest first,
// without logs, input or output, and the next page's cursor ("" on the
// last page). INVALID_ARGUMENT for a limit outside 0..200 or a cursor this
// store did not issue.
func (s *Store) ExecutionList(ctx context.Context, p store.ExecutionListParams) ([]kilntype.Execution, string, error) {
	limit, after, err := pageStart(p.Limit, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.add(`SELECT `+executionSummaryColumns+` FROM executions WHERE tenant_id = `, q.arg(p.TenantID))
	if p.ScriptID != "" {
		q.add(` AND script_id = `, q.arg(p.ScriptID))
	}
	if p.Status != "" {
		q.add(` AND status = `, q.arg(string(p.Status)))
		if p.Status != kilntype.ExecCompleted {
			// Repeats the partial index's condition word for word, so
			// both databases' planners see that the index covers it.
			q.add(` AND status <> 'completed'`)
		}
	}
	if p.Trigger != "" {
		q.add(` AND trigger = `, q.arg(p.Trigger))
	}
	page, err := queryPage(ctx, s, &q, after, limit, "executions",
		func(row interface{ Scan(...any) error }, e *kilntype.Execution) error {
			return scanExecution(row, e, false)
		})
	if err != nil {
		return nil, "", err
	}
	// The page is the newest of the rows and the appended records: each
	// source's newest limit+1 hold the union's.
	appended, err := s.batchCandidates(ctx, p, after, limit+1)
	if err != nil {
		return nil, "", s.wrap(err, "list executions")
	}
	if len(appended) == 0 {
		out, next := cutPage(page, limit, func(e *kilntype.Execution) (time.Time, string) { return e.CreatedAt, e.ID })
		return out, next, nil
	}
	return s.mergePages(ctx, p.TenantID, page, appended, limit)
}

// mergePages returns the first limit of the rows and the appended records
// together, newest first, and the next page's cursor. An appended record
// whose ID also has a row in executions is superseded by it and left out,
// wherever that row is listed; the page may then come out shorter than
// the limit, and the cursor, taken before, still continues after it.
func (s *Store) mergePages(ctx context.Context, tenantID string, rows, appended []kilntype.Execution, limit int) ([]kilntype.Execution, string, error) {
	type item struct {
		e        kilntype.Execution
		appended bool
	}
	all := make([]item, 0, len(rows)+len(appended))
	for _, e := range rows {
		all = append(all, item{e: e})
	}
	for _, e := range appended {
		all = append(all, item{e: e, appended: true})
	}
	slices.SortFunc(all, func(a, b item) int { return newestFirst(a.e, b.e) })
	all, next := cutPage(all, limit, func(x *item) (time.Time, string) { return x.e.CreatedAt, x.e.ID })
	var ids []string
	for _, x := range all {
		if x.appended {
			ids = append(ids, x.e.ID)
		}
	}
	gone, err := s.superseded(ctx, tenantID, ids)
	if err != nil {
		return nil, "", s.wrap(err, "list executions")
	}
	out := make([]kilntype.Execution, 0, len(all))
	for _, x := range all {
		if !x.appended || !gone[x.e.ID] {
			out = append(out, x.e)
		}
	}
	return out, next, nil
}

// ExecutionDeleteBefore deletes a tenant's executions created before t and
// returns how many it deleted.
func (s *Store) ExecutionDeleteBefore(ctx context.Context, tenantID string, t time.Time) (int64, error) {
	var deleted int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM executions WHERE tenant_id = $1 AND created_at < $2`, tenantID, s.timeArg(t))
		if err != nil {
			return err
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		n, err := s.batchDeleteBefore(ctx, tx, tenantID, t)
		deleted += n
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM execution_journals WHERE tenant_id = $1 AND created_at < $2`, tenantID, s.timeArg(t))
		return err
	})
	if err != nil {
		return 0, s.wrap(err, "delete executions of tenant %s", tenantID)
	}
	return deleted, nil
}

// ExecutionJournalPut keeps an execution's journal.
func (s *Store) ExecutionJournalPut(ctx context.Context, tenantID, executionID string, createdAt time.Time, journal json.RawMessage) error {
	if !json.Valid(journal) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "the journal of execution %s is not JSON", executionID)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM execution_journals WHERE execution_id = $1`, executionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO execution_journals (execution_id, tenant_id, created_at, journal) VALUES ($1, $2, $3, $4)`,
			executionID, tenantID, s.timeArg(createdAt), string(journal))
		return err
	})
	return s.wrap(err, "keep the journal of execution %s", executionID)
}

// ExecutionJournalGet returns an execution's kept journal.
func (s *Store) ExecutionJournalGet(ctx context.Context, tenantID, executionID string) (json.RawMessage, error) {
	var journal string
	err := s.read.QueryRowContext(ctx, `SELECT journal FROM execution_journals WHERE tenant_id = $1 AND execution_id = $2`, tenantID, executionID).Scan(&journal)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "no journal was kept of execution %s (journals are kept of failed executions, and of scripts with limits.record)", executionID)
	}
	if err != nil {
		return nil, s.wrap(err, "read the journal of execution %s", executionID)
	}
	return json.RawMessage(journal), nil
}
