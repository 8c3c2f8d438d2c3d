package kiln

import (
	"context"
	"testing"
	"time"
)

// newTestClient starts a client on SQLite in a temporary folder, with the
// embedded queue, stopped when tb ends.
func newTestClient(tb testing.TB, mutate ...func(*Config)) *Client {
	tb.Helper()
	cfg := Config{DataDir: tb.TempDir(), ShutdownTimeout: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := c.Start(context.Background()); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			tb.Errorf("Stop: %v", err)
		}
	})
	return c
}
