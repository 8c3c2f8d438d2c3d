// Package kiln is Kiln's core, the client a Go host embeds: it opens the
// store, the VM pool, the event queue and the cron scheduler, and offers one
// method per operation — tenants and keys, scripts and their versions, Run
// (behind every trigger), Publish, dead letters, executions and secrets.
//
//	k, err := kiln.New(kiln.Config{DataDir: "./kiln-data"})
//	…
//	err = k.Start(ctx)
//	defer k.Stop(ctx)
//	res, err := k.Run(ctx, kiln.RunParams{TenantSlug: "acme", ScriptName: "price-order",
//		Trigger: kilntype.TriggerEmbedded, Input: order})
//
// The HTTP API (package http/api), the CLI and every trigger are adapters
// over these methods; business rules live here. Domain types are in the
// leaf package kilntype. docs/embedding.md and docs/architecture.md tell
// the rest.
package kiln

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/schedule"
	"github.com/kiln-run/kiln/sdk"
	"github.com/kiln-run/kiln/secrets"
	"github.com/kiln-run/kiln/store"
	"github.com/kiln-run/kiln/store/postgres"
	"github.com/kiln-run/kiln/store/sqlite"
)

// Client is a Kiln: store, engine, VM pool, recorder, event queue and cron.
// It is safe for concurrent use. Build it with New, run it with Start, and
// end it with Stop.
type Client struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	engine   *engine.Engine
	recorder *recorder
	runner   *runner
	pool     *pool.Pool
	outbound *outbound.Client
	queue    *queue.Queue
	secrets  *secrets.Box
	cron     *schedule.Scheduler
	events   *eventRouter
	catalog  *catalog
	metrics  *metrics
	routes   *routeTable
	tracing  *tracing // nil: tracing off
	tasks    *taskRuntime

	opMu   sync.RWMutex
	opHash string // the operator key's SHA-256, hex; "" while there is none

	startOnce sync.Once
	stopOnce  sync.Once
	bg        sync.WaitGroup
	bgStop    chan struct{}
}

// New opens the store (running its migrations), the engine, the VM pool and
// the event queue, and returns a Client ready to Start. Whatever it opened
// is closed again if a later step fails.
func New(cfg Config, opts ...Option) (c *Client, err error) {
	for _, o := range opts {
		o(&cfg)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.OpenTimeout)
	defer cancel()
	log := cfg.Logger
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	tr, err := newTracing(ctx, cfg, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	undo = append(undo, func() { _ = tr.shutdown(context.Background()) })
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = st.Close() })
	outCfg := cfg.Outbound
	outCfg.Allow = append(slices.Clone(outCfg.Allow), cfg.HTTPAllow...)
	if tr != nil && tr.propagate {
		outCfg.InjectHeaders = tr.injectHeaders
	}
	client, err := outbound.New(outCfg)
	if err != nil {
		return nil, fmt.Errorf("outbound requests: %w", err)
	}
	undo = append(undo, func() { _ = client.Close() })
	box, err := openSecrets(cfg)
	if err != nil {
		return nil, err
	}
	c = &Client{cfg: cfg, log: log, store: st, outbound: client, secrets: box, tracing: tr, bgStop: make(chan struct{})}
	publish := func(ctx context.Context, tenantID, typ string, payload json.RawMessage) (string, error) {
		return c.publish(ctx, tenantID, typ, payload, "")
	}
	limiter := newHostCallLimiter(c)
	modules := sdk.Modules(sdk.ModulesConfig{Store: st, DB: sdk.DBOptions{Collections: cfg.Collections},
		Secrets: box, Outbound: client, Publish: publish})
	hostModule, err := cfg.hostModule()
	if err != nil {
		return nil, err
	}
	if hostModule != nil {
		modules = append(modules, *hostModule)
	}
	engCfg := engine.Config{Timeout: cfg.Timeout, MemoryLimit: cfg.MemoryBytes, OutputBytes: cfg.OutputBytes,
		Clock: cfg.Clock, Random: cfg.Random, HostCallGuard: limiter.guard,
		Fetch: sdk.Fetch(client), Modules: modules, ManageHeapLimit: cfg.ManageHeapLimit}
	if tr != nil {
		engCfg.OnHostCall = tr.hostCall
	}
	eng, err := engine.New(engCfg)
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = eng.Close() })
	c.engine = eng
	if err := c.loadOperatorKey(ctx); err != nil {
		return nil, fmt.Errorf("operator key: %w", err)
	}
	c.recorder = newRecorder(st, log, recordInterval)
	undo = append(undo, c.recorder.close)
	c.metrics = newMetrics()
	poolCfg := cfg.Pool
	poolCfg.ObserveWait = c.metrics.observeWait
	if c.pool, err = pool.New(eng, poolCfg); err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	undo = append(undo, c.pool.Close)
	c.metrics.observePool(c.pool)
	c.runner = newRunner(eng, c.pool, c.recorder, c.metrics, cfg)
	c.catalog = newCatalog(st, c.pool)
	c.tasks = newTaskRuntime(c)
	undo = append(undo, c.tasks.stopCommits)
	c.runner.store = st
	if err := c.catalog.loadTenants(ctx); err != nil {
		return nil, fmt.Errorf("load tenants: %w", err)
	}
	c.routes = newRouteTable()
	if err := c.routes.load(ctx, st); err != nil {
		return nil, fmt.Errorf("load HTTP routes: %w", err)
	}
	c.events = newEventRouter(st)
	qcfg := cfg.Queue
	qcfg.URL, qcfg.Conn, qcfg.Logger = cfg.NATS, cfg.NATSConn, log
	if qcfg.URL == "" && qcfg.Conn == nil {
		qcfg.DataDir = filepath.Join(cfg.DataDir, "jetstream")
	}
	if c.queue, err = queue.Open(ctx, qcfg); err != nil {
		return nil, fmt.Errorf("event queue: %w", err)
	}
	undo = append(undo, func() { _ = c.queue.Close() })
	return c, nil
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	logTo := store.WithLogger(cfg.Logger)
	switch {
	case cfg.SQLiteDB != nil:
		st, err := sqlite.OpenDB(ctx, cfg.SQLiteDB, logTo)
		if err != nil {
			return nil, fmt.Errorf("open the host's SQLite database: %w", err)
		}
		return st, nil
	case cfg.PostgresDB != nil:
		st, err := postgres.OpenDB(ctx, cfg.PostgresDB, logTo)
		if err != nil {
			return nil, fmt.Errorf("open the host's PostgreSQL database: %w", err)
		}
		return st, nil
	case cfg.PostgresPool != nil:
		st, err := postgres.OpenPool(ctx, cfg.PostgresPool, logTo)
		if err != nil {
			return nil, fmt.Errorf("open the host's PostgreSQL pool: %w", err)
		}
		return st, nil
	case cfg.DB != "":
		st, err := postgres.Open(ctx, cfg.DB, logTo)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return st, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "kiln.db"), logTo)
	if err != nil {
		return nil, fmt.Errorf("open SQLite in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

func openSecrets(cfg Config) (*secrets.Box, error) {
	key, err := secrets.LoadKey(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	return box, nil
}

// Start runs the event queue's workers, the cron scheduler and the
// retention sweep. Call it once.
func (c *Client) Start(ctx context.Context) error {
	var err error = kilntype.Errorf(kilntype.EConflict, "kiln: Start was called twice")
	c.startOnce.Do(func() {
		err = nil
		if e := c.queue.Start(ctx, c.events, c.deliverEvent, c.deadLetter); e != nil {
			err = fmt.Errorf("start the event queue: %w", e)
			return
		}
		if e := c.startCron(ctx); e != nil {
			err = fmt.Errorf("start the cron scheduler: %w", e)
			return
		}
		if e := c.tasks.start(ctx); e != nil {
			err = fmt.Errorf("resume durable tasks: %w", e)
			return
		}
		c.bg.Add(1)
		go c.retentionLoop()
		c.log.Info("kiln is running", "store", c.StoreName())
	})
	return err
}

// StoreName says which store the client uses, for logs.
func (c *Client) StoreName() string {
	switch {
	case c.cfg.SQLiteDB != nil:
		return "sqlite (the host's handle)"
	case c.cfg.PostgresDB != nil || c.cfg.PostgresPool != nil:
		return "postgres (the host's handle)"
	case c.cfg.DB != "":
		return "postgres"
	}
	return "sqlite:" + filepath.Join(c.cfg.DataDir, "kiln.db")
}

// Ping reports whether the store answers with its migrations applied.
func (c *Client) Ping(ctx context.Context) error { return c.store.Ping(ctx) }

// Config returns the client's configuration, defaults filled.
func (c *Client) Config() Config { return c.cfg }

// Context returns a context that ends when Stop stops waiting for running
// executions and cancels them. A host that derives the contexts it passes
// to Run from it — as kiln serve does for its HTTP requests, through
// http.Server.BaseContext — saves each run a watch of its own; any other
// context works as well. (A context cut from its cancellation with
// context.WithoutCancel and then given a deadline of its own counts as
// derived: Stop waits for such a run until that deadline.)
func (c *Client) Context() context.Context { return c.runner.ctx }

// Stop shuts down gracefully: stop the scheduler and the queue, let running
// executions finish (or cancel and record them at ShutdownTimeout), write
// pending records, close the store, flush the spans of the tracer
// provider Kiln made from the OTEL_* environment. A database handle or
// NATS connection the host gave (Config.SQLiteDB, PostgresDB,
// PostgresPool, NATSConn) stays open and a host's TracerProvider runs on:
// the host closes them after Stop.
func (c *Client) Stop(ctx context.Context) error {
	var err error
	c.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.ShutdownTimeout)
		defer cancel()
		close(c.bgStop)
		// Event handlers and scheduled runs use the runner: stop the
		// scheduler and the queue (each waits for its runs, then cancels)
		// before the runner.
		if c.cron != nil {
			err = errors.Join(err, c.cron.Stop(ctx))
		}
		err = errors.Join(err, c.queue.Stop(ctx))
		c.tasks.stop(ctx)
		c.runner.shutdown(ctx)
		_ = c.queue.Close()
		c.recorder.close()
		c.bg.Wait()
		c.pool.Close()
		_ = c.engine.Close()
		_ = c.outbound.Close()
		err = errors.Join(err, c.store.Close())
		// Every execution has ended its span: flush them (a host's
		// provider is the host's to flush).
		if e := c.tracing.shutdown(ctx); e != nil {
			c.log.Warn("flushing trace spans", "err", e)
		}
	})
	return err
}

// retentionLoop deletes old execution records hourly (and once at start).
// It also sweeps expired iota.cache entries every minute, returning their
// bytes to the tenants' cache quotas.
func (c *Client) retentionLoop() {
	defer c.bg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	c.applyRetention()
	for n := 1; ; n++ {
		select {
		case <-c.bgStop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := c.store.CacheSweep(ctx, time.Now()); err != nil {
			c.log.Warn("sweeping expired cache entries", "err", err)
		}
		cancel()
		if n%60 == 0 {
			c.applyRetention()
		}
	}
}

func (c *Client) applyRetention() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tenants, err := c.store.TenantList(ctx)
	if err != nil {
		c.log.Error("retention: list tenants", "err", err)
		return
	}
	for _, t := range tenants {
		retention := c.cfg.Retention
		if t.Settings.RetentionDays > 0 {
			retention = time.Duration(t.Settings.RetentionDays) * 24 * time.Hour
		}
		if n, err := c.store.ExecutionDeleteBefore(ctx, t.ID, time.Now().Add(-retention)); err != nil {
			c.log.Error("retention: delete executions", "tenant", t.Slug, "err", err)
		} else if n > 0 {
			c.log.Info("retention: deleted old executions", "tenant", t.Slug, "count", n)
		}
	}
}

// discardLogger is the logger of a client given none.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
