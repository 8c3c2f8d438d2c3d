package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A batch message holds several events of one tenant in one JetStream
// message, at P.t.<tenant>.batch. Publish packs concurrent publishes of a
// tenant into one (publish.go); the fetcher splits it into its events,
// which workers route and run like events of their own (dispatch.go,
// deliver.go). JetStream then stores, acks and removes one message for
// many events.
//
// The encoding is a version byte, the number of events, then each event as
// stored in an event message (appendEvent's JSON), preceded by its length:
//
//	batch   = version count event{count}
//	version = 0x01
//	count   = uvarint, 1 to maxBatchDecode
//	event   = uvarint length, then that many bytes of appendEvent output
//
// A node that does not know a version terminates the message as
// undecodable: nodes of one installation must run the same version.
const batchVersion = 1

// Limits of a batch message Publish makes. A batch stays well under NATS's
// max_payload (1 MiB by default); an event that would make it larger goes
// in the next message, alone if need be.
const (
	maxBatchEvents = 128
	maxBatchBytes  = 256 << 10
)

// maxBatchDecode bounds the count a reader accepts: more than any writer
// makes, so that a later writer may raise maxBatchEvents without breaking
// readers, and small enough that a corrupt count cannot make a reader
// allocate much.
const maxBatchDecode = 4096

// appendBatch encodes events, each already encoded by appendEvent.
func appendBatch(buf []byte, events [][]byte) []byte {
	buf = append(buf, batchVersion)
	buf = binary.AppendUvarint(buf, uint64(len(events)))
	for _, e := range events {
		buf = binary.AppendUvarint(buf, uint64(len(e)))
		buf = append(buf, e...)
	}
	return buf
}

// batchSize is the length of appendBatch's output for events whose
// encodings have the given total length.
func batchSize(events, eventBytes int) int {
	return 1 + 2*binary.MaxVarintLen32 + events*binary.MaxVarintLen32 + eventBytes
}

// batchEvent is one event read from a batch message: the event, and its
// bytes as stored (copied into delivery messages without encoding again).
type batchEvent struct {
	event Event
	raw   []byte
}

var errBadBatch = errors.New("decode batch")

// decodeBatch reads a batch message of tenant. Every event must decode,
// have an id and belong to tenant; anything else (an unknown version, a
// length past the end, bytes after the last event) fails the whole batch.
// The events alias data.
func decodeBatch(data []byte, tenant string) ([]batchEvent, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty message", errBadBatch)
	}
	if data[0] != batchVersion {
		return nil, fmt.Errorf("%w: unknown version %d (this node reads version %d)", errBadBatch, data[0], batchVersion)
	}
	rest := data[1:]
	count, n := binary.Uvarint(rest)
	if n <= 0 || count == 0 || count > maxBatchDecode || count > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: bad event count", errBadBatch)
	}
	rest = rest[n:]
	events := make([]batchEvent, 0, count)
	for i := range int(count) {
		size, n := binary.Uvarint(rest)
		if n <= 0 || size > uint64(len(rest)-n) {
			return nil, fmt.Errorf("%w: event %d: bad length", errBadBatch, i)
		}
		raw := rest[n : n+int(size) : n+int(size)]
		rest = rest[n+int(size):]
		e, err := decodeEvent(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: event %d: %w", errBadBatch, i, err)
		}
		if e.ID == "" || e.Tenant != tenant {
			return nil, fmt.Errorf("%w: event %d: no id, or tenant %q instead of %q", errBadBatch, i, e.Tenant, tenant)
		}
		events = append(events, batchEvent{event: e, raw: raw})
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last event", errBadBatch, len(rest))
	}
	return events, nil
}
