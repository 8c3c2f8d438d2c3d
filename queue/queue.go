// Package queue is Kiln's durable event queue on NATS JetStream.
//
// Publish stores an event in the tenant's subject of a work-queue stream and
// returns once JetStream has acknowledged it. Workers take messages from the
// tenants with work in turn. For an event they ask a Router which scripts it
// goes to: one script runs at once, with the event's message carrying the
// delivery; several get one delivery message each in the same subject.
// Failures are retried with backoff; a delivery that fails its last attempt
// goes to the DeadLetterSink. The same code serves an embedded server (the default, one
// process) and an external NATS cluster. docs/queue-internals.md tells the
// whole story: streams, consumers, the ack/retry/dead-letter flow, crash
// semantics.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kiln-run/kiln/kilntype"
)

// envelopeOverhead is room for a delivery's envelope and headers beyond the
// payload, when checking MaxPayload against the server's limit.
const envelopeOverhead = 16 << 10

// Router says which scripts an event goes to. The server implements it by
// matching the event type against its tenant's event scripts. Workers call
// it concurrently. An error means "try again later": the event is routed
// again after a second.
type Router interface {
	Route(ctx context.Context, e Event) ([]Target, error)
}

// RouterFunc adapts a function to Router.
type RouterFunc func(ctx context.Context, e Event) ([]Target, error)

// Route calls f.
func (f RouterFunc) Route(ctx context.Context, e Event) ([]Target, error) { return f(ctx, e) }

// Handler runs one delivery. nil means done; an error is a failed attempt,
// retried per the delivery's Retry unless it wraps GiveUp. Deliveries are
// at least once: the same Delivery.ID may run again after a crash, so
// effects must be idempotent on it. ctx ends when the queue stops for good.
type Handler func(ctx context.Context, d Delivery) error

// DeadLetterSink receives a delivery whose last attempt failed, with every
// recorded attempt's error, oldest first. It must have stored the delivery
// durably when it returns nil: the queue then removes the message. An error
// makes the queue call it again later.
type DeadLetterSink func(ctx context.Context, d Delivery, attempts []AttemptError) error

// GiveUp wraps err so that the delivery goes to the dead-letter sink at once,
// without the retries left.
func GiveUp(err error) error { return &giveUpError{err: err} }

type giveUpError struct{ err error }

func (e *giveUpError) Error() string { return "give up: " + e.err.Error() }
func (e *giveUpError) Unwrap() error { return e.err }

// Stats are the queue's counters since Open, for metrics.
type Stats struct {
	Published          uint64 // events stored by Publish and PublishBatch
	Batches            uint64 // batch messages they stored (each holding several of those events)
	BatchesRedelivered uint64 // batch messages fetched again (their events fanned out to delivery messages)
	Dispatched         uint64 // deliveries routed (run in place or written)
	Unrouted           uint64 // events no target wanted
	Succeeded          uint64 // attempts that returned nil
	Failed             uint64 // attempts that returned an error
	DeadLettered       uint64 // deliveries handed to the dead-letter sink
	Replayed           uint64 // deliveries re-enqueued by Replay
	Interrupted        uint64 // deliveries given back unfinished at Stop
	Running            int    // handlers running now
	Held               int    // deliveries held in this process (running or waiting)
	Tenants            int    // tenants whose deliveries this process has consumed
}

// Queue is a connection to the event queue. Open one per process; it is safe
// for concurrent use.
type Queue struct {
	cfg   Config
	log   *slog.Logger
	names names

	server *server.Server // nil with an external NATS
	// openedAt is when this process opened the embedded server, or the
	// queue on a host's in-process connection (zero with an external
	// NATS): see mayHaveRun.
	openedAt time.Time
	conn     *nats.Conn // workers: fetches, acks, delivery messages, attempts
	js       jetstream.JetStream
	// hostConn is set when conn and pubConn are the host's Config.Conn,
	// which the queue must not close.
	hostConn bool

	// Publish, PublishBatch and Replay use a connection of their own, so
	// that producers and workers do not queue behind each other on one
	// connection's lock and, in process, on one pipe that the server reads
	// on one goroutine. With Config.Conn it is the host's connection too.
	pubConn *nats.Conn
	pubJS   jetstream.JetStream

	stream   jetstream.Stream
	attempts jetstream.KeyValue

	counters  counters
	coalescer coalescer
	// maxBatchBytes bounds a batch message: maxBatchBytes, or less when
	// the server's max_payload is small.
	maxBatchBytes int

	mu     sync.Mutex
	closed bool
	run    *consumer // set by Start, nil after Stop
}

type counters struct {
	published, batches, redelivered, dispatched, unrouted, succeeded, failed, deadLettered, replayed, interrupted atomic.Uint64
}

// names are the JetStream names derived from the prefix P.
//
// One work-queue stream, P_QUEUE, holds every tenant's messages under
// P.t.<tenant>.>: events at P.t.<tenant>.event.<type>, batches of events
// at P.t.<tenant>.batch and deliveries at P.t.<tenant>.delivery. Each tenant has one consumer filtering its own
// subjects, which is what lets the workers serve tenants in turn.
type names struct {
	prefix         string
	stream         string
	attemptsBucket string
	tenants        string // "P.t."
}

func newNames(prefix string) names {
	return names{
		prefix:         prefix,
		stream:         prefix + "_QUEUE",
		attemptsBucket: prefix + "_ATTEMPTS",
		tenants:        prefix + ".t.",
	}
}

func (n names) eventSubject(tenant, typ string) string { return n.tenants + tenant + ".event." + typ }
func (n names) batchSubject(tenant string) string      { return n.tenants + tenant + ".batch" }
func (n names) deliverySubject(tenant string) string   { return n.tenants + tenant + ".delivery" }
func (n names) tenantFilter(tenant string) string      { return n.tenants + tenant + ".>" }
func (n names) tenantConsumer(tenant string) string    { return n.prefix + "_tenant_" + tenant }

// messageKind is what a message in a tenant's subjects holds.
type messageKind uint8

const (
	kindDelivery messageKind = iota // one delivery (event, target)
	kindEvent                       // one event, not yet routed
	kindBatch                       // several events of the tenant, not yet routed
)

// subjectKind splits a message subject into its tenant and its kind.
func (n names) subjectKind(subject string) (tenant string, kind messageKind) {
	rest := strings.TrimPrefix(subject, n.tenants)
	tenant, rest, _ = strings.Cut(rest, ".")
	switch {
	case strings.HasPrefix(rest, "event."):
		return tenant, kindEvent
	case rest == "batch":
		return tenant, kindBatch
	}
	return tenant, kindDelivery
}

// Open connects to NATS (using cfg.Conn when set, else dialing cfg.URL,
// else starting the embedded server) and creates or updates the streams
// and the attempts bucket. On error, it has closed whatever it opened and
// left cfg.Conn open.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, log: cfg.Logger.With("component", "queue"), names: newNames(cfg.Prefix),
		coalescer: coalescer{tenants: make(map[string]*tenantPublishes)}}
	// A server in this process (the embedded one, or the host's when its
	// connection is in-process) dies with it and can lose its latest
	// consumer state: see mayHaveRun.
	if cfg.URL == "" && (cfg.Conn == nil || cfg.Conn.Opts.InProcessServer != nil) {
		q.openedAt = time.Now()
	}
	if err := q.connect(ctx); err != nil {
		q.closeConnection()
		return nil, err
	}
	if err := q.ensureStreams(ctx); err != nil {
		q.closeConnection()
		return nil, err
	}
	return q, nil
}

// mayHaveRun reports whether a fetched message may have been handled
// before: it was delivered more than once, or, on the embedded server, it
// was stored before this process opened the queue. A process killed with
// the embedded server in it can lose the server's latest consumer state
// (deliveries and acks not yet written out), so a message it handled just
// before the kill can come back as a first delivery; treating everything
// stored before the restart as redelivered sends it through the checks a
// redelivery gets (docs/queue-internals.md).
func (q *Queue) mayHaveRun(meta *jetstream.MsgMetadata) bool {
	return meta.NumDelivered > 1 || !q.openedAt.IsZero() && meta.Timestamp.Before(q.openedAt)
}

func (q *Queue) connect(ctx context.Context) error {
	if q.cfg.Conn != nil {
		return q.useHostConn(ctx)
	}
	opts := []nats.Option{
		nats.Name("kiln"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				q.log.Warn("disconnected from NATS", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { q.log.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { q.log.Warn("NATS error", "err", err) }),
	}
	url := q.cfg.URL
	if url == "" {
		srv, err := startEmbedded(q.cfg)
		if err != nil {
			return err
		}
		q.server = srv
		url = srv.ClientURL()
		opts = append(opts, nats.InProcessServer(inProcessServer{srv}))
	} else {
		opts = append(opts, q.cfg.ConnectOptions...)
	}
	var err error
	if q.conn, q.js, err = dial(url, opts); err != nil {
		return err
	}
	if err := q.checkMaxPayload(); err != nil {
		return err
	}
	q.pubConn, q.pubJS, err = dial(url, append(opts, nats.Name(q.conn.Opts.Name+"-publish")))
	return err
}

// useHostConn makes Config.Conn the connection of the workers and of the
// producers. Each role keeps a JetStream context of its own, so that one's
// asynchronous publishes do not use up the other's allowance of pending
// acknowledgements.
func (q *Queue) useHostConn(ctx context.Context) error {
	nc := q.cfg.Conn
	switch {
	case nc.IsClosed():
		return errors.New("queue: Config.Conn is closed")
	case nc.IsDraining():
		return errors.New("queue: Config.Conn is draining")
	}
	js, err := newJetStream(nc)
	if err != nil {
		return fmt.Errorf("queue: JetStream on Config.Conn: %w", err)
	}
	// A connection to a server without JetStream would fail later, at
	// the first stream request, with a less helpful error.
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("queue: JetStream does not answer on Config.Conn (%s): %w", nc.ConnectedUrlRedacted(), err)
	}
	pubJS, err := newJetStream(nc)
	if err != nil {
		return fmt.Errorf("queue: JetStream on Config.Conn: %w", err)
	}
	q.conn, q.js, q.pubConn, q.pubJS, q.hostConn = nc, js, nc, pubJS, true
	return q.checkMaxPayload()
}

// checkMaxPayload refuses a MaxPayload whose messages the server would
// refuse, and sizes batch messages to the server's limit.
func (q *Queue) checkMaxPayload() error {
	limit := q.conn.MaxPayload()
	if int64(q.cfg.MaxPayload)+envelopeOverhead > limit {
		return fmt.Errorf("queue config: MaxPayload %d plus %d bytes of envelope exceeds the server's max_payload %d", q.cfg.MaxPayload, envelopeOverhead, limit)
	}
	q.maxBatchBytes = int(min(maxBatchBytes, limit-envelopeOverhead))
	return nil
}

func dial(url string, opts []nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	conn, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s: %w", url, err)
	}
	js, err := newJetStream(conn)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("JetStream: %w", err)
	}
	return conn, js, nil
}

func newJetStream(conn *nats.Conn) (jetstream.JetStream, error) {
	return jetstream.New(conn, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(10*time.Second))
}

func (q *Queue) ensureStreams(ctx context.Context) error {
	err := retryServerErrors(ctx, func() error {
		var err error
		q.stream, err = q.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        q.names.stream,
			Description: "Kiln events and deliveries, one subject tree per tenant",
			Subjects:    []string{q.names.tenants + ">"},
			Retention:   jetstream.WorkQueuePolicy,
			Storage:     jetstream.FileStorage,
			Replicas:    q.cfg.Replicas,
			Duplicates:  q.cfg.DedupeWindow,
			Discard:     jetstream.DiscardOld,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("create stream %s: %w", q.names.stream, err)
	}
	err = retryServerErrors(ctx, func() error {
		var err error
		q.attempts, err = q.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      q.names.attemptsBucket,
			Description: "Kiln: failed attempts of deliveries still being retried",
			History:     1,
			TTL:         q.cfg.AttemptsTTL,
			Storage:     jetstream.FileStorage,
			Replicas:    q.cfg.Replicas,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", q.names.attemptsBucket, err)
	}
	return nil
}

// retryServerErrors calls f again, a few times, while it fails with an
// error the server reports as its own (HTTP-like code 500 and up): an older
// nats-server can fail a stream creation that races with another stream's
// deletion ("error creating store for stream").
func retryServerErrors(ctx context.Context, f func() error) error {
	wait := 50 * time.Millisecond
	for try := 1; ; try++ {
		err := f()
		var apiErr *jetstream.APIError
		if err == nil || try == 5 || !errors.As(err, &apiErr) || apiErr.Code < 500 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Replay enqueues a dead-lettered delivery again with a fresh attempt count.
// The new delivery's id is d's base id ("<event>:<target>") followed by
// ":r<unique>", so neither the dedupe window nor the handler's idempotency
// drops it. It returns the new id.
func (q *Queue) Replay(ctx context.Context, d Delivery) (string, error) {
	if !validToken(d.Event.Tenant, 128) || !validID(d.Target) || !validID(d.Event.ID) {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "replay needs the delivery's event (id, tenant) and target")
	}
	ev := d.Event
	if len(ev.Payload) == 0 {
		ev.Payload = json.RawMessage("null")
	} else if !json.Valid(ev.Payload) {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "replay: the event's payload is not valid JSON")
	}
	retry := d.Retry
	if retry.isZero() {
		retry = q.cfg.Retry
	}
	event := appendEvent(nil, &ev)
	id := d.Event.ID + ":" + d.Target + ":r" + nats.NewInbox()[len(nats.InboxPrefix):]
	msg := &nats.Msg{
		Subject: q.names.deliverySubject(d.Event.Tenant),
		Data:    appendEnvelope(nil, id, d.Target, retry, event),
		Header:  nats.Header{jetstream.MsgIDHeader: []string{tenantKey(d.Event.Tenant, id)}},
	}
	if err := q.publishSync(ctx, msg); err != nil {
		return "", fmt.Errorf("%w: %w", kilntype.Errorf(kilntype.EUnavailable, "replay of %s was not stored", d.ID), err)
	}
	q.counters.replayed.Add(1)
	q.signalTenant(d.Event.Tenant)
	return id, nil
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	s := Stats{
		Published:          q.counters.published.Load(),
		Batches:            q.counters.batches.Load(),
		BatchesRedelivered: q.counters.redelivered.Load(),
		Dispatched:         q.counters.dispatched.Load(),
		Unrouted:           q.counters.unrouted.Load(),
		Succeeded:          q.counters.succeeded.Load(),
		Failed:             q.counters.failed.Load(),
		DeadLettered:       q.counters.deadLettered.Load(),
		Replayed:           q.counters.replayed.Load(),
		Interrupted:        q.counters.interrupted.Load(),
	}
	q.mu.Lock()
	r := q.run
	q.mu.Unlock()
	if r != nil {
		r.sched.stats(&s)
	}
	return s
}

// ClientURL is where other processes reach the embedded server when Config
// Listen is set, else the external URL (or "" for an in-process-only
// embedded server, and for the host's Config.Conn, whose server the host
// knows).
func (q *Queue) ClientURL() string {
	if q.server == nil {
		return q.cfg.URL
	}
	if q.cfg.Listen == "" {
		return ""
	}
	return q.server.ClientURL()
}

// JetStream is the queue's JetStream handle, for other coordination on the
// same server (the cron scheduler's leases).
func (q *Queue) JetStream() jetstream.JetStream { return q.js }

// Prefix is the queue's subject and stream name prefix.
func (q *Queue) Prefix() string { return q.cfg.Prefix }

// Close stops the workers (waiting up to Config.ShutdownTimeout for running
// handlers), then closes the connections and the embedded server. The
// host's Config.Conn stays open: Close flushes the queue's last writes on
// it and ends the queue's subscriptions. It is safe to call more than once.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), q.cfg.ShutdownTimeout)
	defer cancel()
	err := q.Stop(ctx)
	q.closeConnection()
	return err
}

func (q *Queue) closeConnection() {
	for _, c := range []struct {
		conn *nats.Conn
		js   jetstream.JetStream
	}{{q.pubConn, q.pubJS}, {q.conn, q.js}} {
		if c.conn == nil {
			continue
		}
		select {
		case <-c.js.PublishAsyncComplete():
		case <-time.After(5 * time.Second):
		}
		if q.hostConn {
			// Drop the reply subscription of the asynchronous publishes
			// and send the last acks and naks before the host may
			// close its connection.
			c.js.CleanupPublisher()
			if err := c.conn.FlushTimeout(5 * time.Second); err != nil && !c.conn.IsClosed() {
				q.log.Warn("flush the host's NATS connection at close", "err", err)
			}
			continue
		}
		c.conn.Close()
	}
	if q.server != nil {
		q.server.Shutdown()
		q.server.WaitForShutdown()
	}
}

// signalTenant tells this process's workers that tenant has new messages.
// Other nodes find them at their next scan, or at once when they are
// already fetching from that tenant.
func (q *Queue) signalTenant(tenant string) {
	q.mu.Lock()
	r := q.run
	q.mu.Unlock()
	if r != nil {
		r.sched.markReady(tenant)
	}
}
