package kilntype

import (
	"encoding/json"
	"time"
)

// ScriptType says what triggers a script.
type ScriptType string

// Script types.
const (
	TypeHTTP      ScriptType = "http"      // served under /run/{tenant}/{path}
	TypeEvent     ScriptType = "event"     // runs on matching events
	TypeScheduled ScriptType = "scheduled" // runs on a cron schedule
	TypeManual    ScriptType = "manual"    // runs when someone executes it
	TypeEmbedded  ScriptType = "embedded"  // called by an embedding host
	TypeTask      ScriptType = "task"      // runs as a durable task (docs/tasks.md)
)

// ScriptStatus is a script's lifecycle state; only active scripts are
// triggered. docs/state_machine.md draws the transitions.
type ScriptStatus string

// Script statuses.
const (
	StatusDraft    ScriptStatus = "draft"    // being written; never triggered
	StatusActive   ScriptStatus = "active"   // triggered by its trigger
	StatusPaused   ScriptStatus = "paused"   // temporarily not triggered
	StatusDisabled ScriptStatus = "disabled" // turned off by an admin
	StatusArchived ScriptStatus = "archived" // deleted; history kept
)

// TriggerConfig holds what the script's type needs to be triggered.
type TriggerConfig struct {
	HTTP   *HTTPTrigger `json:"http,omitempty"`
	Events []string     `json:"events,omitempty"`
	Cron   *CronTrigger `json:"cron,omitempty"`
	// Retry is how failed event deliveries are retried; nil means the
	// default: 5 retries after 2, 4, 8, 16 and 32 seconds.
	Retry *RetryPolicy `json:"retry,omitempty"`
}

// RetryPolicy retries a failed event delivery: the first run plus up to
// Retries more, the n-th retry BackoffMs[n-1] milliseconds after the
// failure (the last value repeats when the list is shorter).
type RetryPolicy struct {
	Retries   int     `json:"retries"`
	BackoffMs []int64 `json:"backoffMs"`
}

// DefaultRetry is the retry policy of scripts that set none.
var DefaultRetry = RetryPolicy{Retries: 5, BackoffMs: []int64{2000, 4000, 8000, 16000, 32000}}

// HTTPTrigger routes requests under /run/{tenant}{Path} to the script.
type HTTPTrigger struct {
	Path    string   `json:"path"`
	Methods []string `json:"methods"`
}

// CronTrigger schedules the script.
type CronTrigger struct {
	Expression string `json:"expression"`
	Timezone   string `json:"timezone,omitempty"`
}

// Limits are a script's own limits; zero means the server default.
type Limits struct {
	TimeoutMs          int64 `json:"timeoutMs,omitempty"`
	MemoryBytes        int64 `json:"memoryBytes,omitempty"`
	MaxConcurrent      int   `json:"maxConcurrent,omitempty"`
	HostCallsPerMinute int   `json:"hostCallsPerMinute,omitempty"`
	OutputBytes        int64 `json:"outputBytes,omitempty"`
	// Record keeps the journal of every execution, not only of failed
	// ones, for kiln replay (docs/tasks.md, "Record and replay").
	Record bool `json:"record,omitempty"`
}

// Script is a tenant's function. Its code lives in immutable versions; the
// script points at the newest.
type Script struct {
	ID          string        `json:"id"`
	TenantID    string        `json:"tenantId"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Type        ScriptType    `json:"type"`
	Status      ScriptStatus  `json:"status"`
	Language    string        `json:"language"` // "typescript" or "javascript"
	Trigger     TriggerConfig `json:"trigger"`
	Limits      Limits        `json:"limits"`
	Version     int           `json:"version"` // the current version number
	CreatedAt   time.Time     `json:"createdAt"`
	UpdatedAt   time.Time     `json:"updatedAt"`
}

// Version is an immutable snapshot of a script's source. Nothing updates or
// deletes a version; a rollback writes a new one.
type Version struct {
	ID                string          `json:"id"`
	ScriptID          string          `json:"scriptId"`
	Number            int             `json:"version"`
	SourceCode        string          `json:"source,omitempty"`
	ChangeDescription string          `json:"changeDescription"`
	CreatedBy         string          `json:"createdBy"`
	CreatedAt         time.Time       `json:"createdAt"`
	Trigger           json.RawMessage `json:"trigger,omitempty"`
}
