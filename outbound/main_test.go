package outbound

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: pooled
// connections must close with their client, and every request must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
