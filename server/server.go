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
	return a, nil
}

// Client is the server's core, for tests and hosts that wire more around
// it.
func (a *App) Client() *kiln.Client { return a.client }

// Start binds the listener — before anything else, so that a busy port
// fails here and never swallows an operator key that is shown only once —
// then makes sure there is an operator key, starts the client and serves.
func (a *App) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "address already in use") {
			hint = "; another process uses it — stop it or choose another address with --addr (or KILN_ADDR)"
		}
		return fmt.Errorf("listen on %s: %w%s", a.cfg.Addr, err, hint)
	}
	if err := a.client.EnsureOperatorKey(ctx, a.out); err != nil {
		_ = ln.Close()
		return fmt.Errorf("operator key: %w", err)
	}
	if err := a.client.Start(ctx); err != nil {
		_ = ln.Close()
		return err
	}
	a.listener = ln
	go func() {
		if err := a.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP server stopped", "err", err)
		}
	}()
	a.log.Info("kiln is serving", "addr", ln.Addr().String(), "store", a.client.StoreName())
	return nil
}

// Handler is the server's HTTP handler — API, /run, metrics and the admin
// UI.
func (a *App) Handler() http.Handler { return a.api }

// Addr is the address the server listens on (after Start).
func (a *App) Addr() string {
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

// Stop shuts down gracefully: stop accepting, then stop the client (which
// lets running executions finish, or cancels and records them at the
// shutdown timeout).
func (a *App) Stop(ctx context.Context) error {
	// One deadline for both: requests still waiting on their runs at the
	// deadline end when the client cancels those runs.
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ShutdownTimeout)
	defer cancel()
	var err error
	if a.listener != nil {
		err = a.server.Shutdown(ctx)
	}
	return errors.Join(err, a.client.Stop(ctx))
}
