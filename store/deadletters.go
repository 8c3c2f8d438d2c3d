package store

import (
	"context"

	"github.com/kiln-run/kiln/kilntype"
)

// DeadLetters is the dead-letter queue's persistence: event deliveries
// whose every attempt failed.
type DeadLetters interface {
	// DeadLetterPut stores d in status dead; putting the same delivery
	// (tenant and DeliveryID) again keeps the first and returns it.
	DeadLetterPut(ctx context.Context, d kilntype.DeadLetter) (*kilntype.DeadLetter, error)
	// DeadLetterGet returns a tenant's dead letter, or NOT_FOUND.
	DeadLetterGet(ctx context.Context, tenantID, id string) (*kilntype.DeadLetter, error)
	// DeadLetterList returns a page of a tenant's dead letters, newest first.
	DeadLetterList(ctx context.Context, p DeadLetterListParams) ([]kilntype.DeadLetter, string, error)
	// DeadLetterResolve moves a dead letter from dead to replayed or
	// discarded; CONFLICT if it is not dead any more.
	DeadLetterResolve(ctx context.Context, tenantID, id string, to kilntype.DeadLetterStatus, replayDeliveryID string) (*kilntype.DeadLetter, error)
}

// DeadLetterListParams selects a page of dead letters.
type DeadLetterListParams struct {
	TenantID string
	ScriptID string
	Status   kilntype.DeadLetterStatus
	Limit    int
	Cursor   string
}
