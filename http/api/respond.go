package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kiln-run/kiln/kilntype"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    kilntype.Code `json:"code"`
	Message string        `json:"message"`
	Details any           `json:"details,omitempty"`
}

// writeError answers with err's status and the {"error": …} body. Errors
// that are not *kilntype.Error are logged and answered as INTERNAL without
// their text.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var e *kilntype.Error
	if !errors.As(err, &e) {
		log.Error("request failed", "err", err)
		e = kilntype.Errorf(kilntype.EInternal, "the server failed to handle the request; the error was logged")
	}
	status := e.Code.HTTPStatus()
	if e.Code == kilntype.EOverloaded {
		w.Header().Set("Retry-After", "1")
	}
	if e.Code == kilntype.EMethodNotAllowed {
		if d, ok := e.Details.(map[string][]string); ok {
			w.Header().Set("Allow", strings.Join(d["allow"], ", "))
		}
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Details: e.Details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decodeBody reads a JSON request body into v, refusing unknown fields,
// trailing data and bodies over the size cap with errors a client can fix.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			return kilntype.Errorf(kilntype.ETooLarge, "the request body is larger than %d bytes", max)
		case errors.Is(err, io.EOF):
			return kilntype.Errorf(kilntype.EInvalidArgument, "the request body is empty; send a JSON object")
		case errors.As(err, &syntax):
			return kilntype.Errorf(kilntype.EInvalidArgument, "the request body is not valid JSON (at byte %d)", syntax.Offset)
		case errors.As(err, &typeErr):
			return kilntype.Errorf(kilntype.EInvalidArgument, "field %q must be a %s", typeErr.Field, typeErr.Type)
		default:
			return kilntype.Errorf(kilntype.EInvalidArgument, "the request body is not acceptable: %s", err.Error())
		}
	}
	if dec.More() {
		return kilntype.Errorf(kilntype.EInvalidArgument, "the request body has data after the JSON object")
	}
	return nil
}
