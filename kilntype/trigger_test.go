package kilntype

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestMayRun is the table of docs/state_machine.md: which script a trigger
// may run.
func TestMayRun(t *testing.T) {
	statuses := []ScriptStatus{StatusActive, StatusDraft, StatusPaused, StatusDisabled, StatusArchived}
	for _, trig := range Triggers {
		for _, typ := range []ScriptType{TypeHTTP, TypeEvent, TypeScheduled, TypeManual, TypeEmbedded, TypeTask} {
			for _, st := range statuses {
				s := &Script{Name: "s", Type: typ, Status: st}
				var want bool
				if own, ok := trig.ScriptType(); ok {
					want = st == StatusActive && typ == own
				} else {
					want = st != StatusDisabled && st != StatusArchived
					if trig == TriggerTask {
						want = want && typ == TypeTask
					}
				}
				err := MayRun(s, trig)
				if (err == nil) != want {
					t.Errorf("MayRun(%s %s script, %s) = %v, want allowed %v", st, typ, trig, err, want)
				}
				if err != nil && ErrorCode(err) != EConflict {
					t.Errorf("MayRun refusal has code %s, want CONFLICT", ErrorCode(err))
				}
			}
		}
	}
	if ErrorCode(MayRun(&Script{Status: StatusActive}, "webhook")) != EInvalidArgument {
		t.Error("an unknown trigger must be INVALID_ARGUMENT")
	}
}

// TestEventInputJSON: the hand-written event input reads back as
// encoding/json's, compact, and refuses a payload that is not JSON.
func TestEventInputJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 30, 1, 123456789, time.FixedZone("x", 3600))
	for _, payload := range []string{"null", `{"n":1}`, ` { "a" : [1, 2, {"b": "c d"}] , "s":"<tag>&\u00e9" }`, `"text"`, "12.5e3"} {
		in := EventInput{ID: "0193abc", Type: "order.created", Payload: json.RawMessage(payload), OccurredAt: at}
		got, err := in.AppendJSON(nil)
		if err != nil {
			t.Fatalf("%q: %v", payload, err)
		}
		want, _ := json.Marshal(in)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%q: %s does not parse: %v", payload, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%q: got %s, encoding/json writes %s", payload, got, want)
		}
		if c := new(bytes.Buffer); json.Compact(c, got) != nil || c.String() != string(got) {
			t.Errorf("%q: %s is not compact", payload, got)
		}
	}
	for _, bad := range []string{`{"a":`, ""} {
		if _, err := (&EventInput{Payload: json.RawMessage(bad)}).AppendJSON(nil); err == nil {
			t.Errorf("payload %q, which is not JSON, was written", bad)
		}
	}
	if got, _ := (&EventInput{OccurredAt: at}).AppendJSON(nil); !bytes.Contains(got, []byte(`"payload":null`)) {
		t.Errorf("a nil payload is written %s", got)
	}
}
