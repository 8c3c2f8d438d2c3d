package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/queue"
	"github.com/kiln-run/kiln/secrets"
	"github.com/kiln-run/kiln/store"
)

// The triggers kiln run can imitate, and the flags that only make sense
// with one of them.
var (
	runTriggers  = []string{"manual", "http", "event", "cron"}
	triggerFlags = []struct{ flag, trigger string }{
		{"method", "http"}, {"path", "http"}, {"query", "http"}, {"header", "http"}, {"param", "http"},
		{"event-type", "event"},
	}
)

// httpRequest is what the http trigger's flags describe.
type httpRequest struct {
	method, path           string
	query, headers, params []string
	body                   []byte
	hasBody                bool
}

// input shapes the request as the server does for /run/{tenant}/{path}:
// query parameters by their first value, header names in lower case and
// repeated headers joined with ", " (without Authorization and Cookie,
// which the server keeps from scripts), and the body as text, or parsed
// when the Content-Type is JSON. A JSON body without a Content-Type gets
// application/json, as most clients send it. notes are what to tell the
// user about flags the server would drop.
func (h httpRequest) input() (json.RawMessage, []string, error) {
	method := strings.ToUpper(h.method)
	if method == "" {
		method = "GET"
		if h.hasBody {
			method = "POST"
		}
	}
	if !slices.Contains(kilntype.HTTPMethods, method) {
		return nil, nil, usagef("--method %q: use one of %s", h.method, strings.Join(kilntype.HTTPMethods, ", "))
	}
	path := h.path
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
		return nil, nil, usagef("--path %q must start with / and hold no ? or # (the script's path under /run/{tenant}, such as /orders/42; pass query parameters with --query)", h.path)
	}
	in := kilntype.HTTPInput{Method: method, Path: path, Params: map[string]string{}, Query: map[string]string{}, Headers: map[string]string{}}
	for _, kv := range h.params {
		k, v, err := splitPair("--param", kv, "id=42")
		if err != nil {
			return nil, nil, err
		}
		in.Params[k] = v
	}
	for _, kv := range h.query {
		k, v, err := splitPair("--query", kv, "status=open")
		if err != nil {
			return nil, nil, err
		}
		if _, seen := in.Query[k]; !seen { // the server keeps the first value
			in.Query[k] = v
		}
	}
	var notes []string
	for _, line := range h.headers {
		name, value, ok := strings.Cut(line, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !httpguts.ValidHeaderFieldName(name) || !httpguts.ValidHeaderFieldValue(value) {
			return nil, nil, usagef("--header %q: write a header as 'Name: value', such as 'X-Request-Id: 42'", line)
		}
		if c := http.CanonicalHeaderKey(name); c == "Authorization" || c == "Cookie" {
			notes = append(notes, fmt.Sprintf("--header %s is not passed to the script: the server keeps Authorization and Cookie from scripts", name))
			continue
		}
		key := strings.ToLower(name)
		if prev, seen := in.Headers[key]; seen {
			value = prev + ", " + value
		}
		in.Headers[key] = value
	}
	if h.hasBody && len(h.body) > 0 {
		in.Body = string(h.body)
		ct, given := in.Headers["content-type"]
		if !given && json.Valid(h.body) {
			ct = "application/json"
			in.Headers["content-type"] = ct
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" || strings.HasSuffix(mt, "+json") {
			if !json.Valid(h.body) {
				var v any
				err := json.Unmarshal(h.body, &v)
				return nil, nil, usagef("--input is sent with Content-Type %s but is not JSON (%v); the server would answer 400 INVALID_ARGUMENT", ct, err)
			}
			in.Body = json.RawMessage(h.body)
		}
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, nil, fmt.Errorf("shape the HTTP input: %w", err)
	}
	return b, notes, nil
}

// eventTriggerInput is {id, type, payload, occurredAt} for --trigger event.
func eventTriggerInput(typ string, payload json.RawMessage) (json.RawMessage, error) {
	if typ == "" {
		return nil, usagef("--trigger event needs --event-type, such as --event-type order.created")
	}
	if !queue.ValidType(typ) {
		return nil, usagef("--event-type %q must be 1 to 8 dot-separated segments of lowercase letters, digits, '_' or '-', such as order.created", typ)
	}
	if len(payload) == 0 {
		payload = json.RawMessage("null")
	}
	return localEvent{id: newID(), typ: typ, payload: payload, occurredAt: time.Now().UTC()}.input(), nil
}

// cronTriggerInput is {scheduledAt} for --trigger cron: the current
// minute, as a schedule fires on whole minutes.
func cronTriggerInput(now time.Time) json.RawMessage {
	b, _ := json.Marshal(map[string]time.Time{"scheduledAt": now.UTC().Truncate(time.Minute)})
	return b
}

// splitPair splits a NAME=VALUE flag value; the name must not be empty.
func splitPair(flag, kv, example string) (string, string, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", "", usagef("%s %q: write NAME=VALUE, such as %s %s", flag, kv, flag, example)
	}
	return k, v, nil
}

// secretValue checks one secret as the server's API would take it.
func secretValue(source, name, value string) error {
	if err := store.ValidSecretName(name); err != nil {
		var ke *kilntype.Error
		if errors.As(err, &ke) {
			return usagef("%s: %s", source, ke.Message)
		}
		return usagef("%s: %v", source, err)
	}
	if len(value) > secrets.MaxValueBytes {
		return usagef("%s: secret %s is %d bytes; the limit is %d", source, name, len(value), secrets.MaxValueBytes)
	}
	return nil
}

// readEnvFile reads NAME=VALUE lines. Blank lines and lines starting with
// # are skipped, a leading "export " is allowed, and a value in matching
// single or double quotes loses them (nothing inside is unescaped).
func readEnvFile(file string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usagef("--env-file %s: cannot read it: %v", file, unwrapPathError(err))
	}
	out := map[string]string{}
	s := bufio.NewScanner(bytes.NewReader(b))
	s.Buffer(nil, secrets.MaxValueBytes+1024)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, usagef("--env-file %s:%d: write NAME=VALUE", file, n)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		if err := secretValue(fmt.Sprintf("--env-file %s:%d", file, n), name, value); err != nil {
			return nil, err
		}
		out[name] = value
	}
	if err := s.Err(); err != nil {
		return nil, usagef("--env-file %s: %v", file, err)
	}
	return out, nil
}
