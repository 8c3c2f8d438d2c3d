// Package server is `kiln serve`: a kiln.Client, its HTTP adapter
// (http/api) and a listener. cmd/kiln is a thin main over it, and the
// end-to-end tests start the same App on a random port.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/http/api"
)

// Config is everything `kiln serve` can be told: the core's Config and the
// listener's settings. Precedence, written once: flags > environment
// (KILN_*) > config file (--config, JSON) > defaults.
type Config struct {
	// Addr is where the server listens. Default "127.0.0.1:8080".
	Addr string `json:"addr"`
	// MetricsAddr, if set, is a second listener (host:port) that serves
	// GET /metrics without a key, and nothing else, for Prometheus. The
	// metrics name every tenant, so bind it where only the scraper reaches
	// it. The main listener's /metrics needs the operator key either way.
	// Default empty: no second listener.
	MetricsAddr string `json:"metricsAddr"`
	// MaxBodyBytes caps HTTP request bodies (API and /run). Default 1 MiB.
	MaxBodyBytes int64 `json:"maxBodyBytes"`
	kiln.Config
}

// WithDefaults fills every unset field.
func (c Config) WithDefaults() Config {
	c.Config = c.Config.WithDefaults()
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	return c
}

// Validate explains the first setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q is not host:port (for example 127.0.0.1:8080)", c.Addr)
	}
	if c.MetricsAddr != "" {
		_, port, err := net.SplitHostPort(c.MetricsAddr)
		if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
			return fmt.Errorf("the metrics address %q (--metrics-addr, KILN_METRICS_ADDR or metricsAddr) is not host:port (for example 10.0.0.5:9091); leave it empty to scrape /metrics on --addr with the operator key", c.MetricsAddr)
		}
		if c.MetricsAddr == c.Addr && port != "0" {
			return fmt.Errorf("the metrics address %q is the main address: give the metrics listener an address of its own, or leave it empty to scrape /metrics on %s with the operator key", c.MetricsAddr, c.Addr)
		}
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max body size %d bytes is too small: use at least 1 KiB", c.MaxBodyBytes)
	}
	return c.Config.Validate()
}

// App is a running Kiln server.
type App struct {
	cfg      Config
	log      *slog.Logger
	out      io.Writer
	client   *kiln.Client
	api      *api.API
	server   *http.Server
	listener net.Listener
	// The metrics listener (Config.MetricsAddr); nil without one.
	metricsServer   *http.Server
	metricsListener net.Listener
}

// New builds the server: the client (store, pool, queue) and the HTTP
// adapter. out receives the one-time operator key notice at Start.
func New(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*App, error) {
	cfg.Logger = log
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, err := kiln.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: cfg.Logger, out: out, client: client, api: api.New(client, api.Options{MaxBodyBytes: cfg.MaxBodyBytes})}
	// Requests' contexts end when the client cancels its runs at
	// shutdown, so a run needs no watch of its own (Client.Context).
	a.server = &http.Server{Handler: a.api, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return a.client.Context() }}
	if cfg.MetricsAddr != "" {
		a.metricsServer = &http.Server{Handler: a.api.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
	}
	return a, nil
}

// Client is the server's core, for tests and hosts that wire more around
// it.
func (a *App) Client() *kiln.Client { return a.client }

// Start binds the listeners — before anything else, so that a busy port
// fails here and never swallows an operator key that is shown only once —
// then makes sure there is an operator key, starts the client and serves.
func (a *App) Start(ctx context.Context) error {
	ln, err := listen(a.cfg.Addr, "--addr (or KILN_ADDR)")
	if err != nil {
		return err
	}
	var metricsLn net.Listener
	if a.metricsServer != nil {
		if metricsLn, err = listen(a.cfg.MetricsAddr, "--metrics-addr (or KILN_METRICS_ADDR)"); err != nil {
			_ = ln.Close()
			return err
		}
	}
	closeAll := func() {
		_ = ln.Close()
		if metricsLn != nil {
			_ = metricsLn.Close()
		}
	}
	if err := a.client.EnsureOperatorKey(ctx, a.out); err != nil {
		closeAll()
		return fmt.Errorf("operator key: %w", err)
	}
	if err := a.client.Start(ctx); err != nil {
		closeAll()
		return err
	}
	a.listener, a.metricsListener = ln, metricsLn
	a.serve(a.server, ln, "HTTP server stopped")
	attrs := []any{"addr", ln.Addr().String(), "store", a.client.StoreName()}
	if metricsLn != nil {
		a.serve(a.metricsServer, metricsLn, "metrics listener stopped")
		attrs = append(attrs, "metrics", metricsLn.Addr().String())
	}
	a.log.Info("kiln is serving", attrs...)
	return nil
}

// listen binds addr; flag names the setting to change when it is taken.
func listen(addr, flag string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "address already in use") {
			hint = "; another process uses it — stop it or choose another address with " + flag
		}
		return nil, fmt.Errorf("listen on %s: %w%s", addr, err, hint)
	}
	return ln, nil
}

// serve runs srv on ln until Stop.
func (a *App) serve(srv *http.Server, ln net.Listener, stopped string) {
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error(stopped, "err", err)
		}
	}()
}

// Handler is the server's HTTP handler — API, /run, metrics (operator
// key) and the admin UI.
func (a *App) Handler() http.Handler { return a.api }

// Addr is the address the server listens on (after Start).
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// MetricsAddr is the address the metrics listener listens on (after
// Start), or "" without one.
func (a *App) MetricsAddr() string {
	if a.metricsListener == nil {
		return ""
	}
	return a.metricsListener.Addr().String()
}

// Stop shuts down gracefully: stop accepting, then stop the client (which
// lets running executions finish, or cancels and records them at the
// shutdown timeout).
func (a *App) Stop(ctx context.Context) error {
	// One deadline for both: requests still waiting on their runs at the
	// deadline end when the client cancels those runs.
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownTimeout)
	defer cancel()
	var err, metricsErr error
	if a.listener != nil {
		err = a.server.Shutdown(ctx)
	}
	if a.metricsListener != nil {
		metricsErr = a.metricsServer.Shutdown(ctx)
	}
	return errors.Join(err, metricsErr, a.client.Stop(ctx))
}
