package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/pool"
	"github.com/kiln-run/kiln/server"
)

func newServeCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		addr, data, db, nats, configFile, httpAllow string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Kiln server: API, HTTP scripts and admin UI",
		Long: `Run the Kiln server. With no flags it listens on 127.0.0.1:8080 and keeps
everything under ./kiln-data (an SQLite database).

Settings come from, in order of precedence: flags, environment variables
(KILN_ADDR, KILN_DATA, KILN_DB, KILN_NATS, KILN_OPERATOR_KEY, KILN_HTTP_ALLOW,
KILN_SECRET_KEY), a JSON config file
(--config), and defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := resolveServeConfig(configFile, os.LookupEnv, map[string]*string{
				"addr": flagIf(cmd, "addr", addr), "data": flagIf(cmd, "data", data), "db": flagIf(cmd, "db", db), "nats": flagIf(cmd, "nats", nats),
				"http-allow": flagIf(cmd, "http-allow", httpAllow)})
			if err != nil {
				return err
			}
			tuneGC(os.LookupEnv)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewTextHandler(stderr, nil))
			app, err := server.New(ctx, cfg, log, stderr)
			if err != nil {
				return usagef("%v", err)
			}
			if err := app.Start(ctx); err != nil {
				_ = app.Stop(context.Background())
				return err
			}
			fmt.Fprintf(stdout, "kiln is serving on http://%s\n", app.Addr())
			<-ctx.Done()
			log.Info("shutting down")
			return app.Stop(context.Background())
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "", "address to listen on (default 127.0.0.1:8080; env KILN_ADDR)")
	cmd.Flags().StringVar(&data, "data", "", "data folder for the embedded database (default ./kiln-data; env KILN_DATA)")
	cmd.Flags().StringVar(&db, "db", "", "a postgres:// URL to use PostgreSQL instead of SQLite (env KILN_DB)")
	cmd.Flags().StringVar(&nats, "nats", "", "a nats:// URL of an external NATS (JetStream) for the event queue; default: embedded (env KILN_NATS)")
	cmd.Flags().StringVar(&httpAllow, "http-allow", "", "private addresses scripts may reach, comma-separated: host:port or CIDR, e.g. 127.0.0.1:9000,10.1.2.0/24 (env KILN_HTTP_ALLOW)")
	cmd.Flags().StringVar(&configFile, "config", "", "a JSON config file (see docs/server.md)")
	return cmd
}

// tuneGC lets the server's garbage collector run a quarter as often as Go's
// default (GOGC=400), which took a fifth off the CPU each HTTP request
// costs (docs/benchmarks.md), and caps the heap softly at half the
// machine's memory (GOMEMLIMIT) so the larger headroom cannot run the
// machine out of memory. GOGC and GOMEMLIMIT in the environment win.
func tuneGC(lookup func(string) (string, bool)) {
	if _, ok := lookup("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	if _, ok := lookup("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(pool.SystemMemory() / 2)
	}
}

// flagIf returns &value if the flag was given, else nil.
func flagIf(cmd *cobra.Command, name, value string) *string {
	if cmd.Flags().Changed(name) {
		return &value
	}
	return nil
}

// resolveServeConfig applies, lowest first: defaults (later, in server),
// the config file, the environment, the flags that were given.
func resolveServeConfig(file string, lookup func(string) (string, bool), flags map[string]*string) (server.Config, error) {
	cfg, err := loadServeConfig(file)
	if err != nil {
		return cfg, err
	}
	for name, dst := range map[string]*string{"KILN_ADDR": &cfg.Addr, "KILN_DATA": &cfg.DataDir, "KILN_DB": &cfg.DB, "KILN_NATS": &cfg.NATS, "KILN_OPERATOR_KEY": &cfg.OperatorKey, "KILN_SECRET_KEY": &cfg.SecretKey} {
		if v, ok := lookup(name); ok && v != "" {
			*dst = v
		}
	}
	for name, dst := range map[string]*string{"addr": &cfg.Addr, "data": &cfg.DataDir, "db": &cfg.DB, "nats": &cfg.NATS} {
		if v := flags[name]; v != nil {
			*dst = *v
		}
	}
	if v, ok := lookup("KILN_HTTP_ALLOW"); ok && v != "" {
		cfg.HTTPAllow = splitList(v)
	}
	if v := flags["http-allow"]; v != nil {
		cfg.HTTPAllow = splitList(*v)
	}
	return cfg, nil
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func loadServeConfig(file string) (server.Config, error) {
	var cfg server.Config
	if file == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return cfg, usagef("--config %s: %v", file, unwrapPathError(err))
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, usagef("--config %s is not valid JSON for a Kiln config: %v", file, err)
	}
	return cfg, nil
}
