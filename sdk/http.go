package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/outbound"
	"github.com/kiln-run/kiln/sdk/docquery"
)

// HTTPModule returns iota.http: get, post, put, patch and delete, each an
// async call
//
//	iota.http.post(url, { headers, query, body, timeout }) → { status, headers, body }
//
// that sends one request through c (and so through its SSRF guard, limits
// and per-tenant concurrency cap) for the invocation's tenant.
//
//   - headers: an object of header names to strings (numbers and booleans
//     are converted; an array sends the header once per element).
//   - query: an object appended to the URL's query string, keys sorted; an
//     array value repeats its key, null and undefined are left out.
//   - body: a string is sent as-is (Content-Type text/plain;charset=UTF-8
//     unless headers give one); any other value is sent as JSON
//     (Content-Type application/json unless headers give one).
//   - timeout: milliseconds; it can only shorten the client's timeout.
//
// The result's status is the HTTP status (a 4xx or 5xx is a result, not an
// error), headers an object of lower-case names to values (repeated
// headers joined by ", "), and body the response parsed as JSON when its
// Content-Type is application/json or *+json (null if empty; the text if it
// does not parse), otherwise the text.
func HTTPModule(c *outbound.Client) engine.Module {
	m := engine.Module{Name: "iota.http"}
	for _, name := range []string{"get", "post", "put", "patch", "delete"} {
		h := httpCall{client: c, name: "iota.http." + name, method: strings.ToUpper(name)}
		m.Funcs = append(m.Funcs, engine.HostFunc{Name: h.name, Async: true, Fn: h.call})
	}
	return m
}

// httpCall is one of iota.http's functions.
type httpCall struct {
	client *outbound.Client
	name   string // "iota.http.post"
	method string // "POST"
}

// httpOptions are the keys the second argument may have.
var httpOptions = []string{"body", "headers", "query", "timeout"}

func (h httpCall) call(ctx context.Context, call engine.HostCall) (any, error) {
	req, err := h.request(call.Args)
	if err != nil {
		return nil, err
	}
	resp, err := h.client.Do(ctx, call.Meta.TenantID, req)
	if err != nil {
		return nil, outboundError(err, h.name+": ")
	}
	return map[string]any{
		"status":  resp.Status,
		"headers": responseHeaders(resp.Header),
		"body":    responseBody(resp),
	}, nil
}

// request builds the outbound request from the script's (url, options).
func (h httpCall) request(args []any) (outbound.Request, error) {
	req := outbound.Request{Method: h.method}
	if len(args) == 0 {
		return req, h.invalid("the URL is missing: call %s('https://…', { headers, query, body, timeout })", h.name)
	}
	raw, ok := args[0].(string)
	if !ok {
		return req, h.invalid("the URL must be a string, not %s", docquery.Describe(args[0]))
	}
	if len(args) > 2 {
		return req, h.invalid("it takes a URL and one options object, not %d arguments", len(args))
	}
	var opts map[string]any
	if len(args) == 2 && args[1] != nil {
		if opts, ok = args[1].(map[string]any); !ok {
			return req, h.invalid("the options must be an object such as { headers, query, body, timeout }, not %s", docquery.Describe(args[1]))
		}
	}
	for key := range opts {
		if i := sort.SearchStrings(httpOptions, key); i == len(httpOptions) || httpOptions[i] != key {
			return req, h.invalid("unknown option %q: the options are %s", key, strings.Join(httpOptions, ", "))
		}
	}
	u, err := withQuery(raw, opts["query"])
	if err != nil {
		return req, h.invalid("%v", err)
	}
	req.URL = u
	if req.Header, err = requestHeaders(opts["headers"]); err != nil {
		return req, h.invalid("%v", err)
	}
	if err := setBody(&req, opts["body"]); err != nil {
		return req, h.invalid("%v", err)
	}
	if t, ok := opts["timeout"]; ok && t != nil {
		ms, ok := t.(float64)
		if !ok || ms <= 0 || math.IsInf(ms, 0) {
			return req, h.invalid("timeout must be a positive number of milliseconds, not %s", docquery.Describe(t))
		}
		req.Timeout = time.Duration(min(ms, float64(math.MaxInt64/int64(time.Millisecond))) * float64(time.Millisecond))
	}
	return req, nil
}

func (h httpCall) invalid(format string, args ...any) *engine.Error {
	return &engine.Error{Code: engine.CodeInvalidArgument, Message: h.name + ": " + fmt.Sprintf(format, args...)}
}

// withQuery appends query's keys, sorted, to raw's query string. A URL that
// does not parse is left for the client to refuse with INVALID_URL.
func withQuery(raw string, query any) (string, error) {
	if query == nil {
		return raw, nil
	}
	q, ok := query.(map[string]any)
	if !ok {
		return "", fmt.Errorf("query must be an object of parameters, not %s", docquery.Describe(query))
	}
	values := url.Values{}
	for key, v := range q {
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		}
		for _, item := range items {
			if item == nil {
				continue
			}
			s, err := scalar(item)
			if err != nil {
				return "", fmt.Errorf("query parameter %q: %w", key, err)
			}
			values.Add(key, s)
		}
	}
	if len(values) == 0 {
		return raw, nil
	}
	base, fragment, hasFragment := strings.Cut(raw, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + values.Encode()
	if hasFragment {
		out += "#" + fragment
	}
	return out, nil
}

// requestHeaders converts the headers option.
func requestHeaders(headers any) (http.Header, error) {
	if headers == nil {
		return nil, nil
	}
	m, ok := headers.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("headers must be an object of names to values, not %s", docquery.Describe(headers))
	}
	out := make(http.Header, len(m))
	for name, v := range m {
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		}
		for _, item := range items {
			if item == nil {
				continue
			}
			s, err := scalar(item)
			if err != nil {
				return nil, fmt.Errorf("header %q: %w", name, err)
			}
			out.Add(name, s)
		}
	}
	return out, nil
}

// setBody encodes the body option and sets a Content-Type if none is given.
func setBody(req *outbound.Request, body any) error {
	if body == nil {
		return nil
	}
	ctype := "application/json"
	switch b := body.(type) {
	case string:
		req.Body = []byte(b)
		ctype = "text/plain;charset=UTF-8"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("the body cannot be sent as JSON: %w", err)
		}
		req.Body = data
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", ctype)
	}
	return nil
}

// scalar renders a header or query value.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("must be a string, number or boolean, not %s", docquery.Describe(v))
}

func responseHeaders(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for name, values := range h {
		out[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	return out
}

// responseBody is the body as a script sees it: parsed JSON for a JSON
// content type, else text.
func responseBody(resp *outbound.Response) any {
	text := strings.ToValidUTF8(string(resp.Body), "\uFFFD")
	if !isJSON(resp.Header.Get("Content-Type")) {
		return text
	}
	if len(strings.TrimSpace(text)) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		return text
	}
	return v
}

// isJSON reports whether a Content-Type is application/json or a +json type
// (application/problem+json, say).
func isJSON(ctype string) bool {
	mt, _, err := mime.ParseMediaType(ctype)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
