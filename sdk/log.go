package sdk

import (
	"context"
	"encoding/json"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/sdk/docquery"
)

// LogModule returns iota.log: debug, info, warn and error, each a sync
// call
//
//	iota.log.info(message, fields?)
//
// that appends one entry to the execution's log, beside console output,
// with fields kept as structured data. A message that is not a string is
// written as JSON. Entries past the invocation's log caps are dropped and
// the log marked truncated, as console.log does.
func LogModule() engine.Module {
	m := engine.Module{Name: "iota.log"}
	for _, level := range []engine.Level{engine.LevelDebug, engine.LevelInfo, engine.LevelWarn, engine.LevelError} {
		name := "iota.log." + string(level)
		m.Funcs = append(m.Funcs, engine.HostFunc{Name: name, Output: true, Fn: func(_ context.Context, call engine.HostCall) (any, error) {
			if len(call.Args) == 0 || len(call.Args) > 2 {
				return nil, invalid(name, "it takes a message and an optional object of fields, as in %s('order paid', { orderId: 42 })", name)
			}
			message, ok := call.Args[0].(string)
			if !ok {
				b, _ := json.Marshal(call.Args[0]) // JSON-like values always encode
				message = string(b)
			}
			var fields map[string]any
			if len(call.Args) == 2 && call.Args[1] != nil {
				if fields, ok = call.Args[1].(map[string]any); !ok {
					return nil, invalid(name, "fields must be an object such as { orderId: 42 }, not %s", docquery.Describe(call.Args[1]))
				}
			}
			call.Log(level, message, fields)
			return nil, nil
		}})
	}
	return m
}
