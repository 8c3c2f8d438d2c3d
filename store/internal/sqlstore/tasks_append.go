package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// journalRow is a journal entry encoded for its insert.
type journalRow struct {
	e       *kilntype.JournalEntry
	errJSON []byte
	size    int64
}

// encodeJournal checks the entries and returns them encoded, with their
// total size as the journal counts it.
func encodeJournal(entries []kilntype.JournalEntry) ([]journalRow, int64, error) {
	rows := make([]journalRow, len(entries))
	var total int64
	for i := range entries {
		e := &entries[i]
		if e.Kind == "" {
			return nil, 0, kilntype.Errorf(kilntype.EInvalidArgument, "journal entry %d has no kind", i)
		}
		if !utf8Text(string(e.Kind)) || !utf8Text(e.Name) {
			return nil, 0, kilntype.Errorf(kilntype.EInvalidArgument, "journal entry %d: kind and name must be UTF-8 without NUL", i)
		}
		if err := checkTaskJSON("the request of a journal entry", e.Request); err != nil {
			return nil, 0, err
		}
		if err := checkTaskJSON("the value of a journal entry", e.Value); err != nil {
			return nil, 0, err
		}
		errJSON, err := encodeExecError(e.Error)
		if err != nil {
			return nil, 0, err
		}
		size := int64(len(e.Kind) + len(e.Name) + len(e.Request) + len(e.Value) + len(errJSON))
		rows[i] = journalRow{e: e, errJSON: errJSON, size: size}
		total += size
	}
	return rows, total, nil
}

func utf8Text(s string) bool {
	return !strings.ContainsRune(s, 0) && utf8.ValidString(s)
}

// journalChunk is how many entries one INSERT writes: 9 arguments each,
// far below either database's limit on arguments.
const journalChunk = 200

// insertJournal writes rows at first, first+1, … of generation.
func (s *Store) insertJournal(ctx context.Context, tx *sql.Tx, taskID string, generation int, first int64, rows []journalRow, now time.Time) error {
	for start := 0; start < len(rows); start += journalChunk {
		q := s.journalInsert(taskID, generation, first+int64(start), rows[start:min(start+journalChunk, len(rows))], now)
		if _, err := s.txExec(ctx, tx, q); err != nil {
			return s.wrapCtx(ctx, err, "append to the journal of task %s", taskID)
		}
	}
	return nil
}

// journalInsert is the INSERT of rows (at most journalChunk) at first.
func (s *Store) journalInsert(taskID string, generation int, first int64, rows []journalRow, now time.Time) *query {
	q := &query{}
	q.add(`INSERT INTO task_journal (task_id, generation, idx, kind, name, request, value, error, at) VALUES `)
	for i, r := range rows {
		if i > 0 {
			q.add(`, `)
		}
		at := r.e.At
		if at.IsZero() {
			at = now
		}
		q.add(`(`, q.arg(taskID), `, `, q.arg(generation), `, `, q.arg(first+int64(i)), `, `, q.arg(string(r.e.Kind)), `, `,
			q.arg(r.e.Name), `, `, q.arg(textArg(r.e.Request)), `, `, q.arg(textArg(r.e.Value)), `, `, q.arg(textArg(r.errJSON)), `, `,
			q.arg(s.timeArg(at)), `)`)
	}
	return q
}

// checkAppend checks what TaskAppend can without the database.
func checkAppend(p *store.TaskAppendParams) error {
	if p.TenantID == "" || p.TaskID == "" {
		return kilntype.Errorf(kilntype.EInvalidArgument, "an append needs a tenant and a task")
	}
	if p.Epoch < 1 || p.First < 0 || p.Receive < 0 || p.MaxJournalEntries < 0 || p.MaxJournalBytes < 0 || p.MaxInboxDepth < 0 {
		return kilntype.Errorf(kilntype.EInvalidArgument, "an append's epoch must be positive, and its index, receive and caps not negative")
	}
	for _, m := range p.Sends {
		if m.To == "" {
			return kilntype.Errorf(kilntype.EInvalidArgument, "a send needs a receiving task")
		}
		if err := checkEvent(m.Type, m.Payload); err != nil {
			return err
		}
	}
	for _, c := range p.Spawns {
		c.TenantID = p.TenantID
		if err := checkTaskCreate(c); err != nil {
			return err
		}
	}
	if u := p.Update; u != nil {
		if !u.State.Valid() {
			return kilntype.Errorf(kilntype.EInvalidArgument, "unknown task state %q", u.State)
		}
		if !u.State.Terminal() && (len(u.Result) > 0 || u.Error != nil) {
			return kilntype.Errorf(kilntype.EInvalidArgument, "a result or an error goes with a terminal state, not %s", u.State)
		}
		if err := checkTaskJSON("task result", u.Result); err != nil {
			return err
		}
	}
	return nil
}

// preparedAppend is an append checked and encoded, ready for its
// transaction.
type preparedAppend struct {
	p       store.TaskAppendParams
	rows    []journalRow
	size    int64
	errJSON []byte
	// update is its row's statement, built before the transaction so
	// that its shape can be prepared (stmts.go).
	update *query
}

// build builds a's statements for now and prepares their shapes.
func (s *Store) build(ctx context.Context, a *preparedAppend, now time.Time) {
	a.update = s.appendUpdateQuery(&a.p, int64(len(a.rows)), a.size, a.errJSON, now)
	s.prepare(ctx, a.update.String())
	if len(a.rows) > 0 && len(a.rows) <= 8 { // the common small steps
		s.prepare(ctx, s.journalInsert(a.p.TaskID, 0, a.p.First, a.rows, now).String())
	}
}

// prepareAppend checks p and encodes what it writes.
func (s *Store) prepareAppend(p store.TaskAppendParams) (*preparedAppend, error) {
	if err := checkAppend(&p); err != nil {
		return nil, err
	}
	rows, size, err := encodeJournal(p.Entries)
	if err != nil {
		return nil, err
	}
	a := &preparedAppend{p: p, rows: rows, size: size}
	if p.Update != nil {
		if a.errJSON, err = encodeExecError(p.Update.Error); err != nil {
			return nil, s.wrap(err, "encode the error of task %s", p.TaskID)
		}
	}
	return a, nil
}

// TaskAppend appends journal entries and applies their effects in one
// transaction.
func (s *Store) TaskAppend(ctx context.Context, p store.TaskAppendParams) (*kilntype.Task, error) {
	a, err := s.prepareAppend(p)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	s.build(ctx, a, now)
	var t *kilntype.Task
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockTasks(ctx, tx, taskLockIDs(a.p)); err != nil {
			return err
		}
		t, err = s.appendTx(ctx, tx, a, now)
		return err
	})
	if err != nil {
		return nil, s.wrap(err, "append to task %s", p.TaskID)
	}
	return t, nil
}

// TaskAppendBatch applies several tasks' appends in one transaction (group
// commit), each in a savepoint of its own, so that one refused append
// leaves the others. It returns each append's task or error, in order.
func (s *Store) TaskAppendBatch(ctx context.Context, ps []store.TaskAppendParams) []store.TaskAppendResult {
	out := make([]store.TaskAppendResult, len(ps))
	prepared := make([]*preparedAppend, len(ps))
	var ids []string
	for i, p := range ps {
		a, err := s.prepareAppend(p)
		if err != nil {
			out[i].Err = err
			continue
		}
		prepared[i] = a
		ids = append(ids, p.TaskID) // a batch locks every row it updates: items come in any order
		ids = append(ids, taskLockIDs(p)...)
	}
	now := s.timestamp()
	for _, a := range prepared {
		if a != nil {
			s.build(ctx, a, now)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Every row the batch touches, locked in ID order up front: two
		// nodes' batches cannot deadlock.
		if err := s.lockTasks(ctx, tx, ids); err != nil {
			return err
		}
		for i, a := range prepared {
			if a == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT task_append`); err != nil {
				return err
			}
			t, err := s.appendTx(ctx, tx, a, now)
			if err != nil {
				out[i].Err = s.wrap(err, "append to task %s", a.p.TaskID)
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT task_append`); err != nil {
					return err
				}
				continue
			}
			out[i].Task = t
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT task_append`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		err = s.wrap(err, "append to %d tasks", len(ps))
		for i := range out {
			if out[i].Err == nil {
				out[i] = store.TaskAppendResult{Err: err}
			}
		}
	}
	return out
}

// appendTx is one append's writes inside tx.
func (s *Store) appendTx(ctx context.Context, tx *sql.Tx, a *preparedAppend, now time.Time) (*kilntype.Task, error) {
	p := &a.p
	var t kilntype.Task
	if err := s.appendUpdate(ctx, tx, a, now, &t); err != nil {
		return nil, err
	}
	if err := s.wakeIfMail(ctx, tx, &t, now); err != nil {
		return nil, err
	}
	if p.Receive != 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM task_inbox WHERE task_id = $1 AND seq = $2`, p.TaskID, p.Receive)
		if err != nil {
			return nil, s.wrapCtx(ctx, err, "consume event %d of task %s", p.Receive, p.TaskID)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return nil, errors.Join(err, kilntype.Errorf(kilntype.EConflict,
				"event %d is not in the inbox of task %s (consumed already?); nothing was written", p.Receive, p.TaskID))
		}
	}
	if err := s.insertJournal(ctx, tx, p.TaskID, t.Generation, p.First, a.rows, now); err != nil {
		return nil, err
	}
	toSelf := false
	for _, m := range p.Sends {
		if _, err := s.deliver(ctx, tx, p.TenantID, m.To, m.Type, m.Payload, p.TaskID, p.MaxInboxDepth, now); err != nil {
			return nil, err
		}
		toSelf = toSelf || m.To == p.TaskID
	}
	if toSelf {
		// The task's own inbox (and maybe wake time) changed since.
		again, err := s.taskGet(ctx, tx, p.TenantID, p.TaskID)
		if err != nil {
			return nil, err
		}
		t = *again
	}
	for _, c := range p.Spawns {
		c.TenantID, c.ParentID = p.TenantID, p.TaskID
		if _, err := s.insertTask(ctx, tx, c, now); err != nil {
			return nil, err
		}
	}
	if t.State.Terminal() {
		if err := s.uncountLiveTask(ctx, tx, p.TenantID); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// taskLockIDs are the task rows an append with sends locks: its own and
// its receivers'. An append without sends locks its row by its update.
func taskLockIDs(p store.TaskAppendParams) []string {
	if len(p.Sends) == 0 {
		return nil
	}
	ids := []string{p.TaskID}
	for _, m := range p.Sends {
		ids = append(ids, m.To)
	}
	return ids
}

// lockTasks locks the task rows ids name, in ID order, so that two
// appends (or batches) touching the same tasks at once cannot deadlock on
// PostgreSQL. A task an append does not send to is locked by its update.
func (s *Store) lockTasks(ctx context.Context, tx *sql.Tx, ids []string) error {
	if !s.dialect.RowLocks || len(ids) == 0 {
		return nil
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var q query
	q.add(`SELECT id FROM tasks WHERE id IN (`)
	for i, id := range ids {
		if i > 0 {
			q.add(`, `)
		}
		q.add(q.arg(id))
	}
	q.add(`) ORDER BY id FOR UPDATE`)
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return s.wrapCtx(ctx, err, "lock tasks")
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
	}
	return s.wrapCtx(ctx, rows.Err(), "lock tasks")
}

// appendUpdate is TaskAppend's compare-and-swap on the task's row: it
// counts the entries, consumes the inbox slot and applies p.Update, only if
// the epoch, the journal's length and the caps allow it; else it returns
// why not. t receives the row as updated.
func (s *Store) appendUpdate(ctx context.Context, tx *sql.Tx, a *preparedAppend, now time.Time, t *kilntype.Task) error {
	p := &a.p
	q := a.update
	if q == nil {
		q = s.appendUpdateQuery(p, int64(len(a.rows)), a.size, a.errJSON, now)
	}
	err := scanTask(s.txQueryRow(ctx, tx, q), t)
	if errors.Is(err, sql.ErrNoRows) {
		return s.taskRefusal(ctx, tx, p.TenantID, p.TaskID, taskExpect{
			what: "appended to", epoch: p.Epoch, checkJournal: true, first: p.First, n: int64(len(a.rows)), bytes: a.size,
			maxEntries: p.MaxJournalEntries, maxBytes: p.MaxJournalBytes,
		})
	}
	return s.wrapCtx(ctx, err, "update task %s", p.TaskID)
}

// appendUpdateQuery builds appendUpdate's statement for p.
func (s *Store) appendUpdateQuery(p *store.TaskAppendParams, n, size int64, errJSON []byte, now time.Time) *query {
	q := &query{}
	at := q.arg(s.timeArg(now))
	q.add(`UPDATE tasks SET journal_len = journal_len + `, q.arg(n), `, journal_bytes = journal_bytes + `, q.arg(size),
		`, updated_at = `, at)
	if p.Receive != 0 {
		q.add(`, inbox_depth = inbox_depth - 1`)
	}
	if u := p.Update; u != nil {
		q.add(`, state = `, q.arg(string(u.State)))
		if u.State.Terminal() {
			q.add(`, wake_at = NULL, ended_at = `, at, `, result = `, q.arg(textArg(u.Result)), `, error = `, q.arg(textArg(errJSON)))
		} else {
			q.add(`, wake_at = `, q.arg(s.nullTimeArg(u.WakeAt)))
		}
	}
	q.add(` WHERE tenant_id = `, q.arg(p.TenantID), ` AND id = `, q.arg(p.TaskID), ` AND epoch = `, q.arg(p.Epoch),
		` AND journal_len = `, q.arg(p.First), ` AND `, taskLive)
	if p.MaxJournalEntries > 0 {
		q.add(` AND journal_len + `, q.arg(n), ` <= `, q.arg(p.MaxJournalEntries))
	}
	if p.MaxJournalBytes > 0 {
		q.add(` AND journal_bytes + `, q.arg(size), ` <= `, q.arg(p.MaxJournalBytes))
	}
	q.add(` RETURNING `, taskColumns)
	return q
}

// wakeIfMail makes a task that was just hibernated due now if its inbox
// holds events: they arrived while it ran, when a send does not wake it,
// and must not sleep until its timer (or forever).
func (s *Store) wakeIfMail(ctx context.Context, tx *sql.Tx, t *kilntype.Task, now time.Time) error {
	if t.State != kilntype.TaskHibernated || t.InboxDepth == 0 || (t.WakeAt != nil && !t.WakeAt.After(now)) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE tasks SET wake_at = $1 WHERE id = $2`, s.timeArg(now), t.ID)
	if err != nil {
		return s.wrapCtx(ctx, err, "wake task %s", t.ID)
	}
	t.WakeAt = &now
	return nil
}

// TaskContinueAsNew starts the task's next generation with an empty
// journal and new params, deleting the ended generation's entries.
func (s *Store) TaskContinueAsNew(ctx context.Context, tenantID, id string, epoch int64, params json.RawMessage) (*kilntype.Task, error) {
	if err := checkTaskJSON("task params", params); err != nil {
		return nil, err
	}
	if epoch < 1 {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the epoch must be positive")
	}
	var t kilntype.Task
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := scanTask(tx.QueryRowContext(ctx, `UPDATE tasks SET generation = generation + 1, journal_len = 0, journal_bytes = 0,
				params = $4, state = 'running', wake_at = NULL, updated_at = $5
			WHERE tenant_id = $1 AND id = $2 AND epoch = $3 AND `+taskLive+` RETURNING `+taskColumns,
			tenantID, id, epoch, textArg(params), s.timeArg(s.timestamp())), &t)
		if errors.Is(err, sql.ErrNoRows) {
			return s.taskRefusal(ctx, tx, tenantID, id, taskExpect{what: "continued as new", epoch: epoch})
		}
		if err != nil {
			return s.wrapCtx(ctx, err, "continue task %s as new", id)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM task_journal WHERE task_id = $1 AND generation < $2`, id, t.Generation)
		return s.wrapCtx(ctx, err, "delete the ended journal of task %s", id)
	})
	if err != nil {
		return nil, s.wrap(err, "continue task %s as new", id)
	}
	return &t, nil
}

// Claims TasksDue makes at most at once.
const (
	defaultDueLimit = 100
	maxDueLimit     = 1000
)

// TasksDue claims due tasks for owner. On PostgreSQL the candidates are
// locked with SKIP LOCKED, so concurrent callers take disjoint sets and
// never wait for each other; a candidate that another caller claimed
// between this one's snapshot and its lock is checked again under the lock
// (it is running now, so no longer matches) and left out. On SQLite the
// statement runs alone.
func (s *Store) TasksDue(ctx context.Context, now time.Time, owner string, limit int) ([]kilntype.Task, error) {
	if err := checkTaskText("task owner", owner); err != nil {
		return nil, err
	}
	limit, err := taskReadLimit(limit, defaultDueLimit, maxDueLimit)
	if err != nil {
		return nil, err
	}
	lock := ""
	if s.dialect.RowLocks {
		lock = ` FOR UPDATE SKIP LOCKED`
	}
	var out []kilntype.Task
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `WITH due AS (
				SELECT id FROM tasks WHERE `+taskDue+` AND wake_at <= $1 ORDER BY wake_at, id LIMIT $2`+lock+`)
			UPDATE tasks SET epoch = epoch + 1, owner = $3, state = 'running', updated_at = $4
			WHERE id IN (SELECT id FROM due) RETURNING `+taskColumns,
			s.timeArg(now), limit, owner, s.timeArg(s.timestamp()))
		if err != nil {
			return err
		}
		defer func() { _ = rows.Close() }()
		for rows.Next() {
			var t kilntype.Task
			if err := scanTask(rows, &t); err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "claim due tasks")
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b kilntype.Task) int {
		if c := a.WakeAt.Compare(*b.WakeAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
