package kiln

import (
	"context"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
)

// hostCallLimiter enforces each script's host calls per minute
// (limits.hostCallsPerMinute, capped by the tenant's caps, default
// Config.HostCallsPerMinute) in fixed one-minute windows, per node.
type hostCallLimiter struct {
	client *Client
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*callWindow // by script ID
}

type callWindow struct {
	start time.Time
	count int
}

func newHostCallLimiter(c *Client) *hostCallLimiter {
	return &hostCallLimiter{client: c, now: time.Now, windows: map[string]*callWindow{}}
}

// guard is the engine's HostCallGuard.
func (l *hostCallLimiter) guard(ctx context.Context, meta engine.Meta, name string) error {
	if meta.ScriptID == "" {
		return nil // kiln run and module loading
	}
	limit := l.client.cfg.HostCallsPerMinute
	if s, _, err := l.client.catalog.current(ctx, meta.TenantID, meta.ScriptID); err == nil {
		caps := int64(0)
		if t, err := l.client.catalog.tenantByID(ctx, meta.TenantID); err == nil {
			caps = int64(t.Settings.Caps.HostCallsPerMinute)
		}
		limit = int(effective(int64(s.Limits.HostCallsPerMinute), caps, int64(limit)))
	}
	if limit <= 0 {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[meta.ScriptID]
	if w == nil || now.Sub(w.start) >= time.Minute {
		if len(l.windows) > 100_000 {
			l.sweep(now)
		}
		w = &callWindow{start: now}
		l.windows[meta.ScriptID] = w
	}
	if w.count >= limit {
		retry := w.start.Add(time.Minute).Sub(now).Round(time.Second)
		return engine.Errorf(kilntype.ERateLimited, "%s: the script made %d host calls this minute, its limit (limits.hostCallsPerMinute); the next call is allowed in %s", name, limit, retry)
	}
	w.count++
	return nil
}

// sweep drops finished windows. Call with mu held.
func (l *hostCallLimiter) sweep(now time.Time) {
	for id, w := range l.windows {
		if now.Sub(w.start) >= time.Minute {
			delete(l.windows, id)
		}
	}
}
