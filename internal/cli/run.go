package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/internal/configfile"
)

func newRunCommand(stdout, stderr io.Writer) *cobra.Command {
	var (
		input   string
		timeout time.Duration
		memory  string
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run one script locally, in the same sandbox as the server",
		Long: `Run one script (.ts, .js, .mjs or .cjs) in the sandbox the server uses.
Relative imports of files in the script's folder are bundled in memory.

The handler's result is printed to stdout as JSON; console and log lines go
to stderr. Exit codes: 0 success, 1 the script failed, 2 bad usage.`,
		Example: `  kiln run hello.ts --input '{"name":"Ada"}'
  kiln run job.js --input @input.json --timeout 300ms --memory 64MiB`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("run needs exactly one FILE, got %d (example: kiln run hello.ts --input '{\"name\":\"Ada\"}')", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			limit, err := configfile.ParseSize(memory)
			if err != nil {
				return usagef("--memory %q: %v", memory, err)
			}
			if timeout <= 0 {
				return usagef("--timeout must be positive, such as 300ms or 5s")
			}
			in, err := readInput(input)
			if err != nil {
				return err
			}
			src, err := readSource(args[0])
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			res := runOnce(ctx, src, in, timeout, limit)
			writeLogs(stderr, res.Logs, res.LogsTruncated)
			if res.Err != nil {
				writeError(stderr, res.Err)
				return &exitError{code: ExitFailed}
			}
			fmt.Fprintln(stdout, string(res.Value))
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "the handler's input as JSON, or @FILE to read it from a file")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "wall-clock limit, such as 300ms or 5s")
	cmd.Flags().StringVar(&memory, "memory", "64MiB", "memory limit, such as 64MiB or 1GiB")
	return cmd
}

func runOnce(ctx context.Context, src engine.Source, input json.RawMessage, timeout time.Duration, memory int64) *engine.Result {
	e, err := engine.New(engine.Config{Timeout: timeout, MemoryLimit: memory})
	if err != nil {
		return &engine.Result{Err: engine.Errorf(engine.CodeInvalidArgument, "%v", err)}
	}
	defer func() { _ = e.Close() }()
	p, err := e.Compile(ctx, src)
	if err != nil {
		return &engine.Result{Err: asEngineError(err)}
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		return &engine.Result{Err: asEngineError(err)}
	}
	return vm.Invoke(ctx, engine.InvokeParams{Input: input, Meta: engine.Meta{Trigger: "manual", Attempt: 1}})
}

func asEngineError(err error) *engine.Error {
	var e *engine.Error
	if errors.As(err, &e) {
		return e
	}
	return engine.Errorf(engine.CodeInternal, "%v", err)
}

// readInput parses --input: inline JSON or @FILE.
func readInput(input string) (json.RawMessage, error) {
	if input == "" {
		return nil, nil
	}
	data := []byte(input)
	if name, ok := strings.CutPrefix(input, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, usagef("--input %s: cannot read the file: %v", input, unwrapPathError(err))
		}
		data = b
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

func writeLogs(w io.Writer, logs []engine.LogEntry, truncated bool) {
	for _, l := range logs {
		line := l.Message
		if len(l.Fields) > 0 {
			if b, err := json.Marshal(l.Fields); err == nil {
				line += " " + string(b)
			}
		}
		fmt.Fprintf(w, "[%s] %s\n", l.Level, strings.ReplaceAll(line, "\n", "\n    "))
	}
	if truncated {
		fmt.Fprintln(w, "[warn] (more log lines were dropped: the log limit was reached)")
	}
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
