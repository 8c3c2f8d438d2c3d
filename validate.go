package kiln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/store"
)

var (
	validTypes    = []kilntype.ScriptType{kilntype.TypeHTTP, kilntype.TypeEvent, kilntype.TypeScheduled, kilntype.TypeManual, kilntype.TypeEmbedded, kilntype.TypeTask}
	validStatuses = []kilntype.ScriptStatus{kilntype.StatusDraft, kilntype.StatusActive, kilntype.StatusPaused, kilntype.StatusDisabled, kilntype.StatusArchived}
	pathSegment   = regexp.MustCompile(`^([A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\})$`)
)

func invalid(format string, args ...any) error {
	return kilntype.Errorf(kilntype.EInvalidArgument, format, args...)
}

// validateTrigger checks that t has what typ needs and normalizes it.
func validateTrigger(typ kilntype.ScriptType, t *kilntype.TriggerConfig) error {
	if typ != kilntype.TypeEvent {
		t.Retry = nil // only event deliveries are retried
	}
	switch typ {
	case kilntype.TypeHTTP:
		if t.HTTP == nil {
			return invalid("an http script needs trigger.http: {\"path\": \"/orders/{id}\", \"methods\": [\"GET\"]}")
		}
		path := t.HTTP.Path
		if !strings.HasPrefix(path, "/") || len(path) > 500 {
			return invalid("trigger.http.path %q must start with / (for example /orders/{id})", path)
		}
		seen := map[string]bool{}
		for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
			if seg == "" && path != "/" {
				return invalid("trigger.http.path %q has an empty segment", path)
			}
			if seg != "" && !pathSegment.MatchString(seg) {
				return invalid("trigger.http.path segment %q must be letters, digits, ._~- or a {parameter}", seg)
			}
			if strings.HasPrefix(seg, "{") {
				if seen[seg] {
					return invalid("trigger.http.path repeats parameter %s", seg)
				}
				seen[seg] = true
			}
		}
		if len(t.HTTP.Methods) == 0 {
			t.HTTP.Methods = []string{"GET"}
		}
		for i, m := range t.HTTP.Methods {
			m = strings.ToUpper(m)
			if !slices.Contains(kilntype.HTTPMethods, m) {
				return invalid("trigger.http.methods: %q is not one of %s", t.HTTP.Methods[i], strings.Join(kilntype.HTTPMethods, ", "))
			}
			t.HTTP.Methods[i] = m
		}
		slices.Sort(t.HTTP.Methods)
		t.HTTP.Methods = slices.Compact(t.HTTP.Methods)
		t.Events, t.Cron = nil, nil
	case kilntype.TypeEvent:
		if len(t.Events) == 0 {
			return invalid("an event script needs trigger.events, such as [\"order.created\", \"payment.>\"]")
		}
		for _, e := range t.Events {
			if !kilntype.ValidEventPattern(e) {
				return invalid("trigger.events: %q is not an event pattern (dot-separated lowercase words, * for one word, > at the end for the rest)", e)
			}
		}
		if err := validateRetry(t.Retry); err != nil {
			return err
		}
		t.HTTP, t.Cron = nil, nil
	case kilntype.TypeScheduled:
		if t.Cron == nil || t.Cron.Expression == "" {
			return invalid("a scheduled script needs trigger.cron: {\"expression\": \"0 3 * * *\", \"timezone\": \"UTC\"}")
		}
		spec, err := schedule.Parse(t.Cron.Expression, t.Cron.Timezone)
		if err != nil {
			var ke *kilntype.Error
			if errors.As(err, &ke) {
				return kilntype.Errorf(ke.Code, "trigger.cron: %s", ke.Message)
			}
			return err
		}
		t.Cron.Timezone = spec.Timezone()
		t.HTTP, t.Events = nil, nil
	default:
		*t = kilntype.TriggerConfig{}
	}
	return nil
}

// maxRetries and maxBackoff bound a script's retry policy.
const (
	maxRetries = 20
	maxBackoff = time.Hour
)

// validateRetry checks an event script's retry policy. Retries without
// backoffMs wait the default 2, 4, 8, 16, 32 seconds.
func validateRetry(r *kilntype.RetryPolicy) error {
	if r == nil {
		return nil
	}
	if r.Retries < 0 || r.Retries > maxRetries {
		return invalid("trigger.retry.retries must be between 0 and %d", maxRetries)
	}
	if len(r.BackoffMs) > maxRetries {
		return invalid("trigger.retry.backoffMs has %d entries; at most %d (the last one repeats)", len(r.BackoffMs), maxRetries)
	}
	for i, ms := range r.BackoffMs {
		if ms < 0 || time.Duration(ms)*time.Millisecond > maxBackoff {
			return invalid("trigger.retry.backoffMs[%d] = %d must be between 0 and %d (one hour)", i, ms, maxBackoff.Milliseconds())
		}
	}
	if len(r.BackoffMs) == 0 {
		r.BackoffMs = slices.Clone(kilntype.DefaultRetry.BackoffMs)
	}
	return nil
}

// validateLimits checks a script's limits against the server's caps.
func (c *Client) validateLimits(l kilntype.Limits) error {
	switch {
	case l.TimeoutMs < 0 || time.Duration(l.TimeoutMs)*time.Millisecond > c.cfg.MaxTimeout:
		return invalid("limits.timeoutMs must be between 1 and %d (0 means the default)", c.cfg.MaxTimeout.Milliseconds())
	case l.MemoryBytes != 0 && (l.MemoryBytes < 1<<20 || l.MemoryBytes > c.cfg.MaxMemoryBytes):
		return invalid("limits.memoryBytes must be between 1 MiB and %d (0 means the default)", c.cfg.MaxMemoryBytes)
	case l.MaxConcurrent < 0 || l.MaxConcurrent > 10000:
		return invalid("limits.maxConcurrent must be between 0 and 10000")
	case l.HostCallsPerMinute < 0:
		return invalid("limits.hostCallsPerMinute must not be negative")
	case l.OutputBytes < 0 || l.OutputBytes > 16<<20:
		return invalid("limits.outputBytes must be between 0 and 16 MiB")
	}
	return nil
}

// checkCaps refuses limits above the tenant's caps (a zero cap is no cap).
func checkCaps(l kilntype.Limits, caps kilntype.Limits) error {
	over := func(asked, limit int64) bool { return limit > 0 && asked > limit }
	switch {
	case over(l.TimeoutMs, caps.TimeoutMs):
		return invalid("limits.timeoutMs %d is above this tenant's cap of %d", l.TimeoutMs, caps.TimeoutMs)
	case over(l.MemoryBytes, caps.MemoryBytes):
		return invalid("limits.memoryBytes %d is above this tenant's cap of %d", l.MemoryBytes, caps.MemoryBytes)
	case over(int64(l.MaxConcurrent), int64(caps.MaxConcurrent)):
		return invalid("limits.maxConcurrent %d is above this tenant's cap of %d", l.MaxConcurrent, caps.MaxConcurrent)
	case over(int64(l.HostCallsPerMinute), int64(caps.HostCallsPerMinute)):
		return invalid("limits.hostCallsPerMinute %d is above this tenant's cap of %d", l.HostCallsPerMinute, caps.HostCallsPerMinute)
	case over(l.OutputBytes, caps.OutputBytes):
		return invalid("limits.outputBytes %d is above this tenant's cap of %d", l.OutputBytes, caps.OutputBytes)
	}
	return nil
}

// checkRouteFree refuses an HTTP path+method another live script of the
// tenant already serves.
func (c *Client) checkRouteFree(ctx context.Context, tenantID, scriptID string, t *kilntype.HTTPTrigger) error {
	cursor := ""
	for {
		scripts, next, err := c.store.ScriptList(ctx, store.ScriptListParams{TenantID: tenantID, Type: kilntype.TypeHTTP, Limit: 200, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, s := range scripts {
			if s.ID == scriptID || s.Status == kilntype.StatusArchived || s.Trigger.HTTP == nil {
				continue
			}
			if normalizePath(s.Trigger.HTTP.Path) != normalizePath(t.Path) {
				continue
			}
			for _, m := range t.Methods {
				if slices.Contains(s.Trigger.HTTP.Methods, m) {
					return kilntype.Errorf(kilntype.EConflict, "%s %s is already served by script %q (%s); archive it or choose another path", m, t.Path, s.Name, s.ID)
				}
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// normalizePath makes /a/{x} and /a/{y} the same route.
func normalizePath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "{}"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// compileError turns an engine build error into a 422 with the position.
func compileError(err error) error {
	var e *engine.Error
	if !errors.As(err, &e) {
		return err
	}
	code := kilntype.ESyntaxError
	if e.Code == engine.CodeSandboxViolation {
		code = kilntype.ESandboxViolation
	}
	ke := &kilntype.Error{Code: code, Message: e.Message}
	if line, col, ok := parsePosition(e.Position); ok {
		ke.Details = map[string]any{"line": line, "column": col, "position": e.Position}
	}
	return ke
}

func parsePosition(pos string) (line, col int, ok bool) {
	parts := strings.Split(pos, ":")
	if len(parts) < 3 {
		return 0, 0, false
	}
	_, err1 := fmt.Sscan(parts[len(parts)-2], &line)
	_, err2 := fmt.Sscan(parts[len(parts)-1], &col)
	return line, col, err1 == nil && err2 == nil
}

func triggerJSON(t kilntype.TriggerConfig) json.RawMessage {
	b, _ := json.Marshal(t)
	return b
}
