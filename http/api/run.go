package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	pathpkg "path"
	"strings"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
)

// runHTTP serves /run/{tenant}/{path…} with the tenant's active HTTP scripts.
func (a *API) runHTTP(w http.ResponseWriter, r *http.Request) {
	a.serveRun(w, r, r.PathValue("tenant"), r.PathValue("path"))
}

// runRoute is the adapter's handler: requests to /run/ whose path is clean
// go straight to serveRun, the rest through the mux. The mux's pattern
// matching cost more than the rest of routing a script request (a few
// microseconds and a dozen allocations of a 60 µs request); the mux still
// serves everything else, including the redirect of an unclean /run/ path.
type runRoute struct {
	a   *API
	mux *http.ServeMux
}

func (h runRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tenant, rest, ok := runPath(r); ok {
		h.a.serveRun(w, r, tenant, rest)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// runPath splits a clean /run/{tenant}/{path…} request path as the mux's
// pattern would, unescaping both; ok is false for anything else, which
// the mux then handles.
func runPath(r *http.Request) (tenant, rest string, ok bool) {
	if r.Method == http.MethodConnect {
		return "", "", false
	}
	p := r.URL.EscapedPath()
	after, found := strings.CutPrefix(p, "/run/")
	if !found || pathpkg.Clean(p) != p {
		return "", "", false
	}
	tenantEsc, restEsc, found := strings.Cut(after, "/")
	if !found || tenantEsc == "" {
		return "", "", false
	}
	tenant, err := url.PathUnescape(tenantEsc)
	if err != nil {
		return "", "", false
	}
	if rest, err = url.PathUnescape(restEsc); err != nil {
		return "", "", false
	}
	return tenant, rest, true
}

// serveRun runs the tenant's HTTP script that serves "/"+path.
func (a *API) serveRun(w http.ResponseWriter, r *http.Request, tenantSlug, path string) {
	path = "/" + path
	route, err := a.client.RouteHTTP(r.Context(), tenantSlug, r.Method, path)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	// Read (and cap) the body before any script runs. A request without
	// one (most GETs) has http.NoBody: nothing to read, nor a 512-byte
	// buffer to read it into.
	var raw []byte
	if r.Body != http.NoBody {
		raw, err = io.ReadAll(http.MaxBytesReader(w, r.Body, a.maxBody))
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, a.log, kilntype.Errorf(kilntype.ETooLarge, "the request body is larger than %d bytes", a.maxBody))
			return
		}
		writeError(w, a.log, kilntype.Errorf(kilntype.EInvalidArgument, "could not read the request body"))
		return
	}
	in := kilntype.HTTPInput{Method: r.Method, Path: path, Params: route.Params, Query: firstQueryValues(r.URL), Headers: map[string]string{}}
	for k, v := range r.Header {
		if k != "Authorization" && k != "Cookie" {
			in.Headers[lowerHeaderName(k)] = strings.Join(v, ", ")
		}
	}
	if len(raw) > 0 {
		in.Body = string(raw)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" || strings.HasSuffix(mt, "+json") {
			if !json.Valid(raw) {
				var v any
				err := json.Unmarshal(raw, &v)
				writeError(w, a.log, kilntype.Errorf(kilntype.EInvalidArgument, "the body is sent as JSON but does not parse: %v", err))
				return
			}
			in.Body = json.RawMessage(raw)
		}
	}
	res, err := a.client.Run(r.Context(), kiln.RunParams{TenantID: route.TenantID, ScriptID: route.ScriptID,
		Trigger: kilntype.TriggerHTTP, HTTP: &in,
		TraceParent: r.Header.Get("Traceparent"), TraceState: r.Header.Get("Tracestate")})
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	exec := res.Execution
	if e := exec.Error; e != nil {
		// The script failed: to its caller that is the server failing
		// (500), or, for a run past its time, a gateway timeout (504) —
		// whatever the code, which is the script's business (an uncaught
		// SSRF_BLOCKED is not the caller's 403).
		status := http.StatusInternalServerError
		if e.Code == kilntype.ETimeout {
			status = http.StatusGatewayTimeout
		}
		writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code,
			Message: "the script failed; see its execution record for the error and logs",
			Details: map[string]string{"executionId": exec.ID}}})
		return
	}
	if resp := res.Response; resp != nil {
		if resp.Status < 100 {
			// Response.error() has status 0: a network error, which a
			// server can only report as a bad gateway.
			writeJSON(w, kilntype.EScriptResponseError.HTTPStatus(), errorBody{Error: errorDetail{Code: kilntype.EScriptResponseError,
				Message: "the script returned Response.error()", Details: map[string]string{"executionId": exec.ID}}})
			return
		}
		for _, h := range resp.Headers {
			w.Header().Add(h[0], h[1])
		}
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
		return
	}
	writeScriptResponse(w, exec.Output)
}

// firstQueryValues is each query parameter's first value, as
// u.Query() would give them, without its slice per key. Queries of more
// than maxFastQuery parameters go through u.Query(), which also applies
// net/url's cap on their number.
func firstQueryValues(u *url.URL) map[string]string {
	raw := u.RawQuery
	if strings.Count(raw, "&") >= maxFastQuery {
		q := map[string]string{}
		for k, v := range u.Query() {
			q[k] = v[0]
		}
		return q
	}
	q := make(map[string]string, strings.Count(raw, "&")+1)
	for raw != "" {
		// url.ParseQuery's rules: pairs split on '&', a pair with a ';'
		// or that does not unescape is dropped, an empty pair skipped.
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		if _, seen := q[k]; seen {
			continue
		}
		if v, err = url.QueryUnescape(v); err != nil {
			continue
		}
		q[k] = v
	}
	return q
}

const maxFastQuery = 64

// scriptResponse is the {status, headers, body} shape a handler may return.
type scriptResponse struct {
	Status  *int              `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// writeScriptResponse sends a handler's result: {status, headers, body} as
// given (a string body as text), anything else as 200 JSON.
// onlyStatus reports whether value is an object with the one key status,
// such as {status: 429}: a response with no body.
func onlyStatus(value json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(value, &m) == nil && len(m) == 1 && m["status"] != nil
}

func writeScriptResponse(w http.ResponseWriter, value json.RawMessage) {
	var resp scriptResponse
	// Only an object with a "status" key can be a response; most results
	// are plain data, and decoding them here would be wasted work.
	if len(value) > 0 && value[0] == '{' && bytes.Contains(value, []byte(`"status"`)) &&
		json.Unmarshal(value, &resp) == nil && resp.Status != nil &&
		*resp.Status >= 100 && *resp.Status <= 599 && (resp.Body != nil || resp.Headers != nil || onlyStatus(value)) {
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		var text string
		body := []byte(resp.Body)
		if json.Unmarshal(resp.Body, &text) == nil {
			body = []byte(text)
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			}
		} else if w.Header().Get("Content-Type") == "" && len(body) > 0 {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(*resp.Status)
		_, _ = w.Write(body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(value)
	_, _ = w.Write([]byte("\n"))
}

// lowerHeaderName is a header's name in lower case, without allocating for
// the common ones (net/http gives names in canonical form: Content-Type).
func lowerHeaderName(k string) string {
	if l, ok := commonHeaders[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

var commonHeaders = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Cache-Control", "Connection",
		"Content-Length", "Content-Type", "Host", "If-Modified-Since", "If-None-Match", "Origin", "Pragma",
		"Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Traceparent", "Tracestate",
		"Upgrade-Insecure-Requests", "User-Agent", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
		"X-Real-Ip", "X-Request-Id", "Idempotency-Key"} {
		m[k] = strings.ToLower(k)
	}
	return m
}()
