package queue

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkThroughput measures, in one run and on the same embedded server
// setup (file storage under a temp dir), (a) raw JetStream: async publish,
// pull-consume and ack on a work-queue stream, and (b) Kiln: PublishBatch →
// routing → no-op Handler → ack. Each reports msgs/s; the
// parent prints kiln/raw. Run it without the race detector:
//
//	go test -run '^$' -bench Throughput -benchtime 50000x ./queue/
func BenchmarkThroughput(b *testing.B) {
	var raw, kiln float64
	b.Run("raw", func(b *testing.B) { raw = benchRaw(b) })
	b.Run("kiln", func(b *testing.B) { kiln = benchKiln(b, 1) })
	// Two scripts per event: every event becomes two delivery messages.
	// Reported as deliveries/s.
	b.Run("kiln_fanout2", func(b *testing.B) { benchKiln(b, 2) })
	if raw > 0 && kiln > 0 {
		fmt.Printf("throughput: raw %.0f msgs/s, kiln %.0f msgs/s, kiln/raw = %.2f\n", raw, kiln, kiln/raw)
	}
}

var benchPayload = []byte(`{"order":12345,"customer":"c-42","amount":99.5,"currency":"EUR","items":[1,2,3]}`)

func benchRaw(b *testing.B) float64 {
	srv, err := startEmbedded(Config{DataDir: b.TempDir(), MaxPayload: DefaultMaxPayload, SyncInterval: DefaultSyncInterval, Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect("", nats.InProcessServer(srv))
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage})
	if err != nil {
		b.Fatal(err)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: -1})
	if err != nil {
		b.Fatal(err)
	}
	n := b.N
	var acked atomic.Int64
	done := make(chan struct{})
	b.ResetTimer()
	begin := time.Now()
	cc, err := cons.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		if acked.Add(1) == int64(n) {
			close(done)
		}
	}, jetstream.PullMaxMessages(512))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	for i := range n {
		if _, err := js.PublishAsync("raw.t"+string(rune('a'+i%3)), benchPayload); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	elapsed := time.Since(begin)
	b.StopTimer()
	rate := float64(n) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	return rate
}

func benchKiln(b *testing.B, fanOut int) float64 {
	q, err := Open(context.Background(), Config{DataDir: b.TempDir(), Prefix: "BENCH", Logger: testLogger(), Prefetch: benchPrefetch})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	n := b.N
	var handled atomic.Int64
	done := make(chan struct{})
	handler := func(context.Context, Delivery) error {
		if handled.Add(1) == int64(n*fanOut) {
			close(done)
		}
		return nil
	}
	sink := func(context.Context, Delivery, []AttemptError) error { return nil }
	b.ResetTimer()
	begin := time.Now()
	scripts := []string{"s1", "s2", "s3", "s4"}[:fanOut]
	if err := q.Start(context.Background(), targets(scripts...), handler, sink); err != nil {
		b.Fatal(err)
	}
	// Publishers wait for JetStream's acks, as callers of Publish do; four
	// of them keep the pipeline as full as the raw run's async publishes.
	const publishers, chunk = 4, 256
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]Event, 0, chunk)
			for i := p; i < n; i += publishers {
				batch = append(batch, Event{Tenant: "t" + string(rune('a'+i%3)), Type: "order.created", Payload: benchPayload})
				if len(batch) == chunk || i+publishers >= n {
					if _, err := q.PublishBatch(context.Background(), batch); err != nil {
						b.Error(err)
						return
					}
					batch = batch[:0]
				}
			}
		}()
	}
	wg.Wait()
	published := time.Since(begin)
	for q.Stats().Dispatched < uint64(n*fanOut) {
		time.Sleep(time.Millisecond)
	}
	dispatched := time.Since(begin)
	<-done
	elapsed := time.Since(begin)
	b.StopTimer()
	if testing.Verbose() {
		b.Logf("n=%d published at %s, dispatched at %s, handled at %s", n, published, dispatched, elapsed)
	}
	rate := float64(n*fanOut) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	return rate
}

var benchPrefetch = 0 // the default
