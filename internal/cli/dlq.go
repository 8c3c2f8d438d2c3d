package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

type deadLetter struct {
	ID, EventID, EventType, ScriptID, ScriptName, Status string
	Version                                              int
	Payload                                              json.RawMessage
	CreatedAt                                            time.Time
	Attempts                                             []struct {
		Attempt     int
		At          time.Time
		Error       struct{ Code, Message string }
		ExecutionID string
	}
}

func newDLQCommand(stdout io.Writer) *cobra.Command {
	var c apiClient
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "See, replay and discard dead letters: event deliveries whose every attempt failed",
	}
	addAPIFlags(cmd, &c)
	var status, script string
	list := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"limit": {"200"}}
			if status != "" {
				q.Set("status", status)
			}
			if script != "" {
				q.Set("script", script)
			}
			var page struct{ DeadLetters []deadLetter }
			if err := c.call("GET", "/api/dlq?"+q.Encode(), &page); err != nil {
				return err
			}
			w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATUS\tEVENT\tSCRIPT\tATTEMPTS\tLAST ERROR")
			for _, d := range page.DeadLetters {
				last := ""
				if n := len(d.Attempts); n > 0 {
					last = d.Attempts[n-1].Error.Code + ": " + d.Attempts[n-1].Error.Message
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Status, d.EventType, d.ScriptName, len(d.Attempts), last)
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&status, "status", "dead", "dead, replayed, discarded, or empty for all")
	list.Flags().StringVar(&script, "script", "", "only this script's (its ID)")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a dead letter with its event and every attempt's error",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d json.RawMessage
			if err := c.call("GET", "/api/dlq/"+url.PathEscape(args[0]), &d); err != nil {
				return err
			}
			var pretty any
			_ = json.Unmarshal(d, &pretty)
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(pretty)
		},
	}
	replay := &cobra.Command{
		Use:   "replay ID",
		Short: "Deliver the event again to the script's current version, with fresh retries",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r struct{ DeliveryID string }
			if err := c.call("POST", "/api/dlq/"+url.PathEscape(args[0])+"/replay", &r); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "replayed as delivery %s\n", r.DeliveryID)
			return nil
		},
	}
	discard := &cobra.Command{
		Use:   "discard ID",
		Short: "Discard a dead letter (its record stays, as discarded)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := c.call("DELETE", "/api/dlq/"+url.PathEscape(args[0]), nil); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "discarded %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(list, show, replay, discard)
	return cmd
}
