package kiln

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// neighbourBombs are tenant A's allocation bombs, one of each kind a
// script grows memory by; each holds what it makes, so only its memory
// limit stops it.
var neighbourBombs = map[string]string{
	"doubling": `export default () => { let s = 'x'; for (;;) s += s }`,
	"objects":  `export default () => { const a = []; for (;;) a.push({ x: 1 }) }`,
	"strings":  `export default () => { const a = []; for (let i = 0; ; i++) a.push('y'.repeat(1 << 20) + i) }`,
	"typed":    `export default () => { const a = []; for (;;) a.push(new Uint8Array(1 << 20)) }`,
	"map":      `export default () => { const m = new Map(); for (let i = 0; ; i++) m.set(i, { i }) }`,
}

// TestMemoryNeighbour: memory is charged to the run that holds it. Tenant
// A runs allocation bombs, two at a time, while tenant B runs small
// requests (a 10 ms wait and an answer) eight at a time: every bomb ends
// with MEMORY_LIMIT, well before its timeout, and not one of B's requests
// fails.
func TestMemoryNeighbour(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates hundreds of MiB")
	}
	ctx := context.Background()
	c := newTestClient(t, func(cfg *Config) { cfg.MemoryBytes = 64 << 20 })
	tenantA, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bombs", Name: "Bombs"})
	if err != nil {
		t.Fatal(err)
	}
	tenantB, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "quiet", Name: "Quiet"})
	if err != nil {
		t.Fatal(err)
	}
	create := func(tenant, name, src string, limits kilntype.Limits) {
		t.Helper()
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant, Name: name, Type: kilntype.TypeManual,
			Language: "javascript", Source: src, Limits: limits}); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	for kind, src := range neighbourBombs {
		create(tenantA.ID, kind, src, kilntype.Limits{TimeoutMs: 20_000})
		kinds = append(kinds, kind)
	}
	create(tenantB.ID, "small", `export default async (x) => { await new Promise(r => setTimeout(r, 10)); return { echo: x } }`, kilntype.Limits{})

	bombs := 20
	if raceEnabled {
		bombs = 6
	}
	var (
		wg       sync.WaitGroup
		done     atomic.Bool
		mu       sync.Mutex
		bombEnds = map[string]int{}
		failures []string
		served   atomic.Int64
	)
	// Tenant B: eight clients until the bombs are over.
	for w := range 8 {
		wg.Go(func() {
			for i := 0; !done.Load(); i++ {
				in := json.RawMessage(fmt.Sprintf(`"%d-%d"`, w, i))
				res, err := c.Run(ctx, RunParams{TenantID: tenantB.ID, ScriptName: "small", Trigger: kilntype.TriggerManual, Input: in})
				switch {
				case err != nil:
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
				case res.Execution.Status != kilntype.ExecCompleted:
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: %+v", res.Execution.Status, res.Execution.Error))
					mu.Unlock()
				default:
					served.Add(1)
				}
			}
		})
	}
	// Tenant A: the bombs, two at a time.
	start := time.Now()
	var bombWG sync.WaitGroup
	next := make(chan string)
	for range 2 {
		bombWG.Go(func() {
			for kind := range next {
				t0 := time.Now()
				res, err := c.Run(ctx, RunParams{TenantID: tenantA.ID, ScriptName: kind, Trigger: kilntype.TriggerManual})
				end := "error: " + fmt.Sprint(err)
				if err == nil {
					end = string(res.Execution.Status)
					if res.Execution.Error != nil {
						end = string(res.Execution.Error.Code)
					}
				}
				if end != string(kilntype.EMemoryLimit) {
					t.Errorf("bomb %q ended with %s after %s, want %s", kind, end, time.Since(t0).Round(time.Millisecond), kilntype.EMemoryLimit)
				}
				mu.Lock()
				bombEnds[end]++
				mu.Unlock()
			}
		})
	}
	for i := range bombs {
		next <- kinds[i%len(kinds)]
	}
	close(next)
	bombWG.Wait()
	done.Store(true)
	wg.Wait()
	t.Logf("%d bombs in %s: %v; tenant B: %d requests served, %d failed", bombs, time.Since(start).Round(time.Millisecond), bombEnds, served.Load(), len(failures))
	if len(failures) > 0 {
		t.Errorf("%d of tenant B's requests failed while A's bombs ran; the first: %s", len(failures), failures[0])
	}
	if served.Load() == 0 {
		t.Error("tenant B was never served")
	}
}

// TestMemoryBombsRSS: with the soft heap limit kept (ManageHeapLimit, as
// kiln serve runs), allocation bombs running two at a time never take the
// process's resident memory more than their two limits plus the documented
// margin past what it was before them: the soft limit's 64 MiB
// (engine/heaplimit.go) and 96 MiB for the collector's overshoot and its own
// metadata (docs/limits.md).
func TestMemoryBombsRSS(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures the process's resident memory")
	}
	const limit, margin, lag = 64 << 20, 64 << 20, 96 << 20
	ctx := context.Background()
	c := newTestClient(t, func(cfg *Config) { cfg.MemoryBytes = limit; cfg.ManageHeapLimit = true })
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bombs", Name: "Bombs"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for kind, src := range neighbourBombs {
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: kind, Type: kilntype.TypeManual,
			Language: "javascript", Source: src, Limits: kilntype.Limits{TimeoutMs: 20_000}}); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, kind)
	}
	runtime.GC()
	debug.FreeOSMemory()
	base := residentBytes()
	if base == 0 {
		t.Skip("the resident set is read from /proc/self/status (Linux)")
	}
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if r := residentBytes(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	next := make(chan string)
	for range 2 {
		wg.Go(func() {
			for kind := range next {
				res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptName: kind, Trigger: kilntype.TriggerManual})
				if err != nil || res.Execution.Error == nil || res.Execution.Error.Code != kilntype.EMemoryLimit {
					t.Errorf("bomb %q: %+v, %v; want MEMORY_LIMIT", kind, res, err)
				}
			}
		})
	}
	for i := range 3 * len(kinds) {
		next <- kinds[i%len(kinds)]
	}
	close(next)
	wg.Wait()
	close(stop)
	<-sampled
	growth := peak.Load() - base
	t.Logf("resident memory %d MiB before the bombs, peak %d MiB (+%d MiB; bound +%d MiB: 2 × %d MiB + %d MiB margin + %d MiB lag)",
		base>>20, peak.Load()>>20, growth>>20, (2*limit+margin+lag)>>20, limit>>20, margin>>20, lag>>20)
	if growth > 2*limit+margin+lag {
		t.Errorf("resident memory grew %d MiB", growth>>20)
	}
}

// residentBytes is the process's resident set (VmRSS), or 0 where
// /proc/self/status does not give it.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
