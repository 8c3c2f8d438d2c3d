package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// attemptRecord is what the attempts bucket keeps per delivery (under its
// Delivery.Key, unique across tenants) while the delivery is being
// retried. Redelivered JetStream messages carry no
// history, so the errors the dead-letter sink receives live here. The
// number of recorded attempts, not the message's delivery count, is the
// attempt number: a run cut short by a crash is not an attempt.
type attemptRecord struct {
	Attempts []AttemptError `json:"attempts"`
	// DeadLetter means the last attempt failed (or the handler gave up) and
	// only the dead-letter sink is left to call.
	DeadLetter bool `json:"deadLetter,omitempty"`
}

// attemptKey turns a delivery's Key into a valid KV key (keys hold ':').
func attemptKey(deliveryKey string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(deliveryKey))
}

// loadAttempts returns the record of the delivery with key id and its
// revision (0 when none).
func (q *Queue) loadAttempts(ctx context.Context, id string) (attemptRecord, uint64, error) {
	entry, err := q.attempts.Get(ctx, attemptKey(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return attemptRecord{}, 0, nil
	}
	if err != nil {
		return attemptRecord{}, 0, fmt.Errorf("load attempts of %s: %w", id, err)
	}
	var rec attemptRecord
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		return attemptRecord{}, entry.Revision(), fmt.Errorf("decode attempts of %s: %w", id, err)
	}
	return rec, entry.Revision(), nil
}

// saveAttempts writes rec if the record is still at revision (0: absent).
// Two runs of one delivery at once (an AckWait that expired under a slow
// handler) then cannot overwrite each other's history: the loser reloads,
// merges and writes again.
func (q *Queue) saveAttempts(ctx context.Context, id string, rec attemptRecord, revision uint64) error {
	key := attemptKey(id)
	for range 5 {
		data, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode attempts of %s: %w", id, err)
		}
		if revision == 0 {
			_, err = q.attempts.Create(ctx, key, data)
		} else {
			_, err = q.attempts.Update(ctx, key, data, revision)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return fmt.Errorf("save attempts of %s: %w", id, err)
		}
		current, rev, lerr := q.loadAttempts(ctx, id)
		if lerr != nil {
			return lerr
		}
		rec = mergeAttempts(current, rec)
		revision = rev
	}
	return fmt.Errorf("save attempts of %s: too many concurrent writers", id)
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// mergeAttempts keeps the stored attempts and adds mine that it lacks.
func mergeAttempts(stored, mine attemptRecord) attemptRecord {
	seen := make(map[int]bool, len(stored.Attempts))
	for _, a := range stored.Attempts {
		seen[a.Attempt] = true
	}
	for _, a := range mine.Attempts {
		if !seen[a.Attempt] {
			stored.Attempts = append(stored.Attempts, a)
		}
	}
	stored.DeadLetter = stored.DeadLetter || mine.DeadLetter
	return stored
}

func (q *Queue) deleteAttempts(ctx context.Context, id string) error {
	if err := q.attempts.Purge(ctx, attemptKey(id)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete attempts of %s: %w", id, err)
	}
	return nil
}
