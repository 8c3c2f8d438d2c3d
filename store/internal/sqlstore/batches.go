package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// Execution batches (migration 00006): finished records written once are
// stored many to a row. See batchcodec.go for the encoding.

const (
	// maxBatchSpan bounds how far apart the creation times within one
	// batch lie, so that a list page after a cursor need not look at
	// batches whose newest record is later than the cursor plus this.
	maxBatchSpan = 10 * time.Second
	// maxBatchRecordsPerRow and maxBatchBytes bound one row.
	maxBatchRecordsPerRow = 2000
	maxBatchBytes         = 8 << 20
)

// Bits of the statuses and triggers columns, which let a filtered list skip
// batches without decoding them.
var (
	statusBits = map[kilntype.ExecutionStatus]int64{
		kilntype.ExecCompleted: 1, kilntype.ExecFailed: 2, kilntype.ExecTimeout: 4, kilntype.ExecCancelled: 8, kilntype.ExecSkipped: 16,
	}
	triggerBits = map[kilntype.Trigger]int64{kilntype.TriggerHTTP: 1, kilntype.TriggerEvent: 2, kilntype.TriggerCron: 4, kilntype.TriggerManual: 8, kilntype.TriggerEmbedded: 16}
)

// otherTriggerBit stands for every trigger not in triggerBits.
const otherTriggerBit = 1 << 30

func triggerBit(t kilntype.Trigger) int64 {
	if b, ok := triggerBits[t]; ok {
		return b
	}
	return otherTriggerBit
}

// idBucket is the ID's bucket (kilntype.IDBucket, where the ID layout is
// made): every record of a batch shares it, and a lookup by id reads only
// the batches whose min_id falls between the id's bucket and the id.
func idBucket(id string) string { return kilntype.IDBucket(id) }

const batchInsert = `INSERT INTO execution_batches (tenant_id, script_id, min_id, max_id, min_created, max_created,
	statuses, triggers, record_count, records) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// ExecutionAppend stores finished execution records (not pending or
// running) whose IDs are written once, in one transaction. It is much
// cheaper per record than ExecutionWrite: the records of one script share
// a row. A later ExecutionWrite with the same ID supersedes the appended
// record; appending an ID twice keeps both records, so the caller must
// not. Errors are those of ExecutionWrite, and INVALID_ARGUMENT for a
// record that is not finished.
func (s *Store) ExecutionAppend(ctx context.Context, execs []kilntype.Execution) error {
	if len(execs) == 0 {
		return nil
	}
	now := s.timestamp()
	recs := make([]appendRecord, len(execs))
	for i := range execs {
		e := &execs[i]
		if _, ok := statusBits[e.Status]; !ok && e.Status != "" {
			return kilntype.Errorf(kilntype.EInvalidArgument, "execution %s: only a finished record can be appended, not one %s", e.ID, e.Status)
		}
		errJSON, logs, err := s.checkExecution(e)
		if err != nil {
			return err
		}
		recs[i] = appendRecord{e: e, errJSON: errJSON, logs: logs}
		if e.CreatedAt.IsZero() {
			// A copy, so that the caller's record is left as it was.
			c := *e
			c.CreatedAt = now
			recs[i].e = &c
		}
	}
	slices.SortFunc(recs, func(a, b appendRecord) int {
		return cmp.Or(strings.Compare(a.e.TenantID, b.e.TenantID), strings.Compare(a.e.ScriptID, b.e.ScriptID),
			strings.Compare(idBucket(a.e.ID), idBucket(b.e.ID)), a.e.CreatedAt.Compare(b.e.CreatedAt))
	})
	type row struct {
		e    *kilntype.Execution
		args []any
	}
	var rows []row
	var scratch []byte
	for len(recs) > 0 {
		n := batchLen(recs)
		value, body := encodeBatch(recs[:n], scratch)
		scratch = body
		rows = append(rows, row{recs[0].e, s.batchArgs(recs[:n], value)})
		recs = recs[n:]
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, batchInsert, r.args...); err != nil {
				if s.dialect.IsForeignKeyViolation(err) {
					return kilntype.Errorf(kilntype.ENotFound, "execution %s: script %s not found", r.e.ID, r.e.ScriptID)
				}
				return s.wrap(err, "append executions of script %s", r.e.ScriptID)
			}
		}
		return nil
	})
}

// batchLen is how many of recs, sorted by ExecutionAppend, go into one
// row: same tenant, script and id bucket, created within maxBatchSpan,
// within the row's count and size bounds.
func batchLen(recs []appendRecord) int {
	first := recs[0].e
	size := 0
	for i, r := range recs {
		e := r.e
		size += len(e.Input) + len(e.Output) + len(r.logs) + len(r.errJSON) + 64
		if i > 0 && (e.TenantID != first.TenantID || e.ScriptID != first.ScriptID || idBucket(e.ID) != idBucket(first.ID) ||
			e.CreatedAt.Sub(first.CreatedAt) > maxBatchSpan || i == maxBatchRecordsPerRow || size > maxBatchBytes) {
			return i
		}
	}
	return len(recs)
}

// batchArgs returns the arguments of batchInsert for one row.
func (s *Store) batchArgs(recs []appendRecord, value []byte) []any {
	first := recs[0].e
	minID, maxID := first.ID, first.ID
	minCreated, maxCreated := first.CreatedAt, first.CreatedAt
	var statuses, triggers int64
	for _, r := range recs {
		e := r.e
		minID, maxID = min(minID, e.ID), max(maxID, e.ID)
		if e.CreatedAt.Before(minCreated) {
			minCreated = e.CreatedAt
		}
		if e.CreatedAt.After(maxCreated) {
			maxCreated = e.CreatedAt
		}
		statuses |= statusBits[e.Status]
		triggers |= triggerBit(e.Trigger)
	}
	return []any{first.TenantID, first.ScriptID, minID, maxID, s.timeArg(minCreated), s.timeArg(maxCreated),
		statuses, triggers, len(recs), value}
}

// batchGet finds a tenant's execution in the batches; nil if none holds it.
func (s *Store) batchGet(ctx context.Context, tenantID, id string) (*kilntype.Execution, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT script_id, records FROM execution_batches
		WHERE tenant_id = $1 AND min_id >= $2 AND min_id <= $3 AND max_id >= $3`, tenantID, idBucket(id), id)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var scriptID string
		var data []byte
		if err := rows.Scan(&scriptID, &data); err != nil {
			return nil, err
		}
		var found *kilntype.Execution
		var ferr error
		err := decodeBatch(data, func(r *batchRecord) bool {
			if r.exec.ID != id {
				return true
			}
			e, err := r.full(true)
			e.TenantID, e.ScriptID = tenantID, scriptID
			found, ferr = &e, err
			return false
		})
		if err = cmp.Or(err, ferr); err != nil {
			return nil, err
		}
		if found != nil {
			return found, nil
		}
	}
	return nil, rows.Err()
}

// batchCandidates returns up to n of a tenant's appended executions that
// pass p's filters and come after the cursor, newest first, without input,
// output or logs.
func (s *Store) batchCandidates(ctx context.Context, p store.ExecutionListParams, after *cursor, n int) ([]kilntype.Execution, error) {
	var q query
	q.add(`SELECT script_id, max_created, records FROM execution_batches WHERE tenant_id = `, q.arg(p.TenantID))
	if p.ScriptID != "" {
		q.add(` AND script_id = `, q.arg(p.ScriptID))
	}
	if p.Status != "" {
		bit, ok := statusBits[p.Status]
		if !ok {
			return nil, nil // batches hold finished records only
		}
		q.add(` AND (statuses & `, q.arg(bit), `) <> 0`)
	}
	if p.Trigger != "" {
		q.add(` AND (triggers & `, q.arg(triggerBit(p.Trigger)), `) <> 0`)
	}
	if after != nil {
		// A batch holding a record older than the cursor has its oldest
		// record before it, and its newest within maxBatchSpan of that.
		q.add(` AND min_created <= `, q.arg(s.timeArg(after.createdAt)),
			` AND max_created <= `, q.arg(s.timeArg(after.createdAt.Add(maxBatchSpan))))
	}
	q.add(` ORDER BY max_created DESC`)
	rows, err := s.read.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []kilntype.Execution
	for rows.Next() {
		var scriptID string
		var maxCreated time.Time
		var data []byte
		if err := rows.Scan(&scriptID, timeScanner{&maxCreated}, &data); err != nil {
			return nil, err
		}
		// Batches come newest record first: once a batch's newest is
		// older than the n-th candidate, no later batch has a better one.
		if len(out) >= n && maxCreated.Before(out[n-1].CreatedAt) {
			break
		}
		var ferr error
		err := decodeBatch(data, func(r *batchRecord) bool {
			e := &r.exec
			if (p.Status != "" && e.Status != p.Status) || (p.Trigger != "" && e.Trigger != p.Trigger) ||
				(after != nil && !pastCursor(e.CreatedAt, e.ID, after)) {
				return true
			}
			var x kilntype.Execution
			if x, ferr = r.full(false); ferr != nil {
				return false
			}
			x.TenantID, x.ScriptID = p.TenantID, scriptID
			out = append(out, x)
			return true
		})
		if err = cmp.Or(err, ferr); err != nil {
			return nil, err
		}
		slices.SortFunc(out, newestFirst)
		out = out[:min(len(out), n)]
	}
	return out, rows.Err()
}

// pastCursor reports whether (created, id) comes after the cursor in
// newest first order.
func pastCursor(created time.Time, id string, c *cursor) bool {
	return created.Before(c.createdAt) || created.Equal(c.createdAt) && id < c.id
}

// newestFirst orders executions as lists show them: by creation time, then
// by ID, both descending.
func newestFirst(a, b kilntype.Execution) int {
	return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
}

// superseded returns which of ids have a record in executions, which wins
// over an appended one.
func (s *Store) superseded(ctx context.Context, tenantID string, ids []string) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var q query
	q.add(`SELECT id FROM executions WHERE tenant_id = `, q.arg(tenantID), ` AND id IN (`)
	for i, id := range ids {
		if i > 0 {
			q.add(", ")
		}
		q.add(q.arg(id))
	}
	q.add(")")
	rows, err := s.read.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// batchDeleteBefore deletes a tenant's appended executions created before
// t: whole batches, and the old records of a batch that straddles t, which
// is written again without them. It returns how many records it deleted.
func (s *Store) batchDeleteBefore(ctx context.Context, tx *sql.Tx, tenantID string, t time.Time) (int64, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM execution_batches WHERE tenant_id = $1 AND max_created < $2
		RETURNING record_count`, tenantID, s.timeArg(t))
	if err != nil {
		return 0, err
	}
	var deleted int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close()
			return 0, err
		}
		deleted += n
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}

	type straddler struct {
		id       int64
		scriptID string
		data     []byte
	}
	var straddlers []straddler
	rows, err = tx.QueryContext(ctx, `SELECT id, script_id, records FROM execution_batches
		WHERE tenant_id = $1 AND min_created < $2`, tenantID, s.timeArg(t))
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var b straddler
		if err := rows.Scan(&b.id, &b.scriptID, &b.data); err != nil {
			_ = rows.Close()
			return 0, err
		}
		straddlers = append(straddlers, b)
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	for _, b := range straddlers {
		var keep []appendRecord
		var ferr error
		err := decodeBatch(b.data, func(r *batchRecord) bool {
			if r.exec.CreatedAt.Before(t) {
				deleted++
				return true
			}
			e, err := r.full(true)
			if ferr = err; err != nil {
				return false
			}
			e.TenantID, e.ScriptID = tenantID, b.scriptID
			keep = append(keep, appendRecord{e: &e, errJSON: r.errJSON, logs: r.logs})
			return true
		})
		if err = cmp.Or(err, ferr); err != nil {
			return 0, err
		}
		value, _ := encodeBatch(keep, nil)
		args := s.batchArgs(keep, value)
		if _, err := tx.ExecContext(ctx, `UPDATE execution_batches SET min_id = $1, max_id = $2, min_created = $3,
			max_created = $4, statuses = $5, triggers = $6, record_count = $7, records = $8 WHERE id = $9`,
			append(args[2:], b.id)...); err != nil {
			return 0, err
		}
	}
	return deleted, nil
}

// checkExecution checks a record for ExecutionWrite and ExecutionAppend and
// returns its error and logs encoded as JSON.
var emptyLogs = []byte("[]")

func (s *Store) checkExecution(e *kilntype.Execution) (errJSON, logs []byte, err error) {
	switch {
	case e.ID == "" || e.TenantID == "" || e.ScriptID == "":
		return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "execution %q: id, tenant and script are required", e.ID)
	case e.Status == "":
		return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "execution %s: status is required", e.ID)
	case len(e.Input) > 0 && !json.Valid(e.Input):
		return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "execution %s: input is not valid JSON", e.ID)
	case len(e.Output) > 0 && !json.Valid(e.Output):
		return nil, nil, kilntype.Errorf(kilntype.EInvalidArgument, "execution %s: output is not valid JSON", e.ID)
	}
	if e.Error != nil {
		if errJSON, err = json.Marshal(e.Error); err != nil {
			return nil, nil, s.wrap(err, "encode error of execution %s", e.ID)
		}
	}
	switch {
	case e.Logs == nil:
	case len(e.Logs) == 0:
		logs = emptyLogs // most runs log nothing: no encoder for "[]"
	default:
		if logs, err = json.Marshal(e.Logs); err != nil {
			return nil, nil, s.wrap(err, "encode logs of execution %s", e.ID)
		}
	}
	return errJSON, logs, nil
}
