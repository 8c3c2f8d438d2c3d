package kilntype

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-run/kiln/internal/jsonw"
)

// The inputs each trigger gives a script's handler, and the event patterns
// scripts subscribe with: one definition for the server and for `kiln
// run`, which imitates it.

// HTTPMethods are the methods an HTTP script can serve.
var HTTPMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// HTTPInput is what an HTTP script's handler receives.
type HTTPInput struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Params are the path's {parameters}.
	Params map[string]string `json:"params"`
	// Query holds each query parameter's first value.
	Query map[string]string `json:"query"`
	// Headers are lower-case names, repeated headers joined with ", ";
	// Authorization and Cookie are never passed.
	Headers map[string]string `json:"headers"`
	// Body is nil, the body as text (a string), or a JSON body as sent
	// (a json.RawMessage that is valid JSON).
	Body any `json:"body"`
}

// AppendJSON appends in as JSON, as encoding/json would write it (map keys
// in order) but without reflection: it is every HTTP request's input.
func (in *HTTPInput) AppendJSON(buf []byte) []byte {
	buf = append(buf, `{"method":`...)
	buf = jsonw.String(buf, in.Method)
	buf = append(buf, `,"path":`...)
	buf = jsonw.String(buf, in.Path)
	buf = append(buf, `,"params":`...)
	buf = jsonw.StringMap(buf, in.Params)
	buf = append(buf, `,"query":`...)
	buf = jsonw.StringMap(buf, in.Query)
	buf = append(buf, `,"headers":`...)
	buf = jsonw.StringMap(buf, in.Headers)
	buf = append(buf, `,"body":`...)
	switch b := in.Body.(type) {
	case string:
		buf = jsonw.String(buf, b)
	case json.RawMessage: // valid JSON, checked by whoever set it
		buf = append(buf, b...)
	default:
		buf = append(buf, "null"...)
	}
	return append(buf, '}')
}

// EventInput is what an event script's handler receives.
type EventInput struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	OccurredAt time.Time       `json:"occurredAt"`
}

// AppendJSON appends in as JSON, as encoding/json would write it (the
// payload compacted, the time in RFC 3339 with nanoseconds) but without
// reflection and, as internal/jsonw, without escaping <, > and &: it is
// every event delivery's input. A nil payload is null; a payload that is
// not JSON (an empty one too) is an error, as with encoding/json.
func (in *EventInput) AppendJSON(buf []byte) ([]byte, error) {
	buf = append(buf, `{"id":`...)
	buf = jsonw.String(buf, in.ID)
	buf = append(buf, `,"type":`...)
	buf = jsonw.String(buf, in.Type)
	buf = append(buf, `,"payload":`...)
	if in.Payload == nil {
		buf = append(buf, "null"...)
	} else {
		b := bytes.NewBuffer(buf)
		if err := json.Compact(b, in.Payload); err != nil {
			return nil, err
		}
		buf = b.Bytes()
	}
	buf = append(buf, `,"occurredAt":"`...)
	buf = in.OccurredAt.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, `"}`...), nil
}

var eventPattern = regexp.MustCompile(`^([a-z0-9_-]+|\*)(\.([a-z0-9_-]+|\*))*(\.>)?$|^>$`)

// ValidEventPattern reports whether p is a pattern an event script may
// subscribe with: dot-separated lowercase words, * for one word, > at the
// end for the rest.
func ValidEventPattern(p string) bool { return eventPattern.MatchString(p) }

// MatchEvent matches an event type against a subscription pattern: `*`
// stands for one segment, a final `>` for one or more.
func MatchEvent(pattern, typ string) bool {
	ps, ts := strings.Split(pattern, "."), strings.Split(typ, ".")
	for i, p := range ps {
		if p == ">" {
			return len(ts) > i
		}
		if i >= len(ts) || (p != "*" && p != ts[i]) {
			return false
		}
	}
	return len(ps) == len(ts)
}
