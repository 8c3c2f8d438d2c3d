package server

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/pool"
)

// slowHTTP waits ms milliseconds (on a timer, not the CPU) and answers.
func slowHTTP(ms int) string {
	return fmt.Sprintf(`export default async () => { await new Promise((r) => setTimeout(r, %d)); return { ok: true }; }`, ms)
}

// poolState reads GET /api/pool.
func (h *harness) poolState() (state struct {
	Tenants map[string]pool.TenantStats
	Config  pool.Config
}) {
	h.t.Helper()
	h.do("GET", "/api/pool", testOperatorKey, nil).json(h.t, &state)
	return state
}

// flood sends n concurrent GETs to path and returns their statuses.
func (h *harness) flood(n int, path string) []int {
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(h.base + path)
			if err != nil {
				h.t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	return statuses
}

// peakRunning samples a tenant's running executions while fn runs.
func (h *harness) peakRunning(tenantID string, fn func()) int {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	peak := 0
	for {
		select {
		case <-done:
			return peak
		case <-time.After(2 * time.Millisecond):
			peak = max(peak, h.poolState().Tenants[tenantID].Running)
		}
	}
}

// The operator sets a tenant's share of the pool through the API; the pool
// enforces it, and a script's own maxConcurrent too.
func TestTenantPoolSettings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		_, dev, _ := h.tenant("acme")
		cfg := h.poolState().Config
		for _, bad := range []map[string]any{{"maxConcurrent": -1}, {"maxConcurrent": cfg.MaxConcurrent + 1}, {"maxVMs": cfg.MaxVMs + 1}} {
			h.expect(h.do("PUT", "/api/tenants/acme", testOperatorKey, map[string]any{"settings": map[string]any{"pool": bad}}), 400, "INVALID_ARGUMENT")
		}
		r := h.do("PUT", "/api/tenants/acme", testOperatorKey, map[string]any{"settings": map[string]any{"pool": map[string]any{"maxConcurrent": 1, "maxVMs": 2}}})
		h.expect(r, 200, "")
		var tenant struct {
			ID       string
			Settings struct {
				Pool struct{ MaxConcurrent, MaxVMs int }
			}
		}
		r.json(t, &tenant)
		if tenant.Settings.Pool.MaxConcurrent != 1 || tenant.Settings.Pool.MaxVMs != 2 {
			t.Fatalf("settings not kept: %s", r.Body)
		}
		h.script(dev, map[string]any{"name": "slow", "type": "http", "status": "active", "source": slowHTTP(20),
			"trigger": map[string]any{"http": map[string]any{"path": "/slow"}}})
		var statuses []int
		if peak := h.peakRunning(tenant.ID, func() { statuses = h.flood(8, "/run/acme/slow") }); peak != 1 {
			t.Errorf("tenant capped at 1 ran %d at once", peak)
		}
		if slices.ContainsFunc(statuses, func(s int) bool { return s != 200 }) {
			t.Errorf("statuses %v", statuses)
		}

		// Raised again, the tenant runs more at once, but a script asking
		// for maxConcurrent 2 never runs more than 2.
		h.expect(h.do("PUT", "/api/tenants/acme", testOperatorKey, map[string]any{"settings": map[string]any{"pool": map[string]any{"maxConcurrent": 6}}}), 200, "")
		h.script(dev, map[string]any{"name": "capped", "type": "http", "status": "active", "source": slowHTTP(20),
			"limits": map[string]any{"maxConcurrent": 2}, "trigger": map[string]any{"http": map[string]any{"path": "/capped"}}})
		if peak := h.peakRunning(tenant.ID, func() { statuses = h.flood(10, "/run/acme/capped") }); peak != 2 {
			t.Errorf("a script with maxConcurrent 2 ran %d at once", peak)
		}
		if peak := h.peakRunning(tenant.ID, func() { statuses = h.flood(12, "/run/acme/slow") }); peak < 3 || peak > 6 {
			t.Errorf("tenant raised to 6 ran %d at once", peak)
		}
	})
}
