package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/internal/natstest"
)

// hostServer runs a NATS server in the test's process, as a host that
// embeds its own would, on a random local port. It stops when the test
// ends.
func hostServer(t *testing.T, opts server.Options) *server.Server {
	t.Helper()
	opts.ServerName, opts.NoSigs, opts.NoLog = "host", true, true
	opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
	if opts.JetStream {
		opts.StoreDir = t.TempDir()
	}
	srv, err := server.NewServer(&opts)
	if err != nil {
		t.Fatalf("host's NATS server: %v", err)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("host's NATS server did not start")
	}
	return srv
}

// hostConn connects as the host and closes the connection when the test
// ends: the queue must never close it.
func hostConn(t *testing.T, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, append([]nats.Option{nats.Name("host")}, opts...)...)
	if err != nil {
		t.Fatalf("host's connection to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// hostConfig is a test config on the host's connection. testConfig's
// DataDir stays set: the server fills it in too, and with Conn it is
// ignored.
func hostConfig(t *testing.T, nc *nats.Conn) Config {
	cfg := testConfig(t, backend{})
	cfg.Conn = nc
	return cfg
}

// TestHostConn publishes and consumes through a queue on the host's
// connection — to a server the host runs (over TCP, and in-process), and
// to the external one — and checks that after Close the connection is
// open, holds none of the queue's subscriptions, and still serves the
// host.
func TestHostConn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		conn      func(t *testing.T) *nats.Conn
		inProcess bool
	}{
		{name: "host server", conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, hostServer(t, server.Options{JetStream: true}).ClientURL())
		}},
		{name: "host server in process", inProcess: true, conn: func(t *testing.T) *nats.Conn {
			srv := hostServer(t, server.Options{JetStream: true})
			return hostConn(t, srv.ClientURL(), nats.InProcessServer(srv))
		}},
		{name: "external", conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, natstest.External(t))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			nc := tc.conn(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			hostJS, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			// A first request sets up the connection's own reply
			// subscription, which stays; count from there.
			if _, err := hostJS.AccountInfo(ctx); err != nil {
				t.Fatalf("host's JetStream: %v", err)
			}
			subs := nc.NumSubscriptions()

			cfg := hostConfig(t, nc)
			q, err := Open(ctx, cfg)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(func() {
				if err := q.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
				// The host's server may be the shared external one.
				if err := hostJS.DeleteStream(context.Background(), q.names.stream); err != nil {
					t.Errorf("delete stream: %v", err)
				}
				if err := hostJS.DeleteKeyValue(context.Background(), q.names.attemptsBucket); err != nil {
					t.Errorf("delete bucket: %v", err)
				}
			})
			if q.server != nil || q.conn != nc || q.pubConn != nc {
				t.Fatalf("the queue started a server or dialed a connection of its own")
			}
			if got := !q.openedAt.IsZero(); got != tc.inProcess {
				t.Errorf("messages stored before Open may have run: %v, want %v (an in-process server dies with the process)", got, tc.inProcess)
			}

			// Two targets: each event fans out to delivery messages, which
			// the workers publish; Publish and PublishBatch are the
			// producers' synchronous and asynchronous paths.
			rec := newRecorder()
			start(t, q, targets("s1", "s2"), rec)
			publish(t, q, "acme", "order.created", map[string]int{"order": 1})
			if _, err := q.PublishBatch(ctx, []Event{
				{Tenant: "acme", Type: "order.created"},
				{Tenant: "globex", Type: "order.created"},
			}); err != nil {
				t.Fatalf("PublishBatch: %v", err)
			}
			rec.waitFor(t, "six deliveries", 10*time.Second, func() bool { return len(rec.runs) >= 6 })
			waitEmpty(t, q.stream)
			if s := q.Stats(); s.Published != 3 || s.Succeeded != 6 {
				t.Errorf("stats %+v, want 3 published, 6 succeeded", s)
			}

			if err := q.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if nc.IsClosed() || !nc.IsConnected() {
				t.Fatalf("the host's connection after Close: status %v", nc.Status())
			}
			if n := nc.NumSubscriptions(); n != subs {
				t.Errorf("the host's connection holds %d subscriptions after Close, %d before Open", n, subs)
			}
			// The host still uses its connection: core NATS, and
			// JetStream on the stream the queue made.
			sub, err := nc.SubscribeSync("host.ping")
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
			if err := nc.Publish("host.ping", []byte("x")); err != nil {
				t.Fatalf("host publish after Close: %v", err)
			}
			if _, err := sub.NextMsg(5 * time.Second); err != nil {
				t.Errorf("host receive after Close: %v", err)
			}
			if _, err := hostJS.Stream(ctx, q.names.stream); err != nil {
				t.Errorf("host's JetStream after Close: %v", err)
			}
		})
	}
}

// TestHostConnConfig: with Conn, the embedded server's DataDir is not
// required.
func TestHostConnConfig(t *testing.T) {
	t.Parallel()
	if err := (Config{Conn: &nats.Conn{}}).WithDefaults().Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// TestHostConnRefused: Open refuses a host's connection it cannot use,
// with an error that says why, and leaves the connection as it was.
func TestHostConnRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		conn func(t *testing.T) *nats.Conn
		cfg  func(*Config)
		want string
	}{
		{name: "closed", want: "Config.Conn is closed", conn: func(t *testing.T) *nats.Conn {
			nc := hostConn(t, hostServer(t, server.Options{JetStream: true}).ClientURL())
			nc.Close()
			return nc
		}},
		{name: "no JetStream", want: "JetStream does not answer on Config.Conn", conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, hostServer(t, server.Options{}).ClientURL())
		}},
		{name: "max payload", want: "exceeds the server's max_payload 65536", conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, hostServer(t, server.Options{JetStream: true, MaxPayload: 64 << 10}).ClientURL())
		}},
		{name: "with URL", want: "not both", cfg: func(c *Config) { c.URL = "nats://127.0.0.1:4222" }, conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, hostServer(t, server.Options{JetStream: true}).ClientURL())
		}},
		{name: "with ConnectOptions", want: "ConnectOptions", cfg: func(c *Config) { c.ConnectOptions = []nats.Option{nats.Name("x")} }, conn: func(t *testing.T) *nats.Conn {
			return hostConn(t, hostServer(t, server.Options{JetStream: true}).ClientURL())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			nc := tc.conn(t)
			wasClosed := nc.IsClosed()
			cfg := hostConfig(t, nc)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			q, err := Open(ctx, cfg)
			if err == nil {
				q.Close()
				t.Fatal("Open accepted the connection")
			}
			t.Logf("Open: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: %v; want an error containing %q", err, tc.want)
			}
			if !wasClosed && nc.IsClosed() {
				t.Errorf("a refused Open closed the host's connection")
			}
		})
	}
}
