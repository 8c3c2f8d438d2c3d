package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/kiln-run/kiln/internal/goja"
)

// Level is a log line's severity.
type Level string

// Log levels, from console.debug to console.error.
const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
)

// LogEntry is one line of an invocation's log.
type LogEntry struct {
	Time    time.Time `json:"time"`
	Level   Level     `json:"level"`
	Message string    `json:"message"`
	// Fields are structured data passed to a log call, if any.
	Fields map[string]any `json:"fields,omitempty"`
	// Source is "console" for script output and "kiln" for the engine's own
	// warnings.
	Source string `json:"source"`
}

// log appends an entry, honouring the per-invocation caps.
func (inv *invocation) log(e LogEntry) {
	cfg := inv.vm.engine.cfg
	if e.Time.IsZero() {
		e.Time = cfg.Clock.Now()
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if len(inv.logs) >= cfg.MaxLogEntries || inv.logBytes+len(e.Message) > cfg.MaxLogBytes {
		inv.truncated = true
		return
	}
	inv.logBytes += len(e.Message)
	inv.logs = append(inv.logs, e)
}

func (vm *VM) installConsole() {
	rt := vm.rt
	console := rt.NewObject()
	for name, level := range map[string]Level{
		"log": LevelInfo, "info": LevelInfo, "debug": LevelDebug, "trace": LevelDebug,
		"warn": LevelWarn, "error": LevelError,
	} {
		_ = console.Set(name, func(call goja.FunctionCall) goja.Value {
			if vm.inv != nil {
				if msg, ok := vm.format(call.Arguments); ok {
					vm.inv.log(LogEntry{Level: level, Message: msg, Source: "console"})
				} else {
					vm.inv.dropLog()
				}
			}
			return goja.Undefined()
		})
	}
	_ = rt.Set("console", console)
}

// format renders console arguments the way people expect from Node: strings
// as they are, everything else as compact JSON where possible. It stops,
// and reports false, once the line is longer than the log's byte cap,
// which would drop it: arguments of a gigabyte together are not joined.
func (vm *VM) format(args []goja.Value) (string, bool) {
	limit := vm.engine.cfg.MaxLogBytes
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s, ok := a.(goja.String); ok && b.Len()+s.Length() > limit {
			return "", false
		}
		b.WriteString(vm.inspect(a))
		if b.Len() > limit {
			return "", false
		}
	}
	return b.String(), true
}

// dropLog records that a log line was dropped for its size.
func (inv *invocation) dropLog() {
	inv.mu.Lock()
	inv.truncated = true
	inv.mu.Unlock()
}

func (vm *VM) inspect(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if isString(v) {
		return v.String()
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		return safeString(v)
	}
	if _, isFn := goja.AssertFunction(v); isFn {
		return "[Function " + safeString(obj.Get("name")) + "]"
	}
	if obj.ClassName() == "Error" {
		if stack := obj.Get("stack"); stack != nil && !goja.IsUndefined(stack) {
			return cleanStack(stack.String())
		}
		return safeString(v)
	}
	if shape := vm.measureJSON(v); shape.depth > maxJSONNesting || shape.values > 1<<16 || shape.bytes > int64(vm.engine.cfg.MaxLogBytes) {
		return "[" + obj.ClassName() + " too large to log]"
	}
	if s, err := vm.jsonCall(vm.jsonObj, v); err == nil && !goja.IsUndefined(s) {
		return s.String()
	}
	return safeString(v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
