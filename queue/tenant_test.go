package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/kilntype"
)

// TestEventIDsAreTenantScoped: tenants share one stream, its duplicate
// detection and the attempts bucket, and choose their events' IDs. Two
// tenants publishing the same ID must both be stored and delivered, on
// every path where an ID is a key: the event's own message, the delivery
// messages of a fan-out and the record of failed attempts. A tenant's own
// repeat is still dropped; handlers still see the caller's ID.
func TestEventIDsAreTenantScoped(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b)) // 2 retries, 50ms apart
		ctx := context.Background()
		// The longest tenant, event and target IDs Publish and Route
		// accept: their scoped keys must still be valid message IDs and
		// KV keys.
		long := strings.Repeat("x", 127)
		tenants := []string{"acme", "globex", long + "t"}
		// order.retried: one target, run in place, whose first attempt
		// fails (the attempts bucket keys on the delivery).
		// order.fanned: two targets, so delivery messages (deduplicated
		// on the delivery).
		ids := map[string]string{"order.retried": "ORDER-1001", "order.fanned": "ORDER-1002"}
		idOf := func(tenant, typ string) string {
			if tenant == long+"t" {
				return long + ids[typ][len(ids[typ])-1:]
			}
			return ids[typ]
		}
		router := RouterFunc(func(_ context.Context, e Event) ([]Target, error) {
			first := "s1"
			if e.Tenant == long+"t" {
				first = long + "s"
			}
			if e.Type == "order.retried" {
				return []Target{{ID: first}}, nil
			}
			return []Target{{ID: first}, {ID: "s2"}}, nil
		})

		// Published before Start, so that the stream shows what was stored.
		for _, tenant := range tenants {
			for _, typ := range []string{"order.retried", "order.fanned"} {
				if _, err := q.Publish(ctx, Event{ID: idOf(tenant, typ), Tenant: tenant, Type: typ}); err != nil {
					t.Fatalf("%s publishes %s: %v", tenant, typ, err)
				}
			}
		}
		// acme's own repeats within the dedupe window are dropped, through
		// Publish and through PublishBatch; initech's first is not.
		if got, err := q.Publish(ctx, Event{ID: "ORDER-1001", Tenant: "acme", Type: "order.retried"}); err != nil || got != "ORDER-1001" {
			t.Fatalf("acme's repeat: %q, %v", got, err)
		}
		if _, err := q.PublishBatch(ctx, []Event{
			{ID: "ORDER-1002", Tenant: "acme", Type: "order.fanned"},
			{ID: "ORDER-1002", Tenant: "initech", Type: "order.fanned"},
		}); err != nil {
			t.Fatal(err)
		}
		if n := streamMessages(t, q.stream); n != 7 {
			t.Fatalf("%d events stored, want 7 (two per tenant, initech's one): another tenant's ID is no duplicate, the tenant's own is", n)
		}

		rec := newRecorder()
		rec.fail = func(d Delivery) error {
			if d.Event.Type == "order.retried" && d.Attempt == 1 {
				return fmt.Errorf("%s fails attempt %d", d.Event.Tenant, d.Attempt)
			}
			return nil
		}
		start(t, q, router, rec)
		// Per tenant: two attempts in place, two deliveries fanned out;
		// and initech's two.
		const want = 3*(2+2) + 2
		rec.waitFor(t, "every tenant's deliveries", 20*time.Second, func() bool { return len(rec.runs) >= want })
		time.Sleep(300 * time.Millisecond) // room for a wrong extra run
		waitEmpty(t, q.stream)

		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.runs) != want {
			t.Errorf("%d runs, want %d", len(rec.runs), want)
		}
		type delivery struct{ tenant, typ, id string }
		attempts := map[delivery][]int{}
		owner := map[string]string{} // Delivery.Key → tenant
		for _, r := range rec.runs {
			d := r.d
			if d.Event.ID != idOf(d.Event.Tenant, d.Event.Type) || d.ID != d.Event.ID+":"+d.Target {
				t.Errorf("%s's delivery %q of event %q: the handler must see the caller's ID", d.Event.Tenant, d.ID, d.Event.ID)
			}
			if o, ok := owner[d.Key]; ok && o != d.Event.Tenant || d.Key == "" {
				t.Errorf("tenants %s and %s share the delivery key %q", o, d.Event.Tenant, d.Key)
			}
			owner[d.Key] = d.Event.Tenant
			k := delivery{d.Event.Tenant, d.Event.Type, d.ID}
			attempts[k] = append(attempts[k], d.Attempt)
		}
		if len(attempts) != 3*3+2 {
			t.Errorf("%d deliveries ran, want %d", len(attempts), 3*3+2)
		}
		for d, got := range attempts {
			want := "[1]"
			if d.typ == "order.retried" {
				want = "[1 2]"
			}
			if fmt.Sprint(got) != want {
				t.Errorf("%.20s's delivery %.30s ran attempts %v, want %s", d.tenant, d.id, got, want)
			}
		}
	})
}

// TestDeliveryStoredBeforeTenantKeys: a delivery message an older Kiln
// stored, with the delivery ID alone as its Nats-Msg-Id and its failed
// attempts recorded under that ID, keeps its key after the upgrade: its
// attempts continue from the record and the record is purged on success.
func TestDeliveryStoredBeforeTenantKeys(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		q := openQueue(t, testConfig(t, b))
		ctx := context.Background()
		ev := Event{ID: "ORDER-7", Tenant: "acme", Type: "order.created", Payload: json.RawMessage(`{}`), PublishedAt: time.Now().UTC()}
		id := ev.ID + ":s"
		failed := attemptRecord{Attempts: []AttemptError{{Attempt: 1, Code: kilntype.ERuntimeError, Message: "before the upgrade", At: time.Now().UTC()}}}
		if err := q.saveAttempts(ctx, id, failed, 0); err != nil {
			t.Fatal(err)
		}
		msg := &nats.Msg{
			Subject: q.names.deliverySubject("acme"),
			Data:    appendEnvelope(nil, id, "s", Retry{Retries: 2}, appendEvent(nil, &ev)),
			Header:  nats.Header{jetstream.MsgIDHeader: []string{id}, attemptsHeader: []string{"1"}},
		}
		if err := q.publishSync(ctx, msg); err != nil {
			t.Fatal(err)
		}
		rec := newRecorder()
		start(t, q, targets("s"), rec)
		rec.waitFor(t, "the delivery", 10*time.Second, func() bool { return len(rec.runs) >= 1 })
		waitEmpty(t, q.stream)
		rec.mu.Lock()
		d := rec.runs[0].d
		rec.mu.Unlock()
		if d.ID != id || d.Key != id || d.Attempt != 2 || !d.MayHaveRun {
			t.Errorf("delivery %q (key %q) attempt %d, may have run %v; want key %q, attempt 2 after the recorded one", d.ID, d.Key, d.Attempt, d.MayHaveRun, id)
		}
		if _, err := q.attempts.Get(ctx, attemptKey(id)); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("the old record outlived the success: %v", err)
		}
	})
}
