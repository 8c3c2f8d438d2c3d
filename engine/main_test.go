package engine

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// watchdog, async host calls and timers must all stop with their owners.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// regexp2's shared match-timeout clock lingers for one timeout after
		// the last match and then exits by itself; it is not ours to stop.
		goleak.IgnoreAnyFunction("github.com/dlclark/regexp2/v2.runClock"),
	)
}
