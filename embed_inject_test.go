package kiln_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/nats-io/nats.go"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/internal/natstest"
	"github.com/kiln-run/kiln/internal/pgtest"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
)

// TestEmbedWithHostHandles embeds Kiln on the host's own database handle
// (SQLite, PostgreSQL through database/sql, PostgreSQL through a pgx pool)
// and the host's own NATS connection: scripts write documents and publish
// events that an event script handles, and after Stop the host's handle
// and connection still work.
func TestEmbedWithHostHandles(t *testing.T) {
	natsURL := natstest.External(t)
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (kiln.Option, func() error)
	}{
		{"sqlite", func(t *testing.T) (kiln.Option, func() error) {
			dsn := "file:" + filepath.Join(t.TempDir(), "host.db") +
				"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"
			db, err := sql.Open("sqlite", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			return kiln.WithSQLite(db), func() error { return db.Ping() }
		}},
		{"postgres", func(t *testing.T) (kiln.Option, func() error) {
			db, err := sql.Open("pgx", pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			return kiln.WithPostgres(db), func() error { return db.Ping() }
		}},
		{"postgres pool", func(t *testing.T) (kiln.Option, func() error) {
			pool, err := pgxpool.New(context.Background(), pgtest.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return kiln.WithPostgresPool(pool), func() error { return pool.Ping(context.Background()) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			withDB, dbAlive := tc.open(t)
			nc, err := nats.Connect(natsURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(nc.Close)
			cfg := kiln.Config{DataDir: t.TempDir(), ShutdownTimeout: 5 * time.Second}
			cfg.Queue.Prefix = "KILN_EMBED_" + randomHex(4)
			t.Cleanup(func() { _ = queue.DeleteStreams(context.Background(), natsURL, cfg.Queue.Prefix) })
			k, err := kiln.New(cfg, withDB, kiln.WithNATS(nc))
			if err != nil {
				t.Fatal(err)
			}
			if err := k.Start(ctx); err != nil {
				t.Fatal(err)
			}
			stopped := false
			defer func() {
				if !stopped {
					_ = k.Stop(ctx)
				}
			}()
			tenant, err := k.TenantCreate(ctx, kiln.TenantCreateParams{Slug: "acme", Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			save := func(name string, typ kilntype.ScriptType, trigger kilntype.TriggerConfig, source string) {
				t.Helper()
				_, err := k.ScriptCreate(ctx, kiln.ScriptCreateParams{TenantID: tenant.ID, Name: name, Type: typ, Status: kilntype.StatusActive,
					Language: "javascript", Source: source, Trigger: trigger})
				if err != nil {
					t.Fatal(err)
				}
			}
			save("order", kilntype.TypeEmbedded, kilntype.TriggerConfig{}, `export default async (o) => {
				await iota.db.insert('orders', { id: o.id, total: o.total });
				return await iota.events.publish('order.created', { id: o.id });
			}`)
			save("ship", kilntype.TypeEvent, kilntype.TriggerConfig{Events: []string{"order.created"}},
				`export default async (e) => iota.db.update('orders', e.payload.id, { shipped: true })`)
			save("read", kilntype.TypeEmbedded, kilntype.TriggerConfig{}, `export default (id) => iota.db.get('orders', id)`)

			res, err := k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "order", Trigger: kilntype.TriggerEmbedded,
				Input: json.RawMessage(`{"id":"o1","total":42}`)})
			if err != nil || res.Execution.Status != kilntype.ExecCompleted {
				t.Fatalf("order: %+v, %v", res, err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				res, err := k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "read", Trigger: kilntype.TriggerEmbedded, Input: json.RawMessage(`"o1"`)})
				if err != nil {
					t.Fatal(err)
				}
				if string(res.Execution.Output) == `{"id":"o1","shipped":true,"total":42}` {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the event script did not ship the order: %s %+v", res.Execution.Output, res.Execution.Error)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := k.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			stopped = true
			if err := dbAlive(); err != nil {
				t.Errorf("the host's database handle after Stop: %v", err)
			}
			if !nc.IsConnected() {
				t.Error("the host's NATS connection was closed by Stop")
			}
			if err := nc.Publish("kiln.embed.test", []byte("still here")); err != nil {
				t.Errorf("publish on the host's connection after Stop: %v", err)
			}
		})
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
