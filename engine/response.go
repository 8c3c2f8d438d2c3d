package engine

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/kiln-run/kiln/internal/goja"

	"github.com/kiln-run/kiln/engine/internal/web"
)

// HTTPResponse is a web Response a handler returned, ready to send.
type HTTPResponse struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

// responseRecord is how a returned Response appears in Result.Value (and so
// in execution records): the body as text when it is UTF-8.
type responseRecord struct {
	Status int `json:"status"`
	// Headers is a list of [name, value] pairs: Set-Cookie may repeat.
	Headers    [][2]string `json:"headers"`
	Body       string      `json:"body,omitempty"`
	BodyBase64 []byte      `json:"bodyBase64,omitempty"`
}

// asResponse reports whether v is a Response made in this VM and, if so,
// fills res.Response and res.Value from it.
func (vm *VM) asResponse(v goja.Value, res *Result, outputCap int64) (bool, error) {
	status, headers, body, ok := web.ResponseParts(vm.rt, v)
	if !ok {
		return false, nil
	}
	if int64(len(body)) > outputCap {
		return true, Errorf(CodeOutputTooLarge, "the response body is %s, more than the %s output limit", formatBytes(int64(len(body))), formatBytes(outputCap))
	}
	res.Response = &HTTPResponse{Status: status, Headers: headers, Body: body}
	rec := responseRecord{Status: status, Headers: headers}
	if rec.Headers == nil {
		rec.Headers = [][2]string{}
	}
	if utf8.Valid(body) {
		rec.Body = string(body)
	} else {
		rec.BodyBase64 = body
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return true, err
	}
	res.Value = b
	return true, nil
}
