package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
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

// call sends a request without a body and decodes a JSON answer into out
// (if not nil). An API error comes back as its code and message.
func (c *apiClient) call(method, path string, out any) error {
	return c.callJSON(method, path, nil, out)
}

// callJSON is call with in as the JSON request body (none if in is nil).
func (c *apiClient) callJSON(method, path string, in, out any) error {
	if err := c.resolve(); err != nil {
		return err
	}
	var reader io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.server+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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
