package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// Tasks is the persistence of durable tasks (docs/tasks.md, "Storage"):
// the task rows, their journals and their inboxes.
//
// Every write to a task that its owner makes (TaskAppend,
// TaskContinueAsNew) carries the epoch the owner's claim returned and
// fails with a CONFLICT matching ErrFenced once another claim has taken
// the task since. Caps are the caller's to choose (a zero cap is no cap);
// DefaultMaxJournalEntries and its neighbours are the defaults callers
// start from.
type Tasks interface {
	// TaskCreate starts a task: state running, epoch 1, owned by p.Owner,
	// generation 0, an empty journal and inbox. NOT_FOUND if the tenant
	// has no such script, version or parent task; QUOTA_EXCEEDED if the
	// tenant already has p.MaxLiveTasks tasks that are not terminal;
	// CONFLICT if p.ID is taken.
	TaskCreate(ctx context.Context, p TaskCreateParams) (*kilntype.Task, error)
	// TaskGet returns a tenant's task, or NOT_FOUND.
	TaskGet(ctx context.Context, tenantID, id string) (*kilntype.Task, error)
	// TaskList returns a page of a tenant's tasks, newest first, and the
	// cursor of the next page ("" on the last).
	TaskList(ctx context.Context, p TaskListParams) ([]kilntype.Task, string, error)
	// TaskClaim makes owner the task's owner: its epoch goes up by one,
	// its state becomes running, and every write made with an earlier
	// epoch fails from then on. NOT_FOUND if there is no such task;
	// CONFLICT if it is terminal.
	TaskClaim(ctx context.Context, tenantID, id, owner string) (*kilntype.Task, error)
	// TaskAppend appends journal entries and applies the effects that go
	// with them, all in one transaction or not at all: the consumption of
	// one inbox event, sends to other tasks, spawned children and a change
	// of state. See TaskAppendParams for each part and its errors.
	TaskAppend(ctx context.Context, p TaskAppendParams) (*kilntype.Task, error)
	// TaskAppendBatch applies several appends — of different tasks — in
	// one transaction (group commit), each as TaskAppend would and each on
	// its own: a refused append writes nothing and leaves the others. It
	// returns each one's outcome, in order.
	TaskAppendBatch(ctx context.Context, ps []TaskAppendParams) []TaskAppendResult
	// TaskSend stores an event in a task's inbox and returns its Seq; the
	// event is durable when it returns. A hibernated receiver becomes due
	// (its WakeAt is set to now unless it is earlier), so TasksDue resumes
	// it. NOT_FOUND if there is no such task; CONFLICT if it is terminal;
	// QUOTA_EXCEEDED if its inbox holds maxDepth events (0: no cap);
	// INVALID_ARGUMENT for an empty type or a payload that is not JSON.
	TaskSend(ctx context.Context, tenantID, taskID string, e kilntype.TaskEvent, maxDepth int) (int64, error)
	// TaskInbox returns up to limit of the events in a task's inbox, in
	// Seq order, only those of the given types if types is not empty (the
	// others stay queued, in order). Reading consumes nothing. NOT_FOUND
	// if there is no such task.
	TaskInbox(ctx context.Context, tenantID, taskID string, types []string, limit int) ([]kilntype.TaskEvent, error)
	// TaskJournal returns up to limit entries of a generation of a task's
	// journal, in index order, from index fromIndex on. A generation that
	// ended (TaskContinueAsNew) has no entries left. NOT_FOUND if there is
	// no such task.
	TaskJournal(ctx context.Context, tenantID, taskID string, generation int, fromIndex int64, limit int) ([]kilntype.JournalEntry, error)
	// TaskContinueAsNew starts the task's next generation: the journal is
	// emptied (the ended generation's entries are deleted), the params
	// replaced, the state running, WakeAt cleared; the ID, inbox, children,
	// owner and epoch stay. Fenced like TaskAppend; NOT_FOUND if there is
	// no such task; CONFLICT if it is terminal.
	TaskContinueAsNew(ctx context.Context, tenantID, id string, epoch int64, params json.RawMessage) (*kilntype.Task, error)
	// TasksDue claims for owner, as TaskClaim does, up to limit tasks of
	// any tenant that are waiting or hibernated and whose WakeAt is at or
	// before now, earliest WakeAt first. Concurrent callers, on one node
	// or several, never claim one task twice for one wake-up: a claimed
	// task is running, so it is not due again until a later write puts it
	// back to waiting or hibernated with a WakeAt.
	TasksDue(ctx context.Context, now time.Time, owner string, limit int) ([]kilntype.Task, error)
}

// Task caps a caller starts from. The store applies the caps it is given
// and no others.
const (
	DefaultMaxJournalEntries = 100_000
	DefaultMaxJournalBytes   = 64 << 20
	DefaultMaxInboxDepth     = 10_000
)

// ErrFenced is matched (errors.Is) by the CONFLICT a task write returns
// when its epoch is not the task's: another claim has taken the task
// since, and the writer must drop it without retrying.
var ErrFenced = errors.New("task fenced: claimed by another owner since")

// FencedError is the CONFLICT of a write that carried a stale epoch. It is
// a *kilntype.Error to errors.As and kilntype.ErrorCode, and ErrFenced to
// errors.Is.
type FencedError struct {
	TaskID string
	// Epoch is the writer's epoch; Current and Owner are the task's.
	Epoch, Current int64
	Owner          string
	err            *kilntype.Error
}

// Fenced returns the error of a write to taskID with epoch when the task
// is at current, held by owner.
func Fenced(taskID string, epoch, current int64, owner string) *FencedError {
	return &FencedError{TaskID: taskID, Epoch: epoch, Current: current, Owner: owner,
		err: kilntype.Errorf(kilntype.EConflict,
			"task %s is fenced: this write carries epoch %d, but the task was claimed since (epoch %d, owner %q); drop the task, its new owner carries on",
			taskID, epoch, current, owner)}
}

func (e *FencedError) Error() string { return e.err.Error() }

// Unwrap returns the *kilntype.Error (code CONFLICT).
func (e *FencedError) Unwrap() error { return e.err }

// Is reports whether target is ErrFenced.
func (e *FencedError) Is(target error) bool { return target == ErrFenced }

// TaskCreateParams starts a task.
type TaskCreateParams struct {
	// ID is the task's ID; "" lets the store make one. A spawn journaled
	// before its child exists (TaskAppendParams.Spawns) names the child's
	// ID here.
	ID       string
	TenantID string
	ScriptID string
	// Version pins the script version; 0 is the script's current version.
	Version int
	// ParentID is the spawning task, of the same tenant; "" for none.
	ParentID string
	// Params is JSON, kept byte for byte; empty means none.
	Params json.RawMessage
	// Owner is the node that runs the task first.
	Owner string
	// MaxLiveTasks caps the tenant's tasks that are not terminal, this one
	// included (QUOTA_EXCEEDED); 0 means no cap.
	MaxLiveTasks int
}

// TaskListParams filters a tenant's tasks. Empty fields do not filter.
type TaskListParams struct {
	TenantID string
	State    kilntype.TaskState
	ScriptID string
	ParentID string
	Limit    int // 1..200; 0 means 50
	Cursor   string
}

// TaskAppendParams is one durable step of a task, made by its owner.
type TaskAppendParams struct {
	TenantID string
	TaskID   string
	// Epoch is the owner's fencing token (ErrFenced if it is stale).
	Epoch int64
	// First is the index the first of Entries gets: the journal's length
	// as the caller knows it. CONFLICT if the journal has another length —
	// a writer with a stale view — and nothing is written.
	First int64
	// Entries are appended at First, First+1, …; their Index is set by
	// the store and a zero At becomes now. They may be empty when the
	// step only changes the state.
	Entries []kilntype.JournalEntry
	// Receive, if not 0, is the Seq of an inbox event the step consumes:
	// it is deleted in the same transaction as the entries that deliver
	// it. CONFLICT if it is not in the inbox (consumed already).
	Receive int64
	// Sends are stored in other tasks' inboxes (of the same tenant) in the
	// same transaction, From this task; a hibernated receiver becomes due
	// as with TaskSend. NOT_FOUND for an unknown receiver, CONFLICT for a
	// terminal one, QUOTA_EXCEEDED for one whose inbox holds MaxInboxDepth
	// events.
	Sends []TaskMessage
	// Spawns are children created in the same transaction (ParentID and
	// TenantID are set to this task's), as TaskCreate creates them.
	Spawns []TaskCreateParams
	// Update, if not nil, changes the task's state and what goes with it.
	Update *TaskUpdate
	// MaxJournalEntries and MaxJournalBytes cap the journal after the
	// append (QUOTA_EXCEEDED naming the cap; nothing written); 0 means no
	// cap. Bytes are those of each entry's kind, name, request, value and
	// error message.
	MaxJournalEntries int64
	MaxJournalBytes   int64
	// MaxInboxDepth caps each receiver's inbox for Sends; 0 means no cap.
	MaxInboxDepth int
}

// TaskAppendResult is one append's outcome in a batch: the task as
// updated, or why it was refused.
type TaskAppendResult struct {
	Task *kilntype.Task
	Err  error
}

// TaskMessage is an event a task sends to another task.
type TaskMessage struct {
	To      string
	Type    string
	Payload json.RawMessage
}

// TaskUpdate changes a task's state.
type TaskUpdate struct {
	State kilntype.TaskState
	// WakeAt replaces the task's wake time; nil clears it. A terminal
	// state clears it whatever is given; a hibernated task whose inbox
	// still holds events (sent while it ran) is due now instead, unless
	// WakeAt is earlier.
	WakeAt *time.Time
	// Result and Error are kept with a terminal state.
	Result json.RawMessage
	Error  *kilntype.ExecutionError
}
