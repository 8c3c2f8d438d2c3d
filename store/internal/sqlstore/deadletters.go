package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

const deadLetterColumns = `id, tenant_id, delivery_id, event_id, event_type, payload, occurred_at, script_id, version,
	attempts, status, replay_delivery_id, created_at, updated_at`

func scanDeadLetter(row interface{ Scan(...any) error }, d *kilntype.DeadLetter) error {
	var attempts []byte
	var replay sql.NullString
	if err := row.Scan(&d.ID, &d.TenantID, &d.DeliveryID, &d.EventID, &d.EventType, textScanner{(*[]byte)(&d.Payload)},
		timeScanner{&d.OccurredAt}, &d.ScriptID, &d.Version, textScanner{&attempts}, &d.Status, &replay,
		timeScanner{&d.CreatedAt}, timeScanner{&d.UpdatedAt}); err != nil {
		return err
	}
	d.ReplayDeliveryID = replay.String
	if err := json.Unmarshal(attempts, &d.Attempts); err != nil {
		return fmt.Errorf("decode attempts of dead letter %s: %w", d.ID, err)
	}
	return nil
}

// DeadLetterPut stores a dead letter in status dead. Putting the same
// delivery again is a no-op that returns the stored one, so a sink called
// twice for one delivery keeps one record.
func (s *Store) DeadLetterPut(ctx context.Context, d kilntype.DeadLetter) (*kilntype.DeadLetter, error) {
	switch {
	case d.ID == "" || d.TenantID == "" || d.DeliveryID == "" || d.ScriptID == "" || d.EventID == "":
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "dead letter: id, tenant, delivery, event and script are required")
	case len(d.Payload) > 0 && !json.Valid(d.Payload):
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "dead letter %s: payload is not valid JSON", d.ID)
	}
	attempts, err := json.Marshal(d.Attempts)
	if err != nil {
		return nil, s.wrap(err, "encode attempts of dead letter %s", d.ID)
	}
	now := s.timestamp()
	_, err = s.write.ExecContext(ctx, `INSERT INTO dead_letters (`+deadLetterColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12)
		ON CONFLICT (tenant_id, delivery_id) DO NOTHING`,
		d.ID, d.TenantID, d.DeliveryID, d.EventID, d.EventType, s.jsonArg(d.Payload), s.timeArg(d.OccurredAt),
		d.ScriptID, d.Version, s.jsonArg(attempts), string(kilntype.DeadLetterDead), s.timeArg(now))
	if err != nil {
		return nil, s.wrap(err, "put dead letter %s", d.ID)
	}
	var out kilntype.DeadLetter
	err = scanDeadLetter(s.write.QueryRowContext(ctx,
		`SELECT `+deadLetterColumns+` FROM dead_letters WHERE tenant_id = $1 AND delivery_id = $2`, d.TenantID, d.DeliveryID), &out)
	return &out, s.wrap(err, "read back dead letter %s", d.ID)
}

// DeadLetterGet returns a tenant's dead letter, or NOT_FOUND.
func (s *Store) DeadLetterGet(ctx context.Context, tenantID, id string) (*kilntype.DeadLetter, error) {
	var d kilntype.DeadLetter
	err := scanDeadLetter(s.read.QueryRowContext(ctx,
		`SELECT `+deadLetterColumns+` FROM dead_letters WHERE tenant_id = $1 AND id = $2`, tenantID, id), &d)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kilntype.Errorf(kilntype.ENotFound, "dead letter %s not found", id)
	}
	if err != nil {
		return nil, s.wrap(err, "get dead letter %s", id)
	}
	return &d, nil
}

// DeadLetterList returns a page of a tenant's dead letters, newest first.
func (s *Store) DeadLetterList(ctx context.Context, p store.DeadLetterListParams) ([]kilntype.DeadLetter, string, error) {
	limit, after, err := pageStart(p.Limit, p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var q query
	q.add(`SELECT `+deadLetterColumns+` FROM dead_letters WHERE tenant_id = `, q.arg(p.TenantID))
	if p.ScriptID != "" {
		q.add(` AND script_id = `, q.arg(p.ScriptID))
	}
	if p.Status != "" {
		q.add(` AND status = `, q.arg(string(p.Status)))
	}
	return listPage(ctx, s, &q, after, limit, "dead letters",
		scanDeadLetter,
		func(x *kilntype.DeadLetter) (time.Time, string) { return x.CreatedAt, x.ID })
}

// DeadLetterResolve moves a dead letter out of status dead, to replayed
// (with the new delivery's ID) or discarded. NOT_FOUND if there is none;
// CONFLICT if it was already replayed or discarded.
func (s *Store) DeadLetterResolve(ctx context.Context, tenantID, id string, to kilntype.DeadLetterStatus, replayDeliveryID string) (*kilntype.DeadLetter, error) {
	if to != kilntype.DeadLetterReplayed && to != kilntype.DeadLetterDiscarded {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "a dead letter can only become replayed or discarded, not %q", to)
	}
	var replay any
	if replayDeliveryID != "" {
		replay = replayDeliveryID
	}
	res, err := s.write.ExecContext(ctx, `UPDATE dead_letters SET status = $1, replay_delivery_id = $2, updated_at = $3
		WHERE tenant_id = $4 AND id = $5 AND status = $6`,
		string(to), replay, s.timeArg(s.timestamp()), tenantID, id, string(kilntype.DeadLetterDead))
	if err != nil {
		return nil, s.wrap(err, "resolve dead letter %s", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, s.wrap(err, "resolve dead letter %s", id)
	}
	d, err := s.DeadLetterGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, kilntype.Errorf(kilntype.EConflict, "dead letter %s was already %s", id, d.Status)
	}
	return d, nil
}
