package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// Tasks (docs/tasks.md, "Storage"). A task's row holds its state and
// counters; its journal and inbox are rows of task_journal and task_inbox.
// Every write that changes a task is one transaction that starts by
// updating the task's row, under a WHERE that carries what the caller
// believes (the epoch, the journal's length, a state that is not
// terminal): the update is the compare-and-swap, and on PostgreSQL the
// row lock it takes serializes the task's writers. When the update
// matches no row, taskRefusal reads the row to say why.
//
// Lock order, so that PostgreSQL writers never deadlock: task rows first,
// in ID order when a transaction touches several (TaskAppend's sends),
// then the tenant's task_usage row.
//
// JSON (params, results, journal values, payloads) is kept as text, byte
// for byte: PostgreSQL's JSONB would reorder keys, and replay must see the
// bytes the script saw.

const taskColumns = `id, tenant_id, script_id, version, version_id, parent_id, state, params, result, error,
	owner, epoch, generation, journal_len, journal_bytes, inbox_depth, wake_at, created_at, updated_at, ended_at`

// taskLive is the SQL condition of a task that is not terminal.
const taskLive = `state IN ('running', 'waiting', 'hibernated')`

// taskDue is the condition of the tasks_due index, repeated word for word
// in the query that uses it so that both planners see that it covers it.
const taskDue = `wake_at IS NOT NULL AND state IN ('waiting', 'hibernated')`

func scanTask(row interface{ Scan(...any) error }, t *kilntype.Task) error {
	var parent sql.NullString
	var errJSON []byte
	if err := row.Scan(&t.ID, &t.TenantID, &t.ScriptID, &t.Version, &t.VersionID, &parent, &t.State,
		textScanner{(*[]byte)(&t.Params)}, textScanner{(*[]byte)(&t.Result)}, textScanner{&errJSON},
		&t.Owner, &t.Epoch, &t.Generation, &t.JournalLen, &t.JournalBytes, &t.InboxDepth,
		nullTimeScanner{&t.WakeAt}, timeScanner{&t.CreatedAt}, timeScanner{&t.UpdatedAt}, nullTimeScanner{&t.EndedAt}); err != nil {
		return err
	}
	t.ParentID = parent.String
	if errJSON != nil {
		t.Error = new(kilntype.ExecutionError)
		if err := json.Unmarshal(errJSON, t.Error); err != nil {
			return fmt.Errorf("decode error of task %s: %w", t.ID, err)
		}
	}
	return nil
}

// textArg is JSON text as a query argument for a TEXT column, unchanged;
// NULL if it is empty.
func textArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// checkTaskJSON returns INVALID_ARGUMENT unless b is empty or valid JSON in
// valid UTF-8 (PostgreSQL's text refuses anything else).
func checkTaskJSON(what string, b []byte) error {
	if len(b) > 0 && (!json.Valid(b) || !utf8.Valid(b)) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "%s is not valid JSON", what)
	}
	return nil
}

// checkTaskText returns INVALID_ARGUMENT unless s is a non-empty string of
// at most 200 bytes of UTF-8 without NUL: an ID, an owner, an event type.
func checkTaskText(what, s string) error {
	if s == "" || len(s) > 200 || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "%s must be a non-empty string of at most 200 bytes, got %q", what, s)
	}
	return nil
}

// encodeExecError returns e as JSON, nil for nil.
func encodeExecError(e *kilntype.ExecutionError) ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	return json.Marshal(e)
}

// TaskCreate starts a task.
func (s *Store) TaskCreate(ctx context.Context, p store.TaskCreateParams) (*kilntype.Task, error) {
	if err := checkTaskCreate(p); err != nil {
		return nil, err
	}
	var t *kilntype.Task
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = s.insertTask(ctx, tx, p, s.timestamp())
		return err
	})
	if err != nil {
		return nil, s.wrap(err, "create task")
	}
	return t, nil
}

func checkTaskCreate(p store.TaskCreateParams) error {
	if p.TenantID == "" || p.ScriptID == "" {
		return kilntype.Errorf(kilntype.EInvalidArgument, "a task needs a tenant and a script")
	}
	if p.ID != "" {
		if err := checkTaskText("task id", p.ID); err != nil {
			return err
		}
	}
	if p.Version < 0 || p.MaxLiveTasks < 0 {
		return kilntype.Errorf(kilntype.EInvalidArgument, "task version and cap must not be negative")
	}
	if err := checkTaskText("task owner", p.Owner); err != nil {
		return err
	}
	return checkTaskJSON("task params", p.Params)
}

// insertTask creates the task p describes in tx: it resolves the version,
// checks the parent, counts the task against the tenant's cap and inserts
// the row.
func (s *Store) insertTask(ctx context.Context, tx *sql.Tx, p store.TaskCreateParams, now time.Time) (*kilntype.Task, error) {
	t := &kilntype.Task{
		ID: p.ID, TenantID: p.TenantID, ScriptID: p.ScriptID, Version: p.Version, ParentID: p.ParentID,
		State: kilntype.TaskRunning, Params: p.Params, Owner: p.Owner, Epoch: 1, CreatedAt: now, UpdatedAt: now,
	}
	if t.ID == "" {
		t.ID = s.newID()
	}
	q := `SELECT v.id, v.version_number FROM scripts sc JOIN script_versions v ON v.script_id = sc.id
		WHERE sc.tenant_id = $1 AND sc.id = $2 AND v.version_number = `
	args := []any{p.TenantID, p.ScriptID}
	if p.Version == 0 {
		q += `sc.version`
	} else {
		q += `$3`
		args = append(args, p.Version)
	}
	err := tx.QueryRowContext(ctx, q, args...).Scan(&t.VersionID, &t.Version)
	if errors.Is(err, sql.ErrNoRows) {
		if p.Version == 0 {
			return nil, kilntype.Errorf(kilntype.ENotFound, "script %s not found", p.ScriptID)
		}
		return nil, kilntype.Errorf(kilntype.ENotFound, "script %s has no version %d", p.ScriptID, p.Version)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "resolve the version of task %s", t.ID)
	}
	if p.ParentID != "" {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM tasks WHERE tenant_id = $1 AND id = $2`, p.TenantID, p.ParentID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, kilntype.Errorf(kilntype.ENotFound, "parent task %s not found", p.ParentID)
		}
		if err != nil {
			return nil, s.wrapCtx(ctx, err, "check the parent of task %s", t.ID)
		}
	}
	if err := s.countLiveTask(ctx, tx, p.TenantID, p.MaxLiveTasks); err != nil {
		return nil, err
	}
	var parent any
	if p.ParentID != "" {
		parent = p.ParentID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tasks (`+taskColumns+`, last_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, 1, 0, 0, 0, 0, NULL, $10, $10, NULL, 0)`,
		t.ID, t.TenantID, t.ScriptID, t.Version, t.VersionID, parent, string(t.State), textArg(t.Params),
		t.Owner, s.timeArg(now))
	if err != nil && s.dialect.IsUniqueViolation(err) {
		return nil, kilntype.Errorf(kilntype.EConflict, "task id %s is taken", t.ID)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "insert task %s", t.ID)
	}
	return t, nil
}

// countLiveTask adds one to the tenant's live tasks, locking its usage
// row, and refuses past maxLive (0: no cap).
func (s *Store) countLiveTask(ctx context.Context, tx *sql.Tx, tenantID string, maxLive int) error {
	var live int64
	err := tx.QueryRowContext(ctx, `INSERT INTO task_usage (tenant_id, live) VALUES ($1, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET live = task_usage.live + 1
		RETURNING live`, tenantID).Scan(&live)
	if err != nil {
		return s.wrapCtx(ctx, err, "count the tenant's tasks")
	}
	if maxLive > 0 && live > int64(maxLive) {
		return kilntype.Errorf(kilntype.EQuotaExceeded,
			"the tenant has %d tasks that have not ended, its cap of live tasks: wait for some to end or cancel them", live-1)
	}
	return nil
}

// uncountLiveTask takes one ended task off the tenant's live tasks.
func (s *Store) uncountLiveTask(ctx context.Context, tx *sql.Tx, tenantID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE task_usage SET live = live - 1 WHERE tenant_id = $1`, tenantID)
	return s.wrapCtx(ctx, err, "count the tenant's tasks")
}

// TaskGet returns a tenant's task, or NOT_FOUND.
func (s *Store) TaskGet(ctx context.Context, tenantID, id string) (*kilntype.Task, error) {
	t, err := s.taskGet(ctx, s.read, tenantID, id)
	if err != nil {
		return nil, s.wrap(err, "get task %s", id)
	}
	return t, nil
}

// taskGet reads a task through q (the read pool, or a transaction), or
// returns NOT_FOUND.
func (s *Store) taskGet(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, tenantID, id string) (*kilntype.Task, error) {
	var t kilntype.Task
	err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE tenant_id = $1 AND id = $2`, tenantID, id), &t)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "task %s not found", id)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// TaskList returns a page of a tenant's tasks, newest first.
// INVALID_ARGUMENT for an unknown state, a limit outside 0..200 or a
// cursor this store did not issue.
func (s *Store) TaskList(ctx context.Context, p store.TaskListParams) ([]kilntype.Task, string, error) {
	limit, after, err := pageStart(p.Limit, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	if p.State != "" && !p.State.Valid() {
		return nil, "", kilntype.Errorf(kilntype.EInvalidArgument, "unknown task state %q", p.State)
	}
	var q query
	q.add(`SELECT `+taskColumns+` FROM tasks WHERE tenant_id = `, q.arg(p.TenantID))
	if p.State != "" {
		q.add(` AND state = `, q.arg(string(p.State)))
	}
	if p.ScriptID != "" {
		q.add(` AND script_id = `, q.arg(p.ScriptID))
	}
	if p.ParentID != "" {
		q.add(` AND parent_id = `, q.arg(p.ParentID))
	}
	return listPage(ctx, s, &q, after, limit, "tasks", scanTask,
		func(t *kilntype.Task) (time.Time, string) { return t.CreatedAt, t.ID })
}

// TaskClaim makes owner the task's owner under a new epoch.
func (s *Store) TaskClaim(ctx context.Context, tenantID, id, owner string) (*kilntype.Task, error) {
	if err := checkTaskText("task owner", owner); err != nil {
		return nil, err
	}
	var t kilntype.Task
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := scanTask(tx.QueryRowContext(ctx, `UPDATE tasks SET epoch = epoch + 1, owner = $3, state = 'running', updated_at = $4
			WHERE tenant_id = $1 AND id = $2 AND `+taskLive+` RETURNING `+taskColumns,
			tenantID, id, owner, s.timeArg(s.timestamp())), &t)
		if errors.Is(err, sql.ErrNoRows) {
			return s.taskRefusal(ctx, tx, tenantID, id, taskExpect{what: "claimed"})
		}
		return err
	})
	if err != nil {
		return nil, s.wrap(err, "claim task %s", id)
	}
	return &t, nil
}

// taskExpect is what a refused write to a task expected of it; taskRefusal
// compares it with the row.
type taskExpect struct {
	what  string // the refused write, as in "cannot be <what>"
	epoch int64  // 0: not fenced
	// first is the journal length the write expected; n and bytes are
	// what it would have added, under the caps maxEntries and maxBytes.
	checkJournal         bool
	first, n, bytes      int64
	maxEntries, maxBytes int64
}

// taskRefusal returns why a write's update matched no row: NOT_FOUND,
// fenced, terminal, a stale journal length or a cap.
func (s *Store) taskRefusal(ctx context.Context, tx *sql.Tx, tenantID, id string, e taskExpect) error {
	t, err := s.taskGet(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	switch {
	case e.epoch != 0 && t.Epoch != e.epoch:
		return store.Fenced(id, e.epoch, t.Epoch, t.Owner)
	case t.State.Terminal():
		return kilntype.Errorf(kilntype.EConflict, "task %s is %s: a task that has ended cannot be %s", id, t.State, e.what)
	case e.checkJournal && t.JournalLen != e.first:
		return kilntype.Errorf(kilntype.EConflict,
			"task %s: its journal has %d entries, but this append expected %d (the writer's view is stale); nothing was written",
			id, t.JournalLen, e.first)
	case e.checkJournal && e.maxEntries > 0 && t.JournalLen+e.n > e.maxEntries:
		return kilntype.Errorf(kilntype.EQuotaExceeded,
			"task %s: %d more journal entries would pass the cap of %d entries per journal (it has %d); continueAsNew starts a fresh journal",
			id, e.n, e.maxEntries, t.JournalLen)
	case e.checkJournal && e.maxBytes > 0 && t.JournalBytes+e.bytes > e.maxBytes:
		return kilntype.Errorf(kilntype.EQuotaExceeded,
			"task %s: %d more bytes of journal would pass the cap of %d bytes per journal (it has %d); continueAsNew starts a fresh journal",
			id, e.bytes, e.maxBytes, t.JournalBytes)
	}
	return kilntype.Errorf(kilntype.EConflict, "task %s changed while it was being %s; read it again", id, e.what)
}

// TaskSend stores an event in a task's inbox.
func (s *Store) TaskSend(ctx context.Context, tenantID, taskID string, e kilntype.TaskEvent, maxDepth int) (int64, error) {
	if err := checkEvent(e.Type, e.Payload); err != nil {
		return 0, err
	}
	var seq int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		seq, err = s.deliver(ctx, tx, tenantID, taskID, e.Type, e.Payload, e.From, maxDepth, s.timestamp())
		return err
	})
	if err != nil {
		return 0, s.wrap(err, "send to task %s", taskID)
	}
	return seq, nil
}

func checkEvent(typ string, payload json.RawMessage) error {
	if err := checkTaskText("event type", typ); err != nil {
		return err
	}
	return checkTaskJSON("event payload", payload)
}

// deliver stores an event in a task's inbox in tx and returns its Seq. A
// hibernated receiver's wake time moves to now (unless it is earlier), so
// that TasksDue finds it.
func (s *Store) deliver(ctx context.Context, tx *sql.Tx, tenantID, taskID, typ string, payload []byte, from string,
	maxDepth int, now time.Time) (int64, error) {
	var q query
	at := q.arg(s.timeArg(now))
	q.add(`UPDATE tasks SET last_seq = last_seq + 1, inbox_depth = inbox_depth + 1, updated_at = `, at,
		`, wake_at = CASE WHEN state = 'hibernated' AND (wake_at IS NULL OR wake_at > `, at, `) THEN `, at, ` ELSE wake_at END`,
		` WHERE tenant_id = `, q.arg(tenantID), ` AND id = `, q.arg(taskID), ` AND `, taskLive)
	if maxDepth > 0 {
		q.add(` AND inbox_depth < `, q.arg(maxDepth))
	}
	q.add(` RETURNING last_seq`)
	var seq int64
	err := tx.QueryRowContext(ctx, q.String(), q.args...).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		t, err := s.taskGet(ctx, tx, tenantID, taskID)
		switch {
		case err != nil:
			return 0, err
		case t.State.Terminal():
			return 0, kilntype.Errorf(kilntype.EConflict, "task %s is %s: a task that has ended takes no events", taskID, t.State)
		case maxDepth > 0 && t.InboxDepth >= maxDepth:
			return 0, kilntype.Errorf(kilntype.EQuotaExceeded,
				"the inbox of task %s holds %d events, its cap: the task is not receiving them; send later", taskID, t.InboxDepth)
		}
		return 0, kilntype.Errorf(kilntype.EConflict, "task %s changed while an event was sent to it; send again", taskID)
	}
	if err != nil {
		return 0, s.wrapCtx(ctx, err, "deliver to task %s", taskID)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO task_inbox (task_id, seq, type, payload, sender, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		taskID, seq, typ, textArg(payload), from, s.timeArg(now))
	if err != nil {
		return 0, s.wrapCtx(ctx, err, "store an event for task %s", taskID)
	}
	return seq, nil
}

// Sizes of inbox and journal reads: what 0 means and the most a caller
// may ask for. Replay reads journals in pages of thousands.
const (
	defaultInboxLimit   = 50
	maxInboxLimit       = 1000
	defaultJournalLimit = 1000
	maxJournalLimit     = 10000
)

func taskReadLimit(n, def, most int) (int, error) {
	switch {
	case n == 0:
		return def, nil
	case n < 0 || n > most:
		return 0, kilntype.Errorf(kilntype.EInvalidArgument,
			"limit must be between 1 and %d (or 0 for the default of %d), got %d", most, def, n)
	}
	return n, nil
}

// TaskInbox returns the events waiting in a task's inbox, in Seq order.
func (s *Store) TaskInbox(ctx context.Context, tenantID, taskID string, types []string, limit int) ([]kilntype.TaskEvent, error) {
	limit, err := taskReadLimit(limit, defaultInboxLimit, maxInboxLimit)
	if err != nil {
		return nil, err
	}
	if err := s.taskExists(ctx, tenantID, taskID); err != nil {
		return nil, err
	}
	var q query
	q.add(`SELECT seq, task_id, type, payload, sender, at FROM task_inbox WHERE task_id = `, q.arg(taskID))
	if len(types) > 0 {
		q.add(` AND type IN (`)
		for i, typ := range types {
			if i > 0 {
				q.add(`, `)
			}
			q.add(q.arg(typ))
		}
		q.add(`)`)
	}
	q.add(` ORDER BY seq LIMIT `, q.arg(limit))
	return readRows(ctx, s, &q, "the inbox of task "+taskID, func(row interface{ Scan(...any) error }, e *kilntype.TaskEvent) error {
		return row.Scan(&e.Seq, &e.TaskID, &e.Type, textScanner{(*[]byte)(&e.Payload)}, &e.From, timeScanner{&e.At})
	})
}

// TaskJournal returns a page of a generation of a task's journal.
func (s *Store) TaskJournal(ctx context.Context, tenantID, taskID string, generation int, fromIndex int64, limit int) ([]kilntype.JournalEntry, error) {
	limit, err := taskReadLimit(limit, defaultJournalLimit, maxJournalLimit)
	if err != nil {
		return nil, err
	}
	if err := s.taskExists(ctx, tenantID, taskID); err != nil {
		return nil, err
	}
	var q query
	q.add(`SELECT idx, kind, name, request, value, error, at FROM task_journal WHERE task_id = `, q.arg(taskID),
		` AND generation = `, q.arg(generation), ` AND idx >= `, q.arg(fromIndex), ` ORDER BY idx LIMIT `, q.arg(limit))
	return readRows(ctx, s, &q, "the journal of task "+taskID, func(row interface{ Scan(...any) error }, e *kilntype.JournalEntry) error {
		var errJSON []byte
		if err := row.Scan(&e.Index, &e.Kind, &e.Name, textScanner{(*[]byte)(&e.Request)}, textScanner{(*[]byte)(&e.Value)},
			textScanner{&errJSON}, timeScanner{&e.At}); err != nil {
			return err
		}
		if errJSON != nil {
			e.Error = new(kilntype.ExecutionError)
			if err := json.Unmarshal(errJSON, e.Error); err != nil {
				return fmt.Errorf("decode error of journal entry %d: %w", e.Index, err)
			}
		}
		return nil
	})
}

// taskExists returns NOT_FOUND unless the tenant has the task.
func (s *Store) taskExists(ctx context.Context, tenantID, id string) error {
	var one int
	err := s.read.QueryRowContext(ctx, `SELECT 1 FROM tasks WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return kilntype.Errorf(kilntype.ENotFound, "task %s not found", id)
	}
	return s.wrapCtx(ctx, err, "find task %s", id)
}

// readRows runs q on the read pool and scans every row.
func readRows[T any](ctx context.Context, s *Store, q *query, what string, scan func(row interface{ Scan(...any) error }, item *T) error) ([]T, error) {
	rows, err := s.read.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "read %s", what)
	}
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		var item T
		if err := scan(rows, &item); err != nil {
			return nil, s.wrapCtx(ctx, err, "read %s", what)
		}
		out = append(out, item)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapCtx(ctx, err, "read %s", what)
	}
	return out, nil
}
