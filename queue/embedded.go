package queue

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startEmbedded starts a JetStream-enabled NATS server in this process,
// storing its files under cfg.DataDir/jetstream. Without cfg.Listen it opens
// no socket: the queue connects to it in-process.
func startEmbedded(cfg Config) (*server.Server, error) {
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("queue data dir %q: %w", cfg.DataDir, err)
	}
	opts := &server.Options{
		ServerName:   "kiln",
		JetStream:    true,
		StoreDir:     dir,
		NoSigs:       true,
		MaxPayload:   int32(max(cfg.MaxPayload+envelopeOverhead, 1<<20)),
		SyncInterval: cfg.SyncInterval,
		SyncAlways:   cfg.SyncAlways,
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, _ := net.SplitHostPort(cfg.Listen) // Validate checked it
		opts.Host = host
		opts.Port, _ = strconv.Atoi(port)
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	srv.SetLoggerV2(serverLogger{cfg.Logger.With("component", "nats-server")}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded NATS server in %s did not start within 30s", dir)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("embedded NATS server in %s started without JetStream (see its log)", dir)
	}
	return srv, nil
}

// serverLogger sends the embedded server's log lines to slog. Its notices
// are chatty start-up banners, so they go out at debug level.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l serverLogger) Debugf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l serverLogger) Tracef(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
