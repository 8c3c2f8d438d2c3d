package engine

import (
	"runtime"
	"sync/atomic"
	"time"
)

// watchHeap collects garbage, then samples the heap every 200µs until the
// returned end is called, which returns the highest growth seen over the
// heap at the start.
func watchHeap() (end func() int64) {
	runtime.GC()
	base := readHeap()
	var peak atomic.Int64
	stop, done := make(chan struct{}), make(chan struct{})
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
				if g := sampler.read() - base; g > peak.Load() {
					peak.Store(g)
				}
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}
