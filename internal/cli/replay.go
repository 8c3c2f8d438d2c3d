package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk"
)

// newReplayCommand is kiln replay: a task's journal, downloaded from the
// server and replayed here against the script version the task runs,
// effects served from the journal and none performed.
func newReplayCommand(stdout, stderr io.Writer) *cobra.Command {
	var c apiClient
	var to int64
	var quiet bool
	cmd := &cobra.Command{
		Use:   "replay TASK_OR_EXECUTION_ID",
		Short: "Replay a durable task's or a failed execution's journal locally: each effect it saw, its logs, and where it failed, diverged or waits",
		Long: `kiln replay downloads a task's journal (or the journal kept of an execution: a
failed one, or any of a script with limits.record) and its script version from the server and
runs the script here, serving every effect (SDK and host calls, fetch, events,
timers, Date, Math.random, crypto) from the journal: nothing is performed, no
request is sent, nothing is written. It prints each journal entry as the
script consumes it, the script's logs, and how the replay ended: with the
task's result or error (at its line), at a divergence (NONDETERMINISM: the
script asks for something else than the journal holds), or where the
journal ends and the task in production goes on live.

--to N replays only the first N entries: the script stops where it would
have asked for entry N.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return replayTask(cmd.Context(), &c, args[0], to, quiet, stdout, stderr)
		},
	}
	addAPIFlags(cmd, &c)
	cmd.Flags().Int64Var(&to, "to", -1, "replay only the first N journal entries")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print no step log, only logs and the outcome")
	return cmd
}

// replayTask is kiln replay's body: id names a task or, failing that, an
// execution whose journal was kept.
func replayTask(ctx context.Context, c *apiClient, id string, to int64, quiet bool, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var t kilntype.Task
	if err := c.call("GET", "/api/tasks/"+url.PathEscape(id), &t); err != nil {
		if strings.HasPrefix(err.Error(), string(kilntype.ENotFound)+":") {
			return replayExecution(ctx, c, id, to, quiet, stdout, stderr)
		}
		return err
	}
	journal, err := downloadJournal(c, id)
	if err != nil {
		return err
	}
	r := replay{c: c, scriptID: t.ScriptID, version: t.Version, journal: journal, to: to, quiet: quiet, stdout: stdout}
	r.task = engine.Task{ID: t.ID, ParentID: t.ParentID, Started: t.CreatedAt}
	r.meta = engine.Meta{TenantID: t.TenantID, ScriptID: t.ScriptID, Version: t.Version, ExecutionID: t.ID, Attempt: 1}
	r.params = t.Params
	r.title = fmt.Sprintf("task %s, state %s", t.ID, t.State)
	return r.run(ctx)
}

// replayExecution replays an execution's kept journal.
func replayExecution(ctx context.Context, c *apiClient, id string, to int64, quiet bool, stdout, stderr io.Writer) error {
	var x kilntype.Execution
	if err := c.call("GET", "/api/executions/"+url.PathEscape(id), &x); err != nil {
		if strings.HasPrefix(err.Error(), string(kilntype.ENotFound)+":") {
			return fmt.Errorf("NOT_FOUND: no task or execution %s", id)
		}
		return err
	}
	var page struct {
		Entries []kilntype.JournalEntry `json:"entries"`
	}
	if err := c.call("GET", "/api/executions/"+url.PathEscape(id)+"/journal", &page); err != nil {
		return err
	}
	r := replay{c: c, scriptID: x.ScriptID, version: x.Version, journal: page.Entries, to: to, quiet: quiet, stdout: stdout}
	r.task = engine.Task{ID: x.ID, Started: x.CreatedAt, ForExecution: true}
	r.meta = engine.Meta{TenantID: x.TenantID, ScriptID: x.ScriptID, Version: x.Version, ExecutionID: x.ID, Trigger: x.Trigger, Attempt: x.Attempt}
	r.params = x.Input
	r.title = fmt.Sprintf("execution %s (%s), status %s", x.ID, x.Trigger, x.Status)
	if x.Error != nil {
		where := ""
		if x.Error.Position != "" {
			where = " at " + x.Error.Position
		}
		r.recorded = fmt.Sprintf("recorded: error %s%s: %s", x.Error.Code, where, x.Error.Message)
	}
	return r.run(ctx)
}

// replay is one kiln replay run.
type replay struct {
	c               *apiClient
	scriptID        string
	version         int
	journal         []kilntype.JournalEntry
	to              int64
	quiet           bool
	stdout          io.Writer
	task            engine.Task
	meta            engine.Meta
	params          json.RawMessage
	title, recorded string
}

func (r *replay) run(ctx context.Context) error {
	var s kilntype.Script
	if err := r.c.call("GET", "/api/scripts/"+url.PathEscape(r.scriptID), &s); err != nil {
		return err
	}
	var v kilntype.Version
	if err := r.c.call("GET", fmt.Sprintf("/api/scripts/%s/versions/%d", url.PathEscape(r.scriptID), r.version), &v); err != nil {
		return err
	}
	journal := r.journal
	if r.to > int64(len(journal)) {
		return usagef("--to %d: the journal has %d entries", r.to, len(journal))
	}
	if r.to >= 0 {
		journal = journal[:r.to]
	}
	e, err := engine.New(engine.Config{Modules: replayModules(journal)})
	if err != nil {
		return err
	}
	defer func() { _ = e.Close() }()
	name := "script.ts"
	if s.Language == "javascript" {
		name = "script.js"
	}
	prog, err := e.Compile(ctx, engine.Source{Name: name, Code: v.SourceCode})
	if err != nil {
		return err
	}
	stdout := r.stdout
	fmt.Fprintf(stdout, "replaying %s: script %s version %d, %d journal entries\n", r.title, s.Name, r.version, len(journal))
	if r.recorded != "" {
		fmt.Fprintln(stdout, r.recorded)
	}
	task := r.task
	task.Host, task.Journal, task.ReplayOnly = replayHost{}, journal, true
	task.NewID = func() string { return "" }
	task.OnServe = func(e *kilntype.JournalEntry) {
		if !r.quiet {
			fmt.Fprintln(stdout, describeEntry(e))
		}
	}
	vm, h, err := e.NewTaskVM(ctx, prog, task)
	if engine.IsJournalEnd(err) {
		fmt.Fprintf(stdout, "end: %s\n", asEngineError(err).Message)
		return nil
	}
	if err != nil {
		writeError(stdout, asEngineError(err))
		return &exitError{code: ExitFailed}
	}
	res := h.Run(ctx, vm, r.params, r.meta, 0)
	for _, l := range res.Logs {
		writeLog(stdout, l)
	}
	switch {
	case h.Outcome().JournalEnd:
		fmt.Fprintf(stdout, "end: %s\n", res.Err.Message)
		return nil
	case res.Err != nil:
		writeError(stdout, res.Err)
		return &exitError{code: ExitFailed}
	}
	fmt.Fprintf(stdout, "result: %s\n", res.Value)
	return nil
}

// downloadJournal reads a task's journal whole, a page at a time.
func downloadJournal(c *apiClient, id string) ([]kilntype.JournalEntry, error) {
	var all []kilntype.JournalEntry
	for {
		var page struct {
			Entries []kilntype.JournalEntry `json:"entries"`
			Next    *int64                  `json:"next"`
		}
		if err := c.call("GET", fmt.Sprintf("/api/tasks/%s/journal?from=%d&limit=1000", url.PathEscape(id), len(all)), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Entries...)
		if page.Next == nil || len(page.Entries) == 0 {
			return all, nil
		}
	}
}

// describeEntry is one line of the step log.
func describeEntry(e *kilntype.JournalEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5d  %-8s", e.Index, e.Kind)
	if e.Name != "" {
		b.WriteString(" " + e.Name)
	}
	if len(e.Request) > 0 && string(e.Request) != "null" {
		b.WriteString(" " + clip(string(e.Request), 160))
	}
	switch {
	case e.Error != nil:
		fmt.Fprintf(&b, " → error %s: %s", e.Error.Code, e.Error.Message)
	case e.Kind == kilntype.JournalClock:
		var ns int64
		if json.Unmarshal(e.Value, &ns) == nil {
			b.WriteString(" → " + time.Unix(0, ns).UTC().Format(time.RFC3339Nano))
		}
	case len(e.Value) > 0:
		b.WriteString(" → " + clip(string(e.Value), 160))
	}
	return b.String()
}

// replayModules are the host functions a replayed script can call: the
// SDK's and any other the journal names (a host application's). None is
// ever performed: replay serves their results from the journal, and stops
// where the journal ends; only iota.log writes, to the replay's output.
func replayModules(journal []kilntype.JournalEntry) []engine.Module {
	mods := sdk.Modules(sdk.ModulesConfig{})
	known := map[string]bool{}
	for _, m := range mods {
		for _, f := range m.Funcs {
			known[f.Name] = true
		}
	}
	extra := engine.Module{Name: "replay"}
	for _, e := range journal {
		if (e.Kind != kilntype.JournalCall && e.Kind != kilntype.JournalHost) || known[e.Name] || !strings.Contains(e.Name, ".") {
			continue
		}
		known[e.Name] = true
		extra.Funcs = append(extra.Funcs, engine.HostFunc{Name: e.Name, Async: e.Kind == kilntype.JournalCall || strings.HasPrefix(string(e.Request), `{"call":`),
			Fn: func(context.Context, engine.HostCall) (any, error) {
				return nil, engine.Errorf(kilntype.ENotSupported, "not performed under replay")
			}})
	}
	if len(extra.Funcs) > 0 {
		mods = append(mods, extra)
	}
	return mods
}

// replayHost is the task host of a replay: it is never written to (the
// engine stops a ReplayOnly run before it would), and its inbox is empty.
type replayHost struct{}

func (replayHost) Append(context.Context, *engine.TaskStep) error {
	return engine.Errorf(kilntype.ENotSupported, "a replay writes nothing")
}

func (replayHost) NextEvent(context.Context, []string) (*kilntype.TaskEvent, error) { return nil, nil }
