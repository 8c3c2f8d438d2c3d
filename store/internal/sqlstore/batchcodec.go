package sqlstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/kiln-run/kiln/kilntype"
)

// The records column of execution_batches holds a batch's execution
// records in a compact binary form:
//
//	batch  = format (1 byte) | s2-compressed body
//	body   = uvarint(record count) | record*
//	record = str(id) | varint(created) | str(status) | str(trigger)
//	         | varint(version) | varint(attempt) | time?(started) | time?(finished)
//	         | float64(duration ms) | varint(host calls) | varint(memory bytes)
//	         | byte(logs truncated) | bytes?(error) | bytes?(input) | bytes?(output) | bytes?(logs)
//
// str is uvarint(length) and the bytes; bytes? is uvarint(length+1) and
// the bytes, 0 for nil; times are microseconds since the Unix epoch
// (varint), time? is a 0 or 1 byte and then the time. Error and logs are
// JSON. The header fields come first so that a lookup or a list can pick
// records without decoding the large input, output and logs.
//
// Records of one script compress well (an HTTP trigger's input repeats the
// same headers), and s2 costs well under a microsecond per record; fewer
// bytes means fewer WAL pages per commit, which was a fifth of a record's
// cost.
const batchFormat = 1

// maxBatchRecords bounds the record count a decoder accepts, so that a
// corrupt count cannot make it allocate without end.
const maxBatchRecords = 1 << 20

// appendRecord is a checked record on its way into a batch, with its error
// and logs already encoded as JSON.
type appendRecord struct {
	e             *kilntype.Execution
	errJSON, logs []byte
}

// encodeBatch returns the records column value holding recs. scratch is
// space for the uncompressed body, returned (grown) for the next batch.
func encodeBatch(recs []appendRecord, scratch []byte) (value, body []byte) {
	body = binary.AppendUvarint(scratch[:0], uint64(len(recs)))
	for _, r := range recs {
		e := r.e
		body = appendStr(body, e.ID)
		body = binary.AppendVarint(body, e.CreatedAt.UnixMicro())
		body = appendStr(body, string(e.Status))
		body = appendStr(body, string(e.Trigger))
		body = binary.AppendVarint(body, int64(e.Version))
		body = binary.AppendVarint(body, int64(max(e.Attempt, 1)))
		body = appendOptTime(body, e.StartedAt)
		body = appendOptTime(body, e.FinishedAt)
		body = binary.LittleEndian.AppendUint64(body, math.Float64bits(e.DurationMs))
		body = binary.AppendVarint(body, int64(e.HostCalls))
		body = binary.AppendVarint(body, e.MemoryBytes)
		body = append(body, boolByte(e.LogsTruncated))
		body = appendBytes(body, r.errJSON)
		body = appendBytes(body, nilIfEmpty(e.Input))
		body = appendBytes(body, nilIfEmpty(e.Output))
		body = appendBytes(body, r.logs)
	}
	out := make([]byte, 1, 1+s2.MaxEncodedLen(len(body)))
	out[0] = batchFormat
	return append(out, s2.Encode(out[1:cap(out)], body)...), body
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendBytes writes v with its length plus one, so that nil (0) and
// empty (1) stay apart.
func appendBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, 0)
	}
	return append(binary.AppendUvarint(b, uint64(len(v))+1), v...)
}

func appendOptTime(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), t.UnixMicro())
}

// nilIfEmpty stores empty JSON as none, as the executions table does.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// batchRecord is one decoded record: the header fields in exec, and the
// raw error, input, output and logs, which decode only when asked for.
type batchRecord struct {
	exec                         kilntype.Execution
	errJSON, input, output, logs []byte
}

// errCorruptBatch reports a records value this code cannot read.
var errCorruptBatch = errors.New("execution batch is corrupt")

// decodeBatch decodes a records column value and calls fn with each record
// in turn until fn returns false. The record's byte slices alias the
// decoded body; fn must copy what it keeps.
func decodeBatch(data []byte, fn func(r *batchRecord) bool) error {
	if len(data) < 1 || data[0] != batchFormat {
		return fmt.Errorf("%w: unknown format", errCorruptBatch)
	}
	n, err := s2.DecodedLen(data[1:])
	if err != nil {
		return fmt.Errorf("%w: %w", errCorruptBatch, err)
	}
	if n > 256<<20 {
		return fmt.Errorf("%w: %d bytes decoded", errCorruptBatch, n)
	}
	body, err := s2.Decode(nil, data[1:])
	if err != nil {
		return fmt.Errorf("%w: %w", errCorruptBatch, err)
	}
	d := decoder{b: body}
	count := d.uvarint()
	if count > maxBatchRecords {
		return fmt.Errorf("%w: %d records", errCorruptBatch, count)
	}
	var r batchRecord
	for range count {
		r = batchRecord{}
		e := &r.exec
		e.ID = d.str()
		e.CreatedAt = time.UnixMicro(d.varint()).UTC()
		e.Status = kilntype.ExecutionStatus(d.str())
		e.Trigger = kilntype.Trigger(d.str())
		e.Version = int(d.varint())
		e.Attempt = int(d.varint())
		e.StartedAt = d.optTime()
		e.FinishedAt = d.optTime()
		e.DurationMs = math.Float64frombits(d.uint64())
		e.HostCalls = int(d.varint())
		e.MemoryBytes = d.varint()
		e.LogsTruncated = d.byte() == 1
		r.errJSON = d.bytes()
		r.input = d.bytes()
		r.output = d.bytes()
		r.logs = d.bytes()
		if d.err != nil {
			return d.err
		}
		if !fn(&r) {
			return nil
		}
	}
	if d.err == nil && len(d.b) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", errCorruptBatch, len(d.b))
	}
	return d.err
}

// full returns the record with its error, and with input, output and logs
// when withBody: a copy that no longer aliases the decoded body.
func (r *batchRecord) full(withBody bool) (kilntype.Execution, error) {
	e := r.exec
	if r.errJSON != nil {
		e.Error = new(kilntype.ExecutionError)
		if err := json.Unmarshal(r.errJSON, e.Error); err != nil {
			return e, fmt.Errorf("decode error of execution %s: %w", e.ID, err)
		}
	}
	if !withBody {
		return e, nil
	}
	if r.input != nil {
		e.Input = append(json.RawMessage(nil), r.input...)
	}
	if r.output != nil {
		e.Output = append(json.RawMessage(nil), r.output...)
	}
	if r.logs != nil {
		if err := json.Unmarshal(r.logs, &e.Logs); err != nil {
			return e, fmt.Errorf("decode logs of execution %s: %w", e.ID, err)
		}
	}
	return e, nil
}

// decoder reads the body; the first error sticks and later reads return
// zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", errCorruptBatch, what)
	}
	d.b = nil
}

func (d *decoder) uvarint() uint64 { return readVarint(d, binary.Uvarint) }

func (d *decoder) varint() int64 { return readVarint(d, binary.Varint) }

// readVarint reads one number with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	v, n := read(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("number")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("flag")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail("field")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.take(d.uvarint())) }

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	return d.take(n - 1)
}

func (d *decoder) optTime() *time.Time {
	if d.byte() == 0 {
		return nil
	}
	t := time.UnixMicro(d.varint()).UTC()
	return &t
}
