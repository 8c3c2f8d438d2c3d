package engine

import "encoding/json"

// Log appends an entry to the log of the invocation that made the call,
// as console.log does (Source "console": it is the script's own output),
// so that an SDK function such as iota.log.info can write into the
// execution's log. Fields count against the invocation's byte cap as their
// JSON; fields that cannot be encoded are dropped.
//
// Log reports whether the entry was kept. It is not when the HostCall did
// not come through the gate (one built by hand, as in a test), when the
// invocation has ended (an async call that outlived it), or when the log's
// caps are reached, which marks the log truncated as console.log does.
func (c HostCall) Log(level Level, message string, fields map[string]any) bool {
	if c.inv == nil {
		return false
	}
	size := len(message)
	if len(fields) > 0 {
		b, err := json.Marshal(fields)
		if err != nil {
			fields = nil
		} else {
			size += len(b)
		}
	}
	return c.inv.appendLog(LogEntry{Level: level, Message: message, Fields: fields, Source: "console"}, size)
}

// appendLog is log for host calls, which may run on any goroutine and
// after the invocation has ended: it keeps nothing once the Result has
// taken the logs.
func (inv *invocation) appendLog(e LogEntry, size int) bool {
	cfg := inv.vm.engine.cfg
	e.Time = cfg.Clock.Now()
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.finished {
		return false
	}
	if len(inv.logs) >= cfg.MaxLogEntries || inv.logBytes+size > cfg.MaxLogBytes {
		inv.truncated = true
		return false
	}
	inv.logBytes += size
	inv.logs = append(inv.logs, e)
	return true
}
