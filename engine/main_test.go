package engine

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: the
// watchdog, async host calls and timers must all stop with their owners.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
