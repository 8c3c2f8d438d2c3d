package kilntype

import "testing"

// TestMayRun is the table of docs/state_machine.md: which script a trigger
// may run.
func TestMayRun(t *testing.T) {
	statuses := []ScriptStatus{StatusActive, StatusDraft, StatusPaused, StatusDisabled, StatusArchived}
	for _, trig := range Triggers {
		for _, typ := range []ScriptType{TypeHTTP, TypeEvent, TypeScheduled, TypeManual, TypeEmbedded} {
			for _, st := range statuses {
				s := &Script{Name: "s", Type: typ, Status: st}
				var want bool
				if own, ok := trig.ScriptType(); ok {
					want = st == StatusActive && typ == own
				} else {
					want = st != StatusDisabled && st != StatusArchived
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
