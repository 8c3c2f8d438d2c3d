package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/internal/configfile"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/sdk"
)

// runFlags are kiln run's flags, as given.
type runFlags struct {
	input, memory, data, trigger     string
	method, path, eventType          string
	envFile, httpAllow               string
	timeout                          time.Duration
	query, header, param, secret, on []string
	saveSecrets                      bool
}

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run one script locally, in the same sandbox as the server",
		Long: `Run one script (.ts, .js, .mjs or .cjs) in the sandbox the server uses, with
the same iota SDK. Relative imports of files in the script's folder are
bundled in memory.

iota.db and iota.cache keep their data in --data (default ./.kiln, created
if missing), as the tenant "local": a second run sees the first one's
rows. iota.secrets.get reads --secret, then --env-file, then the secrets
saved in --data (--save-secrets). iota.events.publish prints each event,
and runs the --on scripts whose pattern matches it. fetch and iota.http go
through the server's outbound client: private addresses are refused
(SSRF_BLOCKED) unless --http-allow lists them.

--trigger shapes the input as the server would for that trigger; the
default, manual, passes --input as it is.

The handler's result is printed to stdout as JSON; console and log lines,
events and errors go to stderr. Exit codes: 0 success, 1 the script (or an
--on script) failed, 2 bad usage.`,
		Example: `  kiln run hello.ts --input '{"name":"Ada"}'
  kiln run job.js --input @input.json --timeout 300ms --memory 64MiB
  kiln run charge.ts --secret STRIPE_KEY=sk_test_123 --on 'charge.*=on_charge.ts'
  kiln run webhook.ts --trigger http --method POST --path /orders --header 'X-Signature: abc' --input '{"id":42}'
  kiln run on_order.ts --trigger event --event-type order.created --input '{"id":42}'
  kiln run call_api.ts --http-allow 127.0.0.1:9000`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("run needs exactly one FILE, got %d (example: kiln run hello.ts --input '{\"name\":\"Ada\"}')", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			plan, err := f.plan(cmd, args[0])
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return plan.execute(ctx, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.input, "input", "", "the handler's input as JSON, or @FILE to read it from a file (with --trigger http: the request body, any text)")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "wall-clock limit, such as 300ms or 5s")
	fl.StringVar(&f.memory, "memory", "64MiB", "memory limit, such as 64MiB or 1GiB")
	fl.StringVar(&f.data, "data", ".kiln", "folder for iota.db, iota.cache and saved secrets, created if missing")
	fl.StringVar(&f.trigger, "trigger", "manual", "shape the input as this trigger would: manual, http, event or cron")
	fl.StringVar(&f.method, "method", "", "with --trigger http: the request method (default GET, or POST with --input)")
	fl.StringVar(&f.path, "path", "", "with --trigger http: the request path under /run/{tenant}, such as /orders/42 (default /)")
	fl.StringArrayVar(&f.query, "query", nil, "with --trigger http: a query parameter NAME=VALUE (repeatable)")
	fl.StringArrayVar(&f.header, "header", nil, "with --trigger http: a request header 'Name: value' (repeatable)")
	fl.StringArrayVar(&f.param, "param", nil, "with --trigger http: a path parameter NAME=VALUE, as a route such as /orders/{id} would give (repeatable)")
	fl.StringVar(&f.eventType, "event-type", "", "with --trigger event: the event's type, such as order.created (--input is its payload)")
	fl.StringArrayVar(&f.secret, "secret", nil, "a secret for iota.secrets.get, NAME=VALUE (repeatable; wins over --env-file and saved secrets)")
	fl.StringVar(&f.envFile, "env-file", "", "a file of NAME=VALUE lines, secrets for iota.secrets.get (wins over saved secrets)")
	fl.BoolVar(&f.saveSecrets, "save-secrets", false, "save the --secret and --env-file secrets in --data, encrypted, for later runs")
	fl.StringArrayVar(&f.on, "on", nil, "run an event script for the events published that match, PATTERN=FILE such as 'order.*=on_order.ts' (repeatable)")
	fl.StringVar(&f.httpAllow, "http-allow", "", "private addresses fetch and iota.http may reach, comma-separated: host:port or CIDR, e.g. 127.0.0.1:9000,10.1.2.0/24")
	return cmd
}

// runPlan is a validated kiln run.
type runPlan struct {
	src         engine.Source
	trigger     string
	input       json.RawMessage
	notes       []string
	timeout     time.Duration
	memory      int64
	data        string
	keyEnv      string
	secrets     map[string]string
	saveSecrets bool
	handlers    []eventHandler
	allow       []string
}

// plan checks every flag, reads the files they name and shapes the input;
// every mistake is a usage error (exit 2).
func (f *runFlags) plan(cmd *cobra.Command, file string) (*runPlan, error) {
	p := &runPlan{trigger: f.trigger, timeout: f.timeout, data: f.data, saveSecrets: f.saveSecrets, keyEnv: os.Getenv("KILN_SECRET_KEY")}
	var err error
	if p.memory, err = configfile.ParseSize(f.memory); err != nil {
		return nil, usagef("--memory %q: %v", f.memory, err)
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive, such as 300ms or 5s")
	}
	if !slices.Contains(runTriggers, f.trigger) {
		return nil, usagef("--trigger %q: use one of %s", f.trigger, strings.Join(runTriggers, ", "))
	}
	for _, tf := range triggerFlags {
		if cmd.Flags().Changed(tf.flag) && f.trigger != tf.trigger {
			return nil, usagef("--%s only applies with --trigger %s", tf.flag, tf.trigger)
		}
	}
	if strings.TrimSpace(f.data) == "" {
		return nil, usagef("--data must name a folder, such as .kiln")
	}
	if p.allow, err = parseAllow(f.httpAllow); err != nil {
		return nil, err
	}
	if p.secrets, err = f.readSecrets(); err != nil {
		return nil, err
	}
	if f.saveSecrets && len(p.secrets) == 0 {
		return nil, usagef("--save-secrets saves the secrets given with --secret or --env-file; give at least one")
	}
	for _, on := range f.on {
		pattern, target, ok := strings.Cut(on, "=")
		if !ok || pattern == "" || target == "" {
			return nil, usagef("--on %q: write PATTERN=FILE, such as --on 'order.*=on_order.ts'", on)
		}
		if !kilntype.ValidEventPattern(pattern) {
			return nil, usagef("--on %q: %q is not an event pattern (dot-separated lowercase words, * for one word, > at the end for the rest)", on, pattern)
		}
		src, err := readSource(target)
		if err != nil {
			return nil, usagef("--on %q: %v", on, err)
		}
		p.handlers = append(p.handlers, eventHandler{pattern: pattern, file: target, src: src})
	}
	if p.input, p.notes, err = f.shapeInput(cmd); err != nil {
		return nil, err
	}
	if p.src, err = readSource(file); err != nil {
		return nil, err
	}
	return p, nil
}

// parseAllow reads --http-allow as kiln serve does.
func parseAllow(s string) ([]string, error) {
	allow := splitList(s)
	if _, err := outbound.ParseAllow(allow); err != nil {
		return nil, usagef("--http-allow: %v", err)
	}
	return allow, nil
}

// readSecrets merges --env-file and --secret, the flags winning.
func (f *runFlags) readSecrets() (map[string]string, error) {
	out := map[string]string{}
	if f.envFile != "" {
		env, err := readEnvFile(f.envFile)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, env)
	}
	for _, kv := range f.secret {
		name, value, err := splitPair("--secret", kv, "STRIPE_KEY=sk_test_123")
		if err != nil {
			return nil, err
		}
		if err := secretValue("--secret", name, value); err != nil {
			return nil, err
		}
		out[name] = value
	}
	return out, nil
}

// shapeInput builds the handler's input for the trigger.
func (f *runFlags) shapeInput(cmd *cobra.Command) (json.RawMessage, []string, error) {
	raw, given, err := readInputBytes(f.input)
	if err != nil {
		return nil, nil, err
	}
	switch f.trigger {
	case "http":
		return httpRequest{method: f.method, path: f.path, query: f.query, headers: f.header, params: f.param, body: raw, hasBody: given}.input()
	case "cron":
		if given {
			return nil, nil, usagef("--trigger cron takes no --input: a scheduled script receives {scheduledAt}")
		}
		return cronTriggerInput(time.Now()), nil, nil
	}
	in, err := jsonInput(raw, given)
	if err != nil {
		return nil, nil, err
	}
	if f.trigger == "event" {
		in, err = eventTriggerInput(f.eventType, in)
	}
	return in, nil, err
}

// execute runs the script, then the event scripts its events reach.
func (p *runPlan) execute(ctx context.Context, stdout, stderr io.Writer) error {
	for _, n := range p.notes {
		fmt.Fprintf(stderr, "kiln: %s\n", n)
	}
	local, err := openLocalState(ctx, p.data, p.keyEnv)
	if err != nil {
		return usagef("--data %s: %v", p.data, err)
	}
	defer func() { _ = local.close() }()
	if p.saveSecrets {
		names, err := local.saveSecrets(ctx, p.secrets)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "kiln: saved %s in %s\n", strings.Join(names, ", "), p.data)
	}
	client, err := outbound.New(outbound.Config{Allow: p.allow})
	if err != nil {
		return usagef("--http-allow: %v", err)
	}
	defer func() { _ = client.Close() }()
	st := &localStore{Store: local.store, box: local.box, dir: p.data, flags: p.secrets}
	r := &localRunner{store: st, tenantID: local.tenantID, handlers: p.handlers, stderr: stderr}
	r.engine, err = engine.New(engine.Config{Timeout: p.timeout, MemoryLimit: p.memory, Fetch: sdk.Fetch(client),
		Modules: sdk.Modules(sdk.ModulesConfig{Store: st, Secrets: local.box, OnSecretRead: r.secretRead,
			HowToSetSecret: howToSetSecret, Outbound: client, Publish: r.publish})})
	if err != nil {
		return usagef("%v", err)
	}
	defer func() { _ = r.engine.Close() }()

	res, events := r.run(ctx, p.src, p.trigger, p.input)
	if res.Err == nil {
		fmt.Fprintln(stdout, string(res.Value))
	}
	// As in the server, an event published before the script failed is
	// still delivered.
	delivered := r.deliver(ctx, events)
	if res.Err != nil || !delivered {
		return &exitError{code: ExitFailed}
	}
	return nil
}

// howToSetSecret is iota.secrets.get's NOT_FOUND advice under kiln run.
func howToSetSecret(name string) string {
	return "pass --secret " + name + "=VALUE, or a line " + name + "=VALUE in an --env-file"
}

func asEngineError(err error) *engine.Error {
	var e *engine.Error
	if errors.As(err, &e) {
		return e
	}
	return engine.Errorf(engine.CodeInternal, "%v", err)
}

// readInputBytes reads --input: the text itself, or @FILE's content.
// given is false when there is no --input.
func readInputBytes(input string) (data []byte, given bool, err error) {
	if input == "" {
		return nil, false, nil
	}
	if name, ok := strings.CutPrefix(input, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, false, usagef("--input %s: cannot read the file: %v", input, unwrapPathError(err))
		}
		return b, true, nil
	}
	return []byte(input), true, nil
}

// jsonInput checks that --input is JSON.
func jsonInput(data []byte, given bool) (json.RawMessage, error) {
	if !given {
		return nil, nil
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return nil, usagef("--input is not valid JSON (%v); pass JSON such as '{\"name\":\"Ada\"}', quoted for your shell", err)
	}
	return data, nil
}

// readSource loads the entry file; its folder is the tree imports resolve in.
func readSource(file string) (engine.Source, error) {
	ext := strings.ToLower(filepath.Ext(file))
	switch ext {
	case ".ts", ".js", ".mjs", ".cjs":
	default:
		return engine.Source{}, usagef("%s: a script must be a .ts, .js, .mjs or .cjs file", file)
	}
	code, err := os.ReadFile(file)
	if err != nil {
		return engine.Source{}, usagef("cannot read %s: %v; check the path", file, unwrapPathError(err))
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return engine.Source{}, usagef("cannot resolve %s: %v", file, err)
	}
	return engine.Source{Name: filepath.Base(abs), Code: string(code), Files: os.DirFS(filepath.Dir(abs))}, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func writeLog(w io.Writer, l engine.LogEntry) {
	line := l.Message
	if len(l.Fields) > 0 {
		if b, err := json.Marshal(l.Fields); err == nil {
			line += " " + string(b)
		}
	}
	fmt.Fprintf(w, "[%s] %s\n", l.Level, strings.ReplaceAll(line, "\n", "\n    "))
}

func writeError(w io.Writer, e *engine.Error) {
	where := ""
	if e.Position != "" {
		where = " at " + e.Position
	}
	fmt.Fprintf(w, "error %s%s: %s\n", e.Code, where, e.Message)
	if e.Stack != "" {
		for _, line := range strings.Split(e.Stack, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "at ") {
				fmt.Fprintln(w, line)
			}
		}
	}
}
