package sqlstore

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

func TestBatchCodecRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 2, 3, 4, 567891000, time.UTC)
	started, done := at.Add(time.Millisecond), at.Add(-time.Hour) // times before 1970 and odd orders are fine
	before1970 := time.Date(1960, 1, 1, 0, 0, 0, 1000, time.UTC)
	execs := []kilntype.Execution{
		{ID: "a", Status: kilntype.ExecCompleted, Trigger: "http", Version: 3, Attempt: 1, CreatedAt: at,
			Input: json.RawMessage(`{"q":"é"}`), Output: json.RawMessage(`""`), DurationMs: 0.04, HostCalls: -1, MemoryBytes: 1 << 40},
		{ID: "", Status: kilntype.ExecFailed, Trigger: "", Version: 0, Attempt: 7, CreatedAt: before1970, StartedAt: &started, FinishedAt: &done,
			LogsTruncated: true},
	}
	recs := []appendRecord{{e: &execs[0], logs: []byte(`[]`)}, {e: &execs[1], errJSON: []byte(`{"code":"E"}`)}}
	value, _ := encodeBatch(recs, nil)
	var got []batchRecord
	if err := decodeBatch(value, func(r *batchRecord) bool { got = append(got, *r); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("decoded %d records, want 2", len(got))
	}
	for i, r := range got {
		e, want := r.exec, execs[i]
		if e.ID != want.ID || e.Status != want.Status || e.Trigger != want.Trigger || e.Version != want.Version ||
			e.Attempt != want.Attempt || !e.CreatedAt.Equal(want.CreatedAt) || e.DurationMs != want.DurationMs ||
			e.HostCalls != want.HostCalls || e.MemoryBytes != want.MemoryBytes || e.LogsTruncated != want.LogsTruncated ||
			(e.StartedAt == nil) != (want.StartedAt == nil) || (e.FinishedAt == nil) != (want.FinishedAt == nil) {
			t.Errorf("record %d: got %+v\nwant %+v", i, e, want)
		}
		if e.StartedAt != nil && (!e.StartedAt.Equal(*want.StartedAt) || !e.FinishedAt.Equal(*want.FinishedAt)) {
			t.Errorf("record %d: times %v %v, want %v %v", i, e.StartedAt, e.FinishedAt, want.StartedAt, want.FinishedAt)
		}
	}
	if string(got[0].input) != `{"q":"é"}` || string(got[0].output) != `""` || string(got[0].logs) != `[]` || got[0].errJSON != nil {
		t.Errorf("record 0 bodies: %q %q %q %q", got[0].input, got[0].output, got[0].logs, got[0].errJSON)
	}
	if got[1].input != nil || got[1].output != nil || got[1].logs != nil || string(got[1].errJSON) != `{"code":"E"}` {
		t.Errorf("record 1 bodies: %q %q %q %q", got[1].input, got[1].output, got[1].logs, got[1].errJSON)
	}

	// fn returning false stops the walk.
	n := 0
	if err := decodeBatch(value, func(*batchRecord) bool { n++; return false }); err != nil || n != 1 {
		t.Errorf("stopped walk: %d records, %v", n, err)
	}
	for _, bad := range [][]byte{nil, {0}, {2, 0}, value[:len(value)-1], append(append([]byte{}, value...), 0)} {
		if err := decodeBatch(bad, func(*batchRecord) bool { return true }); err == nil {
			t.Errorf("decodeBatch(%x) succeeded", bad)
		}
	}
}

// FuzzDecodeBatch feeds the decoder corrupt records values: it must return
// an error or records, never panic or allocate without bound.
func FuzzDecodeBatch(f *testing.F) {
	e := kilntype.Execution{ID: "x", Status: kilntype.ExecCompleted, Trigger: "http", CreatedAt: time.Unix(1, 0), Input: json.RawMessage(`{}`)}
	value, body := encodeBatch([]appendRecord{{e: &e, logs: []byte(`[]`)}}, nil)
	f.Add(value)
	f.Add(append([]byte{batchFormat}, body...))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = decodeBatch(data, func(r *batchRecord) bool {
			_, _ = r.full(true)
			return true
		})
	})
}
