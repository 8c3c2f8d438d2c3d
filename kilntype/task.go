package kilntype

import (
	"encoding/json"
	"time"
)

// TaskState is where a durable task is in its life:
//
//	running ⇄ waiting ⇄ hibernated
//	   └──────────┴──────────┴──→ completed | failed | cancelled
//
// A running or waiting task is resident on its owner node; a hibernated
// one is in no node's memory, only in the store. The last three states are
// terminal: nothing moves a task out of them.
type TaskState string

// Task states.
const (
	TaskRunning    TaskState = "running"    // its VM is executing on its owner
	TaskWaiting    TaskState = "waiting"    // resident on its owner, blocked (not written by a single node: docs/state_machine.md)
	TaskHibernated TaskState = "hibernated" // dropped from memory; an event or its timer resumes it by replay
	TaskCompleted  TaskState = "completed"  // the script returned; Result holds what it returned
	TaskFailed     TaskState = "failed"     // the script failed (or diverged under replay); Error says why
	TaskCancelled  TaskState = "cancelled"  // stopped on request
)

// Terminal reports whether s is a final state.
func (s TaskState) Terminal() bool {
	return s == TaskCompleted || s == TaskFailed || s == TaskCancelled
}

// Valid reports whether s is one of the task states.
func (s TaskState) Valid() bool {
	switch s {
	case TaskRunning, TaskWaiting, TaskHibernated, TaskCompleted, TaskFailed, TaskCancelled:
		return true
	}
	return false
}

// Task is a durable script instance: it runs the script version it started
// with to the end, and everything that enters it from outside is in its
// journal, so any node can rebuild it by replay. docs/tasks.md describes
// the model and the store's guarantees.
type Task struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	ScriptID string `json:"scriptId"`
	// Version is the number of the script version the task is pinned to;
	// VersionID is that version's ID.
	Version   int    `json:"version"`
	VersionID string `json:"versionId"`
	// ParentID is the task that spawned this one, "" for a task started
	// from outside.
	ParentID string    `json:"parentId,omitempty"`
	State    TaskState `json:"state"`
	// Params are the JSON the task started (or last continued as new)
	// with, byte for byte as given.
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *ExecutionError `json:"error,omitempty"`
	// Owner is the node that holds the task; Epoch is its fencing token,
	// raised by every claim. A write that carries an older epoch fails:
	// its writer lost the task to a later claim.
	Owner string `json:"owner,omitempty"`
	Epoch int64  `json:"epoch"`
	// Generation counts the task's continueAsNew calls (0 until the
	// first). The journal is the current generation's.
	Generation   int   `json:"generation"`
	JournalLen   int64 `json:"journalLen"`
	JournalBytes int64 `json:"journalBytes"`
	// InboxDepth is how many events wait in the inbox.
	InboxDepth int `json:"inboxDepth"`
	// WakeAt is when the task wants to be resumed: its earliest timer, or
	// the time an event reached it while hibernated. Nil: nothing wakes it
	// but an event.
	WakeAt    *time.Time `json:"wakeAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
}

// JournalKind says what kind of value a journal entry holds. The engine may
// use kinds beyond these; the store keeps any non-empty kind.
type JournalKind string

// Journal entry kinds.
const (
	JournalHost    JournalKind = "host"    // an SDK or host function call and its result
	JournalCall    JournalKind = "call"    // an async call issued; its "host" entry comes when it completes
	JournalReceive JournalKind = "receive" // an inbox event delivered to the script
	JournalTimer   JournalKind = "timer"   // a timer fired
	JournalClock   JournalKind = "clock"   // a reading of Date.now or new Date
	JournalRandom  JournalKind = "random"  // Math.random or crypto randomness
	JournalSpawn   JournalKind = "spawn"   // a child task started
	JournalSend    JournalKind = "send"    // an event sent to another task
	JournalTimeout JournalKind = "timeout" // a receive ran out of time: its waiter is gone
)

// JournalEntry is one value that entered a task's script from outside, in
// the order the script saw them. Replay serves the script from these
// instead of performing the effects again, and compares each call the
// script makes with Kind, Name and Request to detect divergence.
type JournalEntry struct {
	// Index is the entry's place in its generation's journal, from 0.
	Index int64       `json:"index"`
	Kind  JournalKind `json:"kind"`
	// Name names the call ("iota.db.query"), "" where the kind says all.
	Name string `json:"name,omitempty"`
	// Request is the call's arguments as JSON.
	Request json.RawMessage `json:"request,omitempty"`
	// Value is the JSON the script saw, byte for byte.
	Value json.RawMessage `json:"value,omitempty"`
	// Error is the error the call gave the script instead of a value.
	Error *ExecutionError `json:"error,omitempty"`
	At    time.Time       `json:"at"`
}

// TaskEvent is an event in a task's inbox.
type TaskEvent struct {
	// Seq numbers the task's events in the order they arrived, from 1;
	// it is never reused, even after the event is consumed.
	Seq     int64           `json:"seq"`
	TaskID  string          `json:"taskId"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// From is the sending task's ID, "" for a send from outside.
	From string    `json:"from,omitempty"`
	At   time.Time `json:"at"`
}
