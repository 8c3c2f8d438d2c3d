package kilntype

// Trigger is what started an execution. It is the script's ctx.trigger and
// the execution record's trigger.
type Trigger string

// Triggers.
const (
	TriggerHTTP     Trigger = "http"     // a request to /run/{tenant}/{path}
	TriggerEvent    Trigger = "event"    // a delivery of a published event
	TriggerCron     Trigger = "cron"     // a scheduled script's schedule
	TriggerManual   Trigger = "manual"   // someone ran it (API, UI, CLI)
	TriggerEmbedded Trigger = "embedded" // a Go host that embeds Kiln ran it
	TriggerTask     Trigger = "task"     // a durable task runs it (docs/tasks.md)
)

// Triggers lists every trigger, in a stable order (for validation messages
// and docs).
var Triggers = []Trigger{TriggerHTTP, TriggerEvent, TriggerCron, TriggerManual, TriggerEmbedded, TriggerTask}

// Valid reports whether t is a known trigger.
func (t Trigger) Valid() bool {
	for _, v := range Triggers {
		if t == v {
			return true
		}
	}
	return false
}

// ScriptType is the script type a trigger starts on its own: an HTTP
// request runs an http script, an event an event script, a schedule a
// scheduled script. Manual and embedded runs start a script of any type;
// for them ok is false.
func (t Trigger) ScriptType() (typ ScriptType, ok bool) {
	switch t {
	case TriggerHTTP:
		return TypeHTTP, true
	case TriggerEvent:
		return TypeEvent, true
	case TriggerCron:
		return TypeScheduled, true
	}
	return "", false
}

// MayRun is the one rule for which scripts a trigger may run. A script's
// own trigger (HTTP, event, cron) runs it only while it is active and of
// the trigger's type; a person or a host (manual, embedded) may also run a
// draft or a paused script — to try it before it goes live — but never a
// disabled or an archived one. A task (started by a person, a host or
// another task) runs only a task script, in the same states as manual. A refusal is CONFLICT with a message that
// says why; docs/state_machine.md draws the same table.
func MayRun(s *Script, t Trigger) error {
	if !t.Valid() {
		return Errorf(EInvalidArgument, "trigger %q must be one of http, event, cron, manual, embedded, task", t)
	}
	if t == TriggerTask && s.Type != TypeTask {
		return Errorf(EConflict, "script %s is a %s script; only task scripts run as durable tasks", s.Name, s.Type)
	}
	if typ, own := t.ScriptType(); own {
		if s.Type != typ {
			return Errorf(EConflict, "script %s is a %s script; a %s trigger runs only %s scripts", s.Name, s.Type, t, typ)
		}
		if s.Status != StatusActive {
			return Errorf(EConflict, "script %s is %s; its %s trigger runs it only while it is active", s.Name, s.Status, t)
		}
		return nil
	}
	if s.Status == StatusArchived || s.Status == StatusDisabled {
		return Errorf(EConflict, "script %s is %s; it cannot run until its status changes", s.Name, s.Status)
	}
	return nil
}
