package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/internal/configfile"
	"github.com/kiln-run/kiln/server"
)

func newServeCommand(stdout, stderr io.Writer) *cobra.Command {
	var configFile string
	envs := "The variables:"
	for i, s := range serveSettings() {
		if i > 0 {
			envs += ","
		}
		if line := envs[strings.LastIndexByte(envs, '\n')+1:]; len(line)+len(s.env) > 72 {
			envs += "\n" + s.env
		} else {
			envs += " " + s.env
		}
	}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Kiln server: API, HTTP scripts and admin UI",
		Long: `Run the Kiln server. With no flags it listens on 127.0.0.1:8080 and keeps
everything under ./kiln-data (an SQLite database).

Settings come from, in order of precedence: flags, environment variables,
a JSON config file (--config, read strictly) and defaults; docs/server.md
lists every setting.
` + envs + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			flags := map[string]*string{}
			for _, s := range serveSettings() {
				if s.flag != "" && cmd.Flags().Changed(s.flag) {
					v := cmd.Flags().Lookup(s.flag).Value.String()
					flags[s.flag] = &v
				}
			}
			cfg, err := resolveServeConfig(configFile, os.LookupEnv, flags)
			if err != nil {
				return err
			}
			cfg.ManageHeapLimit = tuneGC(os.LookupEnv)
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
			if addr := app.MetricsAddr(); addr != "" {
				fmt.Fprintf(stdout, "metrics, without a key, on http://%s/metrics\n", addr)
			}
			<-ctx.Done()
			log.Info("shutting down")
			return app.Stop(context.Background())
		},
	}
	cmd.Flags().String("addr", "", "address to listen on (default 127.0.0.1:8080; env KILN_ADDR)")
	cmd.Flags().String("metrics-addr", "", "a second address that serves /metrics without a key, for Prometheus; bind it where only the scraper reaches it (default none: /metrics on --addr needs the operator key; env KILN_METRICS_ADDR)")
	cmd.Flags().String("data", "", "data folder for the embedded database (default ./kiln-data; env KILN_DATA)")
	cmd.Flags().String("db", "", "a postgres:// URL to use PostgreSQL instead of SQLite (env KILN_DB)")
	cmd.Flags().String("nats", "", "a nats:// URL of an external NATS (JetStream) for the event queue; default: embedded (env KILN_NATS)")
	cmd.Flags().String("http-allow", "", "private addresses scripts may reach, comma-separated: host:port or CIDR, e.g. 127.0.0.1:9000,10.1.2.0/24 (env KILN_HTTP_ALLOW)")
	cmd.Flags().StringVar(&configFile, "config", "", "a JSON config file (see docs/server.md)")
	return cmd
}

// serveSetting is a setting kiln serve also takes from the environment,
// and perhaps a flag. key is its config-file key, "" if a file cannot set
// it; flag is "" if no flag sets it.
type serveSetting struct {
	key, flag, env string
	set            func(cfg *server.Config, value string)
}

// serveSettings are the settings flags and the environment can give, in the
// order docs/server.md lists them (TestServeConfigDocs holds the docs to
// this list).
func serveSettings() []serveSetting {
	return []serveSetting{
		{"addr", "addr", "KILN_ADDR", func(c *server.Config, v string) { c.Addr = v }},
		{"metricsAddr", "metrics-addr", "KILN_METRICS_ADDR", func(c *server.Config, v string) { c.MetricsAddr = v }},
		{"data", "data", "KILN_DATA", func(c *server.Config, v string) { c.DataDir = v }},
		{"db", "db", "KILN_DB", func(c *server.Config, v string) { c.DB = v }},
		{"", "", "KILN_OPERATOR_KEY", func(c *server.Config, v string) { c.OperatorKey = v }},
		{"", "", "KILN_SECRET_KEY", func(c *server.Config, v string) { c.SecretKey = v }},
		{"nats", "nats", "KILN_NATS", func(c *server.Config, v string) { c.NATS = v }},
		{"httpAllow", "http-allow", "KILN_HTTP_ALLOW", func(c *server.Config, v string) { c.HTTPAllow = splitList(v) }},
	}
}

// tuneGC lets the server's garbage collector run a quarter as often as Go's
// default (GOGC=400), which took a fifth off the CPU each HTTP request
// costs (docs/benchmarks.md), unless GOGC is set. It reports whether the
// engine should keep the soft heap limit (engine.Config.ManageHeapLimit:
// the idle live heap plus the limits of the scripts running plus 64 MiB),
// which it should unless GOMEMLIMIT is set. Set but empty, a variable
// counts as unset, as it does for Go's runtime.
func tuneGC(lookup func(string) (string, bool)) (manageHeapLimit bool) {
	if v, _ := lookup("GOGC"); v == "" {
		debug.SetGCPercent(400)
	}
	v, _ := lookup("GOMEMLIMIT")
	return v == ""
}

// resolveServeConfig applies, lowest first: the config file, the
// environment (a variable set but empty counts as unset), the flags that
// were given. Defaults come last, from server.Config.WithDefaults, and fill
// only what none of these set.
func resolveServeConfig(file string, lookup func(string) (string, bool), flags map[string]*string) (server.Config, error) {
	cfg, err := loadServeConfig(file)
	if err != nil {
		return cfg, err
	}
	for _, s := range serveSettings() {
		if v, ok := lookup(s.env); ok && v != "" {
			s.set(&cfg, v)
		}
		if v := flags[s.flag]; s.flag != "" && v != nil {
			s.set(&cfg, *v)
		}
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

// loadServeConfig reads the --config file strictly (internal/configfile):
// an unknown key, a wrong type or a malformed file is a usage error naming
// the key and its line.
func loadServeConfig(file string) (server.Config, error) {
	var cfg server.Config
	if file == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return cfg, usagef("--config %s: %v", file, unwrapPathError(err))
	}
	if err := configfile.Decode(file, b, &cfg); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}
