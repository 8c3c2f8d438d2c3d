package kiln

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/natstest"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
)

// TestPublishIDsPerTenant: an event's ID is its tenant's. Acme publishing
// ORDER-1001 must not suppress Globex's ORDER-1001 (the queue's duplicate
// detection is shared by every tenant): both are delivered, each script
// sees the ID as given, and acme's own repeat is still dropped. On the
// embedded queue and an external NATS.
func TestPublishIDsPerTenant(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"embedded", "external"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			c := newTestClient(t, func(cfg *Config) {
				if mode == "external" {
					cfg.NATS = natstest.External(t)
					var b [4]byte
					_, _ = rand.Read(b[:])
					cfg.Queue.Prefix = "KT" + hex.EncodeToString(b[:])
					url, prefix := cfg.NATS, cfg.Queue.Prefix
					t.Cleanup(func() { _ = queue.DeleteStreams(context.Background(), url, prefix) })
				}
			})
			ctx := context.Background()
			type tenantScript struct{ tenantID, scriptID string }
			scripts := map[string]tenantScript{} // by slug
			for _, slug := range []string{"acme", "globex"} {
				tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: slug, Name: slug})
				if err != nil {
					t.Fatal(err)
				}
				s, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "seen", Type: kilntype.TypeEvent, Status: kilntype.StatusActive,
					Source:  `export default (input) => input.id`,
					Trigger: kilntype.TriggerConfig{Events: []string{"order.created"}}})
				if err != nil {
					t.Fatal(err)
				}
				scripts[slug] = tenantScript{tenant.ID, s.ID}
			}
			publish := func(slug, id string) {
				t.Helper()
				got, err := c.Publish(ctx, PublishParams{TenantSlug: slug, Type: "order.created", ID: id, Payload: json.RawMessage(`{}`)})
				if err != nil || got != id {
					t.Fatalf("%s publishes %s: %q, %v", slug, id, got, err)
				}
			}
			publish("acme", "ORDER-1001")
			publish("globex", "ORDER-1001")
			publish("acme", "ORDER-1001") // acme's own repeat: dropped
			// A later event of each tenant: once it ran, a stored repeat
			// would have been fetched before it.
			publish("acme", "ORDER-1002")
			publish("globex", "ORDER-1002")

			seen := func(slug string) map[string]int {
				ts := scripts[slug]
				list, _, err := c.ExecutionList(ctx, ExecutionListParams{TenantID: ts.tenantID, ScriptID: ts.scriptID, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]int{}
				for _, e := range list {
					full, err := c.ExecutionGet(ctx, ts.tenantID, e.ID) // a list leaves the output out
					if err != nil {
						t.Fatal(err)
					}
					var id string
					_ = json.Unmarshal(full.Output, &id)
					out[fmt.Sprintf("%s %s", e.Status, id)]++
				}
				return out
			}
			want := "map[completed ORDER-1001:1 completed ORDER-1002:1]"
			deadline := time.Now().Add(30 * time.Second)
			for slug := range scripts {
				for fmt.Sprint(seen(slug)) != want {
					if time.Now().After(deadline) {
						t.Fatalf("%s's script saw %v, want %s", slug, seen(slug), want)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			time.Sleep(200 * time.Millisecond) // room for a wrong extra run
			for slug := range scripts {
				if got := fmt.Sprint(seen(slug)); got != want {
					t.Errorf("%s's script saw %s, want %s", slug, got, want)
				}
			}
		})
	}
}

// TestDeliveryExecutionIDPerTenant: two tenants' deliveries with the same
// ID, time and attempt get distinct execution IDs (execution IDs are
// unique across tenants); a delivery stored before keys named the tenant
// (Key == ID) keeps the execution IDs it had, so its redelivery finds its
// earlier record.
func TestDeliveryExecutionIDPerTenant(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	delivery := func(tenant, key string) queue.Delivery {
		return queue.Delivery{ID: "ORDER-1001:s", Key: key, Event: queue.Event{ID: "ORDER-1001", Tenant: tenant, PublishedAt: at}, Target: "s", Attempt: 1}
	}
	acme, globex := deliveryExecutionID(delivery("acme", "acme:ORDER-1001:s")), deliveryExecutionID(delivery("globex", "globex:ORDER-1001:s"))
	if acme == globex {
		t.Errorf("two tenants' deliveries share the execution ID %s", acme)
	}
	if got, want := deliveryExecutionID(delivery("acme", "ORDER-1001:s")), kilntype.DerivedID(at, "ORDER-1001:s\x001"); got != want {
		t.Errorf("a delivery stored before the upgrade gets execution ID %s, want its old %s", got, want)
	}
}
