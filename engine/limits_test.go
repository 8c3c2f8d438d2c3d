package engine

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// memoryTolerance is how far past its limit an invocation's heap growth may
// get before the runtime's meter stops it: the meter stops a script before
// an allocation that would take what it holds past its limit, so what is
// left is garbage the collector has not reached yet, and a growing array's
// old elements or an object's old table, copied to the new ones and
// dropped only after (a push loop or an object growing peaks at 82-97 MiB
// for a 64 MiB limit on a loaded machine). A case may state a
// larger bound with a `// peak:` header when it makes garbage much faster
// than it holds memory; docs/limits.md has the measured numbers.
const memoryTolerance = 48 << 20

// TestLimits runs every runaway script in testdata/limits under a 64 MiB
// limit, with the engine keeping the soft heap limit as kiln serve does:
// each must end with its stated code, the process must stay alive, and the
// heap must never grow past the limit plus memoryTolerance.
func TestLimits(t *testing.T) {
	const limit = 64 << 20
	e := setup(t, Config{MemoryLimit: limit, ManageHeapLimit: true})
	for _, c := range loadCases(t, "testdata/limits") {
		t.Run(c.name, func(t *testing.T) {
			// Not parallel: each case measures the process heap alone.
			runtime.GC()
			base := readHeap()
			var peak atomic.Int64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var sampler heapSampler
				tick := time.NewTicker(200 * time.Microsecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						if h := sampler.read() - base; h > peak.Load() {
							peak.Store(h)
						}
					}
				}
			}()
			res := c.run(t, e)
			close(stop)
			<-done
			c.check(t, res)
			t.Logf("%s after %s, peak heap growth %s", res.Err.Code, res.Metrics.Duration.Round(time.Millisecond), formatBytes(peak.Load()))
			bound := int64(limit + memoryTolerance)
			if c.peak > 0 {
				bound = c.peak
			}
			if peak.Load() > bound {
				t.Errorf("heap grew %s, past the %s bound for a %s limit", formatBytes(peak.Load()), formatBytes(bound), formatBytes(limit))
			}
		})
	}
}
