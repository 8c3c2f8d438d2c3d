package kilntype

import (
	"encoding/json"
	"time"
)

// DeadLetterStatus is where a dead letter is: waiting for someone, replayed
// or discarded.
type DeadLetterStatus string

// Dead-letter statuses.
const (
	DeadLetterDead      DeadLetterStatus = "dead"      // every attempt failed; waiting for a replay or a discard
	DeadLetterReplayed  DeadLetterStatus = "replayed"  // sent again as a new delivery
	DeadLetterDiscarded DeadLetterStatus = "discarded" // dropped on purpose (the record stays)
)

// DeadLetter is an event delivery to one script whose every attempt failed.
type DeadLetter struct {
	ID         string            `json:"id"`
	TenantID   string            `json:"tenantId"`
	DeliveryID string            `json:"deliveryId"`
	EventID    string            `json:"eventId"`
	EventType  string            `json:"eventType"`
	Payload    json.RawMessage   `json:"payload"`
	OccurredAt time.Time         `json:"occurredAt"`
	ScriptID   string            `json:"scriptId"`
	ScriptName string            `json:"scriptName,omitempty"`
	Version    int               `json:"version"`
	Attempts   []DeliveryAttempt `json:"attempts"`
	Status     DeadLetterStatus  `json:"status"`
	// ReplayDeliveryID is the delivery a replay started.
	ReplayDeliveryID string    `json:"replayDeliveryId,omitempty"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
}

// DeliveryAttempt is one failed run of a delivery.
type DeliveryAttempt struct {
	Attempt     int             `json:"attempt"`
	At          time.Time       `json:"at"`
	Error       *ExecutionError `json:"error"`
	ExecutionID string          `json:"executionId,omitempty"`
}
