// Package natstest finds the external NATS server (with JetStream) that
// tests run against besides the embedded one: KILN_TEST_NATS, or the
// machine's 127.0.0.1:4222.
package natstest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	once sync.Once
	url  string
	err  error
)

// probe checks once that the server answers and has JetStream.
func probe() (string, error) {
	once.Do(func() {
		u := os.Getenv("KILN_TEST_NATS")
		if u == "" {
			u = "nats://127.0.0.1:4222"
		}
		nc, cerr := nats.Connect(u, nats.Timeout(2*time.Second), nats.MaxReconnects(0))
		if cerr != nil {
			err = fmt.Errorf("no NATS at %s: %w", u, cerr)
			return
		}
		defer nc.Close()
		js, jerr := jetstream.New(nc)
		if jerr != nil {
			err = jerr
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if _, aerr := js.AccountInfo(ctx); aerr != nil {
			err = fmt.Errorf("NATS at %s has no JetStream: %w", u, aerr)
			return
		}
		url = u
	})
	return url, err
}

// External returns the external NATS URL. Without one the test is skipped,
// or fails when CI=true: CI must test the external server.
func External(t testing.TB) string {
	t.Helper()
	u, err := probe()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI needs the external NATS: %v", err)
		}
		t.Skipf("skipping the external-NATS run: %v (set KILN_TEST_NATS)", err)
	}
	return u
}
