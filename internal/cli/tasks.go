package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// task is what the CLI shows of a durable task (kilntype.Task over the
// API).
type task struct {
	ID, ScriptID, ParentID, State string
	Version                       int
	JournalLen, JournalBytes      int64
	InboxDepth                    int
	CreatedAt                     time.Time
}

func newTasksCommand(stdout, stderr io.Writer) *cobra.Command {
	var c apiClient
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "Start, list, inspect, message and cancel durable tasks",
	}
	addAPIFlags(cmd, &c)
	var params string
	start := &cobra.Command{
		Use:   "start SCRIPT",
		Short: "Start a durable task running a task script's current version (SCRIPT is its name)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"script": args[0]}
			if params != "" {
				if !json.Valid([]byte(params)) {
					return usagef("--params must be JSON, such as '{\"n\": 1}'")
				}
				body["params"] = json.RawMessage(params)
			}
			var t task
			if err := c.callJSON("POST", "/api/tasks", body, &t); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "started task %s (%s, version %d)\n", t.ID, t.State, t.Version)
			return nil
		},
	}
	start.Flags().StringVar(&params, "params", "", "the handler's first argument, as JSON (default null)")

	var state, script, parent string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List durable tasks, newest first",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 200 {
				return usagef("--limit %d must be from 1 to 200", limit)
			}
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			for name, v := range map[string]string{"state": state, "script": script, "parent": parent} {
				if v != "" {
					q.Set(name, v)
				}
			}
			var page struct {
				Tasks      []task
				NextCursor string
			}
			if err := c.call("GET", "/api/tasks?"+q.Encode(), &page); err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATE\tSCRIPT\tVERSION\tJOURNAL\tINBOX\tCREATED")
			for _, t := range page.Tasks {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", t.ID, t.State, t.ScriptID, t.Version, t.JournalLen, t.InboxDepth,
					t.CreatedAt.Local().Format(time.DateTime))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if page.NextCursor != "" {
				fmt.Fprintf(stderr, "more tasks than --limit %d; narrow with --state or --script\n", limit)
			}
			return nil
		},
	}
	list.Flags().StringVar(&state, "state", "", "only tasks in this state: running, waiting, hibernated, completed, failed, cancelled")
	list.Flags().StringVar(&script, "script", "", "only this script's tasks (its name or ID)")
	list.Flags().StringVar(&parent, "parent", "", "only the tasks this task spawned (its ID)")
	list.Flags().IntVar(&limit, "limit", 50, "at most this many, 1 to 200")

	get := &cobra.Command{
		Use:   "get ID",
		Short: "Show a task: state, script version, params, result or error, journal size, inbox depth, parent and children",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t json.RawMessage
			if err := c.call("GET", "/api/tasks/"+url.PathEscape(args[0]), &t); err != nil {
				return err
			}
			return printJSON(stdout, t)
		},
	}

	var from, journalLimit int64
	journal := &cobra.Command{
		Use:   "journal ID",
		Short: "Show a task's journal: every value that entered its script, in order",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if from < 0 {
				return usagef("--from %d must not be negative", from)
			}
			if journalLimit < 1 || journalLimit > 1000 {
				return usagef("--limit %d must be from 1 to 1000", journalLimit)
			}
			q := url.Values{"from": {strconv.FormatInt(from, 10)}, "limit": {strconv.FormatInt(journalLimit, 10)}}
			var page struct {
				Entries []struct {
					Index          int64
					Kind, Name     string
					Request, Value json.RawMessage
					Error          *struct{ Code, Message string }
				}
				Next *int64
			}
			if err := c.call("GET", "/api/tasks/"+url.PathEscape(args[0])+"/journal?"+q.Encode(), &page); err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "INDEX\tKIND\tNAME\tVALUE")
			for _, e := range page.Entries {
				value := string(e.Value)
				if e.Error != nil {
					value = e.Error.Code + ": " + e.Error.Message
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", e.Index, e.Kind, e.Name, clip(value, 100))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if page.Next != nil {
				fmt.Fprintf(stderr, "more entries: kiln tasks journal %s --from %d\n", args[0], *page.Next)
			}
			return nil
		},
	}
	journal.Flags().Int64Var(&from, "from", 0, "the first entry's index")
	journal.Flags().Int64Var(&journalLimit, "limit", 100, "at most this many entries, 1 to 1000")

	send := &cobra.Command{
		Use:   "send ID TYPE [PAYLOAD_JSON]",
		Short: "Send an event to a task's inbox (durable when this returns)",
		Args:  usageArgs(cobra.RangeArgs(2, 3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"type": args[1]}
			if len(args) == 3 {
				if !json.Valid([]byte(args[2])) {
					return usagef("the payload must be JSON, such as '{\"digit\": 5}' or '\"text\"'")
				}
				body["payload"] = json.RawMessage(args[2])
			}
			var r struct{ Seq int64 }
			if err := c.callJSON("POST", "/api/tasks/"+url.PathEscape(args[0])+"/events", body, &r); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "sent %s to %s as event %d\n", args[1], args[0], r.Seq)
			return nil
		},
	}

	cancel := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a task: it gets a \"cancelled\" event and a grace period to handle it, then it is stopped",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var t task
			if err := c.call("DELETE", "/api/tasks/"+url.PathEscape(args[0]), &t); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "cancelling %s (now %s)\n", t.ID, t.State)
			return nil
		},
	}
	cmd.AddCommand(start, list, get, journal, send, cancel)
	return cmd
}

// usageArgs makes a wrong number of arguments a usage error (exit 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usagef("%v (see 'kiln %s --help')", err, strings.TrimPrefix(cmd.CommandPath(), "kiln "))
		}
		return nil
	}
}

// printJSON writes raw JSON indented, its keys in the server's order.
func printJSON(w io.Writer, raw json.RawMessage) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := b.WriteTo(w)
	return err
}

// clip shortens s to n runes, marking the cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
