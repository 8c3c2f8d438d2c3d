package kilntype

import (
	"encoding/json"
	"time"
)

// ExecutionStatus is where an execution is in its life:
//
//	pending → running → completed | failed | timeout | cancelled
type ExecutionStatus string

// Execution statuses.
const (
	ExecPending   ExecutionStatus = "pending"   // accepted, not started
	ExecRunning   ExecutionStatus = "running"   // a VM is running it
	ExecCompleted ExecutionStatus = "completed" // the handler returned
	ExecFailed    ExecutionStatus = "failed"    // the script failed
	ExecTimeout   ExecutionStatus = "timeout"   // it ran past its timeout
	ExecCancelled ExecutionStatus = "cancelled" // stopped by shutdown or a caller
	ExecSkipped   ExecutionStatus = "skipped"   // a scheduled run not started: the previous one was still going
)

// Finished reports whether s is a final state.
func (s ExecutionStatus) Finished() bool {
	return s == ExecCompleted || s == ExecFailed || s == ExecTimeout || s == ExecCancelled || s == ExecSkipped
}

// ExecutionError is a failed execution's error.
type ExecutionError struct {
	Code     Code   `json:"code"`
	Message  string `json:"message"`
	Position string `json:"position,omitempty"`
	Stack    string `json:"stack,omitempty"`
}

// LogLine is one line of an execution's log.
type LogLine struct {
	Time    time.Time      `json:"time"`
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
}

// Execution is the record of one run of one script version.
type Execution struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenantId"`
	ScriptID string  `json:"scriptId"`
	Version  int     `json:"version"`
	Trigger  Trigger `json:"trigger"`
	// Attempt is the run's number among an event delivery's attempts (1
	// for the first run, and for every other trigger).
	Attempt       int             `json:"attempt,omitempty"`
	Status        ExecutionStatus `json:"status"`
	Input         json.RawMessage `json:"input,omitempty"`
	Output        json.RawMessage `json:"output,omitempty"`
	Error         *ExecutionError `json:"error,omitempty"`
	Logs          []LogLine       `json:"logs,omitempty"`
	LogsTruncated bool            `json:"logsTruncated,omitempty"`
	DurationMs    float64         `json:"durationMs"`
	HostCalls     int             `json:"hostCalls"`
	MemoryBytes   int64           `json:"memoryBytes"`
	CreatedAt     time.Time       `json:"createdAt"`
	StartedAt     *time.Time      `json:"startedAt,omitempty"`
	FinishedAt    *time.Time      `json:"finishedAt,omitempty"`
}
