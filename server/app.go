package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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

// App is a running Kiln server: store, engine, recorder, HTTP API and
// triggers. cmd/kiln and the end-to-end tests both build it with New.
type App struct {
	cfg          Config
	log          *slog.Logger
	store        store.Store
	engine       *engine.Engine
	recorder     *recorder
	runner       *runner
	pool         *pool.Pool
	outbound     *outbound.Client
	queue        *queue.Queue
	secrets      *secrets.Box
	cron         *schedule.Scheduler
	redactor     *sdk.Redactor
	events       *eventRouter
	catalog      *catalog
	metrics      *metrics
	routes       *routeTable
	operatorHash string

	listener net.Listener
	server   *http.Server
	stopOnce sync.Once
	bg       sync.WaitGroup
	bgStop   chan struct{}
}

// New opens the store (running migrations), prepares the operator key and
// builds the server. out receives the one-time operator key notice.
func New(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (app *App, err error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Whatever is opened is closed again, newest first, if a later step
	// fails.
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = st.Close() })
	outCfg := cfg.Outbound
	outCfg.Allow = append(slices.Clone(outCfg.Allow), cfg.HTTPAllow...)
	client, err := outbound.New(outCfg)
	if err != nil {
		return nil, fmt.Errorf("outbound requests: %w", err)
	}
	undo = append(undo, func() { _ = client.Close() })
	key, err := secrets.LoadKey(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, fmt.Errorf("secrets key: %w", err)
	}
	a := &App{cfg: cfg, log: log, store: st, outbound: client, secrets: box, redactor: sdk.NewRedactor(), bgStop: make(chan struct{})}
	publish := func(ctx context.Context, tenantID, typ string, payload json.RawMessage) (string, error) {
		return a.publishEvent(ctx, tenantID, typ, payload, "")
	}
	limiter := newHostCallLimiter(a)
	eng, err := engine.New(engine.Config{Timeout: cfg.Timeout, MemoryLimit: cfg.MemoryBytes, OutputBytes: cfg.OutputBytes,
		HostCallGuard: limiter.guard,
		Fetch:         sdk.Fetch(client),
		Modules: append([]engine.Module{sdk.HTTPModule(client), sdk.EventsModule(publish),
			sdk.DBModule(st, sdk.DBOptions{Collections: cfg.Collections}), sdk.CacheModule(st, sdk.CacheOptions{}),
			sdk.SecretsModule(st, box, a.redactor.Record), sdk.LogModule()}, cfg.Modules...)})
	if err != nil {
		return nil, err
	}
	undo = append(undo, func() { _ = eng.Close() })
	a.engine = eng
	if err := a.setupOperatorKey(ctx, out); err != nil {
		return nil, err
	}
	a.recorder = newRecorder(st, log, recordInterval)
	undo = append(undo, a.recorder.close)
	a.metrics = newMetrics()
	poolCfg := cfg.Pool
	poolCfg.ObserveWait = a.metrics.observeWait
	if a.pool, err = pool.New(eng, poolCfg); err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	undo = append(undo, a.pool.Close)
	a.metrics.observePool(a.pool)
	a.runner = newRunner(eng, a.pool, a.recorder, a.metrics, a.redactor, cfg)
	a.catalog = newCatalog(st, a.pool)
	if err := a.catalog.loadTenants(ctx); err != nil {
		return nil, fmt.Errorf("load tenants: %w", err)
	}
	a.routes = newRouteTable()
	if err := a.routes.load(ctx, st); err != nil {
		return nil, fmt.Errorf("load HTTP routes: %w", err)
	}
	a.events = newEventRouter(st)
	qcfg := cfg.Queue
	qcfg.URL, qcfg.Logger = cfg.NATS, log
	if qcfg.Workers == 0 {
		// A delivery's worker mostly waits: for a pool slot (which bounds
		// the JavaScript running at once) and for its execution record to
		// be durable (group commit). Measured on 2 cores: 16 workers gave
		// 3,000 events/s, 256 gave 12,700, 1,024 no more.
		qcfg.Workers = 128 * runtime.GOMAXPROCS(0)
	}
	if qcfg.URL == "" {
		qcfg.DataDir = filepath.Join(cfg.DataDir, "jetstream")
	}
	if a.queue, err = queue.Open(ctx, qcfg); err != nil {
		return nil, fmt.Errorf("event queue: %w", err)
	}
	undo = append(undo, func() { _ = a.queue.Close() })
	a.server = &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DB != "" {
		st, err := postgres.Open(ctx, cfg.DB)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
		return st, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder %s: %w", cfg.DataDir, err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "kiln.db"))
	if err != nil {
		return nil, fmt.Errorf("open SQLite in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

const operatorKeySetting = "operator_key_hash"

// setupOperatorKey stores the configured key's hash, or on first start
// generates a key and prints it once. Only the hash is ever stored.
func (a *App) setupOperatorKey(ctx context.Context, out io.Writer) error {
	if a.cfg.OperatorKey != "" {
		a.operatorHash = hashKey(a.cfg.OperatorKey)
		return a.store.SettingPut(ctx, operatorKeySetting, a.operatorHash)
	}
	h, err := a.store.SettingGet(ctx, operatorKeySetting)
	if err == nil {
		a.operatorHash = h
		return nil
	}
	if kilntype.ErrorCode(err) != kilntype.ENotFound {
		return err
	}
	secret := newSecret()
	a.operatorHash = hashKey(secret)
	if err := a.store.SettingPut(ctx, operatorKeySetting, a.operatorHash); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nKiln generated an operator key. It is shown only this once; store it safely:\n\n    %s\n\nSet KILN_OPERATOR_KEY to choose your own.\n\n", secret)
	return nil
}

// Start listens on the configured address and serves in the background.
func (a *App) Start(ctx context.Context) error {
	if err := a.queue.Start(ctx, a.events, a.deliverEvent, a.deadLetter); err != nil {
		return fmt.Errorf("start the event queue: %w", err)
	}
	if err := a.startCron(ctx); err != nil {
		return fmt.Errorf("start the cron scheduler: %w", err)
	}
	a.bg.Add(1)
	go a.retentionLoop()
	if a.cfg.NoListen {
		a.log.Info("kiln is running without a listener", "store", a.storeName())
		return nil
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.listener = ln
	go func() {
		if err := a.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP server stopped", "err", err)
		}
	}()
	a.log.Info("kiln is serving", "addr", ln.Addr().String(), "store", a.storeName())
	return nil
}

// Handler is the server's HTTP handler — API, /run, metrics and the admin
// UI — for a host that serves it from its own mux.
func (a *App) Handler() http.Handler { return a.server.Handler }

func (a *App) storeName() string {
	if a.cfg.DB != "" {
		return "postgres"
	}
	return "sqlite:" + filepath.Join(a.cfg.DataDir, "kiln.db")
}

// Addr is the address the server listens on (after Start), or "" with
// NoListen.
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Stop shuts down gracefully: stop accepting, let running executions finish
// (or cancel and record them at the deadline), write pending records, close
// the store.
func (a *App) Stop(ctx context.Context) error {
	var err error
	a.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownTimeout)
		defer cancel()
		close(a.bgStop)
		if a.listener != nil {
			err = a.server.Shutdown(ctx)
		}
		// Event handlers and scheduled runs use the runner: stop the
		// scheduler and the queue (each waits for its runs, then cancels)
		// before the runner.
		if a.cron != nil {
			err = errors.Join(err, a.cron.Stop(ctx))
		}
		err = errors.Join(err, a.queue.Stop(ctx))
		a.runner.shutdown(ctx)
		_ = a.queue.Close()
		a.recorder.close()
		a.bg.Wait()
		a.pool.Close()
		_ = a.engine.Close()
		_ = a.outbound.Close()
		err = errors.Join(err, a.store.Close())
	})
	return err
}

// retentionLoop deletes old execution records hourly (and once at start).
// It also sweeps expired iota.cache entries every minute, returning their
// bytes to the tenants' cache quotas.
func (a *App) retentionLoop() {
	defer a.bg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	a.applyRetention()
	for n := 1; ; n++ {
		select {
		case <-a.bgStop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := a.store.CacheSweep(ctx, time.Now()); err != nil {
			a.log.Warn("sweeping expired cache entries", "err", err)
		}
		cancel()
		if n%60 == 0 {
			a.applyRetention()
		}
	}
}

func (a *App) applyRetention() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tenants, err := a.store.TenantList(ctx)
	if err != nil {
		a.log.Error("retention: list tenants", "err", err)
		return
	}
	for _, t := range tenants {
		retention := a.cfg.Retention
		if t.Settings.RetentionDays > 0 {
			retention = time.Duration(t.Settings.RetentionDays) * 24 * time.Hour
		}
		if n, err := a.store.ExecutionDeleteBefore(ctx, t.ID, time.Now().Add(-retention)); err != nil {
			a.log.Error("retention: delete executions", "tenant", t.Slug, "err", err)
		} else if n > 0 {
			a.log.Info("retention: deleted old executions", "tenant", t.Slug, "count", n)
		}
	}
}
