package kiln

import (
	"context"
	"encoding/json"
	"github.com/kiln-run/kiln/kilntype"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	dto "github.com/prometheus/client_model/go"
)

// BenchmarkEvents measures events/s end to end — publish (acknowledged by
// JetStream) → a trivial event script runs → its execution record is
// written — on the embedded queue, and in the same run the raw JetStream
// rate on the same embedded server (publish → consume → ack, no script, no
// record; the mean of a run before and one after) as the reference. Run with -benchtime 1x; it reports the ratio
// and the publish latency, and the process CPU time per event during
// Kiln's part (publishers, queue, scripts and records together).
func BenchmarkEvents(b *testing.B) {
	const events = 20000
	for b.Loop() {
		c := newTestClient(b, func(c *Config) { c.Queue.Listen = "127.0.0.1:0" })
		ctx := context.Background()
		tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bench", Name: "Bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "count", Type: kilntype.TypeEvent, Status: kilntype.StatusActive,
			Source:  `export default (input) => input.payload.n`,
			Trigger: kilntype.TriggerConfig{Events: []string{"order.created"}, Retry: &kilntype.RetryPolicy{Retries: 0}}}); err != nil {
			b.Fatal(err)
		}
		// The raw rate swings from run to run on a shared machine: measure
		// it before and after Kiln's run and compare with the mean.
		rawBefore := rawJetStream(b, c.queue.ClientURL(), events)

		completed := c.metrics.executions.WithLabelValues(tenant.Slug, "event", "completed")
		latencies := make([]time.Duration, events)
		cpuBefore := processCPU()
		begin := time.Now()
		var wg sync.WaitGroup
		var next atomic.Int64
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= events {
						return
					}
					start := time.Now()
					payload, _ := json.Marshal(map[string]int{"n": i})
					if _, err := c.publish(ctx, tenant.ID, "order.created", payload, ""); err != nil {
						b.Error(err)
						return
					}
					latencies[i] = time.Since(start)
				}
			}()
		}
		wg.Wait()
		// A run that does not complete (refused as OVERLOADED past the
		// pool's queue limit, say) would otherwise keep the wait going
		// for ever.
		giveUp := time.Now().Add(2 * time.Minute)
		for {
			var m dto.Metric
			_ = completed.Write(&m)
			if m.GetCounter().GetValue() >= events {
				break
			}
			if time.Now().After(giveUp) {
				b.Fatalf("%v of %d events completed after 2 minutes; queue stats %+v", m.GetCounter().GetValue(), events, c.queue.Stats())
			}
			time.Sleep(time.Millisecond)
		}
		elapsed := time.Since(begin)
		cpu := processCPU() - cpuBefore
		kilnRate := events / elapsed.Seconds()
		raw := (rawBefore + rawJetStream(b, c.queue.ClientURL(), events)) / 2
		slices.Sort(latencies)
		b.ReportMetric(kilnRate, "events/s")
		b.ReportMetric(raw, "raw-msgs/s")
		b.ReportMetric(kilnRate/raw, "ratio")
		b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-us/event")
		b.ReportMetric(float64(latencies[events/2].Microseconds())/1000, "publish-p50-ms")
		b.ReportMetric(float64(latencies[events*99/100].Microseconds())/1000, "publish-p99-ms")
	}
}

// rawJetStream publishes n messages to a work-queue stream on the server at
// url, consumes and acks them, and returns messages per second.
func rawJetStream(b *testing.B, url string, n int) float64 {
	nc, err := nats.Connect(url)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAWBENCH", Subjects: []string{"rawbench.>"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = js.DeleteStream(ctx, "RAWBENCH") }()
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: -1})
	if err != nil {
		b.Fatal(err)
	}
	var acked atomic.Int64
	done := make(chan struct{})
	payload := []byte(`{"id":"0193","tenant":"bench","type":"order.created","payload":{"n":1}}`)
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
	for range n {
		if _, err := js.PublishAsync("rawbench.order", payload); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	return float64(n) / time.Since(begin).Seconds()
}

// processCPU is the CPU time (user and system) the process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
