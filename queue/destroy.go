package queue

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DeleteStreams deletes the stream and the attempts bucket of the queue
// with prefix on the NATS server at url — everything queued in it is lost.
// Tests that share an external server clean up with it.
func DeleteStreams(ctx context.Context, url, prefix string) error {
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	n := newNames(prefix)
	var errs []error
	for _, s := range []string{n.stream, "KV_" + n.attemptsBucket} {
		if err := js.DeleteStream(ctx, s); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			errs = append(errs, fmt.Errorf("delete stream %s: %w", s, err))
		}
	}
	return errors.Join(errs...)
}
