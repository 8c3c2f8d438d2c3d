// Package lineartime checks that a piece of work grows linearly with the
// size of its input, in a way that load on the machine cannot fail.
//
// An absolute bound ("200,000 code points parse within 2 s") is either
// loose enough to let a quadratic step through or tight enough to fail
// under the race detector on a loaded machine. Check compares the work at
// two sizes instead: four times the input takes about four times as long
// when the work is linear, and about sixteen times when it is quadratic,
// however fast the machine is at the moment. It counts the process's CPU
// time, to which waiting for a core held by other processes adds nothing.
package lineartime

import (
	"math"
	"runtime"
	"testing"
	"time"
)

const (
	// Factor is how much larger the second input is: Check calls run(n)
	// and run(Factor*n).
	Factor = 4
	// bound is the largest time ratio that passes for Factor times the
	// input: linear work gives about 4 (somewhat more when the larger
	// input's memory is new to the process, as under the race detector),
	// quadratic about 16.
	bound = 10
	// attempts is how many times each size is timed, at most. Load only
	// ever adds time to a run, so the fastest run of each size is the
	// truest; Check stops at the first attempt whose ratio is within bound.
	attempts = 5
)

// Check fails t unless run(Factor*n) takes at most bound times the CPU
// time of run(n). run must do the work for an input of size n and nothing
// of a size that does not grow with n (build the inputs, runtimes and
// compiled scripts beforehand): a fixed cost shared by both sizes pulls the
// ratio towards 1 and hides a quadratic step. The test must not be
// parallel (t.Parallel): other tests' work would count as run's.
func Check(t testing.TB, what string, n int, run func(n int)) {
	t.Helper()
	small, large := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	for range attempts {
		// The larger size first: a first run's warm-up then makes the
		// ratio look worse, never better.
		large = min(large, timed(func() { run(Factor * n) }))
		small = min(small, timed(func() { run(n) }))
		if large <= bound*small {
			t.Logf("%s: %s for %d, %s for %d", what, small.Round(time.Microsecond), n, large.Round(time.Microsecond), Factor*n)
			return
		}
	}
	t.Errorf("%s: %s for %d but %s for %d (%.1f times as long for %d times the input, at best of %d tries): the work grows faster than linearly",
		what, small.Round(time.Microsecond), n, large.Round(time.Microsecond), Factor*n, float64(large)/float64(small), Factor, attempts)
}

// timed returns the CPU time f takes, after a collection, so that it does
// not pay for an earlier run's garbage. CPU time, not the wall clock: on a
// loaded machine a run of a few milliseconds may wait tens of milliseconds
// for a core, and the larger run is likelier to. The process's other
// goroutines count too; a test that calls Check must not run in parallel.
func timed(f func()) time.Duration {
	runtime.GC()
	start := cpuTime()
	f()
	return cpuTime() - start
}

var processStart = time.Now()

// wallTime is the time since the process started, on the monotonic clock.
func wallTime() time.Duration { return time.Since(processStart) }
