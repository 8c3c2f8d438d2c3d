package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// apiClient calls a running kiln server's API with a key.
type apiClient struct {
	server, key string
	http        *http.Client
}

// addAPIFlags adds --server and --key (KILN_SERVER, KILN_KEY) to cmd.
func addAPIFlags(cmd *cobra.Command, c *apiClient) {
	cmd.PersistentFlags().StringVar(&c.server, "server", "", "the kiln server's URL (default http://127.0.0.1:8080; env KILN_SERVER)")
	cmd.PersistentFlags().StringVar(&c.key, "key", "", "an API key of the tenant (env KILN_KEY)")
}

func (c *apiClient) resolve() error {
	if c.server == "" {
		c.server = os.Getenv("KILN_SERVER")
	}
	if c.server == "" {
		c.server = "http://127.0.0.1:8080"
	}
	if c.key == "" {
		c.key = os.Getenv("KILN_KEY")
	}
	if c.key == "" {
		return usagef("an API key is needed: pass --key or set KILN_KEY")
	}
	if u, err := url.Parse(c.server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--server %q must be a URL such as http://127.0.0.1:8080", c.server)
	}
	c.server = strings.TrimSuffix(c.server, "/")
	c.http = &http.Client{Timeout: 30 * time.Second}
	return nil
}

// call sends a request and decodes a JSON answer into out (if not nil). An
// API error comes back as its code and message.
func (c *apiClient) call(method, path string, out any) error {
	if err := c.resolve(); err != nil {
		return err
	}
	req, err := http.NewRequest(method, c.server+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the kiln server at %s: %w", c.server, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("%s: %s", e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	if out != nil && len(body) > 0 {
		return json.Unmarshal(body, out)
	}
	return nil
}

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
