package queue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kiln-run/kiln/internal/jsonw"
	"github.com/kiln-run/kiln/kilntype"
)

// Event is something that happened in a tenant's world. Publishing it makes
// it durable; the queue then delivers it to every script its Router names.
type Event struct {
	// ID identifies the event within its tenant: at most 128 letters,
	// digits, '_', '-', '.' or ':'. Publish makes one (a UUIDv7) when
	// empty; a caller that sets it gets the tenant's duplicate publishes
	// within the dedupe window dropped. Another tenant's event with the
	// same ID is another event.
	ID string `json:"id"`
	// Tenant owns the event: letters, digits, '_' and '-', at most 128.
	Tenant string `json:"tenant"`
	// Type is `module.entity.action`-style: 1 to 8 dot-separated segments of
	// lowercase letters, digits, '_' and '-'.
	Type string `json:"type"`
	// Payload is any JSON value, at most Config.MaxPayload bytes. Empty
	// means null.
	Payload json.RawMessage `json:"payload"`
	// PublishedAt is set by Publish when zero.
	PublishedAt time.Time `json:"publishedAt"`
}

// Target is one script an event goes to, with its own retry policy.
type Target struct {
	// ID names the script; it becomes part of the delivery id. At most 128
	// letters, digits, '_', '-', '.' or ':'.
	ID string
	// Retry is the target's policy; the zero value means Config.Retry.
	Retry Retry
}

// Delivery is one (event, target) pair handed to the Handler.
type Delivery struct {
	// ID is "<event id>:<target id>", stable across redeliveries and
	// retries, unique within the event's tenant: handlers use it to make
	// their effects idempotent. A replayed delivery gets a new ID (the
	// same followed by ":r<unique>").
	ID string
	// Key is ID made unique across tenants, "<tenant>:<ID>" (tenant IDs
	// hold no ':'): tenants choose their event IDs, so two tenants' IDs
	// can be equal. The queue drops duplicate delivery messages and keeps
	// the record of failed attempts under Key, and a handler that keeps
	// one table for every tenant makes its effects idempotent on Key, not
	// ID. A delivery message stored by a Kiln from before keys were
	// scoped by tenant keeps its old key: Key == ID.
	Key string
	// Event is what happened.
	Event Event
	// Target is the script id the delivery is for.
	Target string
	// Attempt counts the attempts of this delivery, from 1. An attempt that
	// was interrupted (process killed, AckWait expired) runs again with the
	// same number.
	Attempt int
	// MaxAttempts is 1 + Retry.Retries: Attempt == MaxAttempts is the last.
	MaxAttempts int
	// Retry is the policy in force.
	Retry Retry
	// MayHaveRun is false only when this is certainly the first time the
	// delivery reaches a handler; when true, an earlier run (interrupted
	// before its ack, or a failed attempt) may have happened, and an
	// idempotent handler should check its own records.
	MayHaveRun bool
}

// AttemptError records one failed attempt: its code, message and, when a
// script ran, the execution that failed.
type AttemptError struct {
	Attempt     int           `json:"attempt"`
	Code        kilntype.Code `json:"code"`
	Message     string        `json:"message"`
	ExecutionID string        `json:"executionId,omitempty"`
	At          time.Time     `json:"at"`
}

// Failure is what a Handler returns for a failed attempt, so that the
// dead-letter record keeps its code and execution as values. Any other
// error is recorded with the code of the *kilntype.Error it wraps, else
// INTERNAL, and its text as the message.
type Failure struct {
	Code        kilntype.Code
	Message     string
	ExecutionID string
}

func (f *Failure) Error() string { return string(f.Code) + ": " + f.Message }

// attemptError records err as attempt n's failure at at.
func attemptError(n int, err error, at time.Time) AttemptError {
	a := AttemptError{Attempt: n, At: at}
	var f *Failure
	var ke *kilntype.Error
	switch {
	case errors.As(err, &f):
		a.Code, a.Message, a.ExecutionID = f.Code, f.Message, f.ExecutionID
	case errors.As(err, &ke):
		a.Code, a.Message = ke.Code, ke.Message
	default:
		a.Code, a.Message = kilntype.EInternal, err.Error()
	}
	return a
}

// tenantKey makes id, unique within tenant, unique across tenants: the
// Nats-Msg-Id of an event or delivery message (the stream's duplicate
// detection is shared by every tenant) and the key of a delivery's failed
// attempts. Tenant IDs are [A-Za-z0-9_-] (validToken), so the first ':'
// ends the tenant and no two (tenant, id) pairs give one key. At most
// 128+1+281 bytes of header-safe characters (ids: validID; a replay's id
// adds a target and a suffix): NATS bounds a message ID only by the
// header's size, and a KV key (attemptKey: base64, under 550 bytes) by
// the server's 4 KiB control line, which holds the key's subject.
func tenantKey(tenant, id string) string { return tenant + ":" + id }

// appendEnvelope writes a delivery as stored in the DELIVERIES stream:
// {"id","target","retry","event"}, where event is the raw bytes of the
// stored event, so fanning out copies it without encoding.
func appendEnvelope(buf []byte, id, target string, retry Retry, event []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = jsonw.String(buf, id)
	buf = append(buf, `,"target":`...)
	buf = jsonw.String(buf, target)
	buf = append(buf, `,"retry":{"retries":`...)
	buf = strconv.AppendInt(buf, int64(retry.Retries), 10)
	if len(retry.Backoff) > 0 {
		buf = append(buf, `,"backoff":[`...)
		for i, d := range retry.Backoff {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, int64(d), 10)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `},"event":`...)
	buf = append(buf, event...)
	return append(buf, '}')
}

// decodedEnvelope reads an envelope in one pass.
type decodedEnvelope struct {
	ID     string `json:"id"`
	Target string `json:"target"`
	Retry  Retry  `json:"retry"`
	Event  Event  `json:"event"`
}

func decodeDelivery(data []byte) (Delivery, error) {
	var env decodedEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Delivery{}, fmt.Errorf("decode delivery: %w", err)
	}
	if env.ID == "" {
		return Delivery{}, fmt.Errorf("decode delivery: no id")
	}
	return Delivery{ID: env.ID, Event: env.Event, Target: env.Target, Retry: env.Retry, MaxAttempts: env.Retry.maxAttempts()}, nil
}

// appendEvent encodes e as json.Marshal would, without reflection: Publish
// runs it for every event. The payload must already be valid JSON.
func appendEvent(buf []byte, e *Event) []byte {
	buf = append(buf, `{"id":`...)
	buf = jsonw.String(buf, e.ID)
	buf = append(buf, `,"tenant":`...)
	buf = jsonw.String(buf, e.Tenant)
	buf = append(buf, `,"type":`...)
	buf = jsonw.String(buf, e.Type)
	buf = append(buf, `,"payload":`...)
	buf = append(buf, e.Payload...)
	buf = append(buf, `,"publishedAt":"`...)
	buf = e.PublishedAt.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, `"}`...)
}

// decodeEvent reads an event as appendEvent wrote it. The fast path takes
// the layout appendEvent produces, with ids and names that need no
// escaping, without reflection: workers decode every event they route.
// Anything else (escaped strings, other key orders) goes through
// encoding/json. The payload aliases data.
func decodeEvent(data []byte) (Event, error) {
	if e, ok := decodeEventFast(data); ok {
		return e, nil
	}
	var e Event
	err := json.Unmarshal(data, &e)
	if len(e.Payload) == 0 {
		e.Payload = json.RawMessage("null") // as Publish stores an empty payload
	}
	return e, err
}

func decodeEventFast(data []byte) (e Event, ok bool) {
	rest, ok := cutPrefix(data, `{"id":`)
	if !ok {
		return e, false
	}
	if e.ID, rest, ok = cutPlainString(rest); !ok {
		return e, false
	}
	if rest, ok = cutPrefix(rest, `,"tenant":`); !ok {
		return e, false
	}
	if e.Tenant, rest, ok = cutPlainString(rest); !ok {
		return e, false
	}
	if rest, ok = cutPrefix(rest, `,"type":`); !ok {
		return e, false
	}
	if e.Type, rest, ok = cutPlainString(rest); !ok {
		return e, false
	}
	if rest, ok = cutPrefix(rest, `,"payload":`); !ok {
		return e, false
	}
	// The payload runs up to the last `,"publishedAt":"`: the payload may
	// hold that text inside a string, the tail after it cannot.
	const tail = `,"publishedAt":"`
	i := bytes.LastIndex(rest, []byte(tail))
	if i < 0 || !bytes.HasSuffix(rest, []byte(`"}`)) || i+len(tail) > len(rest)-2 {
		return e, false
	}
	payload := rest[:i]
	if !json.Valid(payload) {
		return e, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[i+len(tail):len(rest)-2]))
	if err != nil {
		return e, false
	}
	e.Payload, e.PublishedAt = json.RawMessage(payload), t
	return e, true
}

func cutPrefix(b []byte, prefix string) ([]byte, bool) {
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		return b, false
	}
	return b[len(prefix):], true
}

// cutPlainString reads a JSON string that holds no escape and no byte
// outside printable ASCII, and returns it and what follows.
func cutPlainString(b []byte) (string, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", b, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return string(b[1:i]), b[i+1:], true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return "", b, false
		}
	}
	return "", b, false
}

// validateEvent checks what Publish accepts; errors are *kilntype.Error.
func validateEvent(e *Event, maxPayload int) error {
	if !validToken(e.Tenant, 128) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "event tenant %q must be 1-128 letters, digits, '_' or '-'", e.Tenant)
	}
	if !ValidType(e.Type) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "event type %q must be 1 to 8 dot-separated segments of lowercase letters, digits, '_' or '-' (like \"billing.invoice.paid\")", e.Type)
	}
	if len(e.Payload) > maxPayload {
		return kilntype.Errorf(kilntype.EValueTooLarge, "event payload is %d bytes; the limit is %d", len(e.Payload), maxPayload)
	}
	if len(e.Payload) == 0 {
		e.Payload = json.RawMessage("null")
	} else if !json.Valid(e.Payload) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "event payload is not valid JSON")
	}
	if e.ID != "" && !validID(e.ID) {
		return kilntype.Errorf(kilntype.EInvalidArgument, "event id %q must be 1-128 letters, digits, '_', '-', '.' or ':'", e.ID)
	}
	return nil
}

// validID reports whether s can be an event or target id: it travels in a
// Nats-Msg-Id header and in KV keys, so no spaces or control characters.
func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// ValidType reports whether t is a valid event type: 1 to 8 dot-separated
// segments of [a-z0-9_-], no wildcards, no empty segment.
func ValidType(t string) bool {
	if t == "" || len(t) > 255 {
		return false
	}
	segments, segmentLen := 1, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '.':
			if segmentLen == 0 {
				return false
			}
			segments++
			segmentLen = 0
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			segmentLen++
		default:
			return false
		}
	}
	return segmentLen > 0 && segments <= 8
}

// validToken reports whether s is 1..maxLen of [A-Za-z0-9_-]: safe as a
// subject token and inside stream and consumer names.
func validToken(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
