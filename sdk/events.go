package sdk

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
)

// Publisher makes an event durable for a tenant and returns its ID.
type Publisher func(ctx context.Context, tenantID, typ string, payload json.RawMessage) (string, error)

// EventsModule returns iota.events:
//
//	await iota.events.publish('order.created', { id: 42 }) → event id
//
// The event belongs to the invocation's tenant; the call returns once the
// queue holds it, never waiting for the scripts it triggers.
func EventsModule(publish Publisher) engine.Module {
	return engine.Module{Name: "iota.events", Funcs: []engine.HostFunc{{
		Name:  "iota.events.publish",
		Async: true,
		Fn: func(ctx context.Context, call engine.HostCall) (any, error) {
			if len(call.Args) < 1 || len(call.Args) > 2 {
				return nil, engine.Errorf(engine.CodeInvalidArgument, "iota.events.publish: pass (type, payload), such as ('order.created', { id: 42 })")
			}
			typ, ok := call.Args[0].(string)
			if !ok {
				return nil, engine.Errorf(engine.CodeInvalidArgument, "iota.events.publish: the type must be a string such as 'order.created', not %s", docquery.Describe(call.Args[0]))
			}
			var payload any
			if len(call.Args) == 2 {
				payload = call.Args[1]
			}
			b, err := json.Marshal(payload)
			if err != nil {
				return nil, engine.Errorf(engine.CodeInvalidArgument, "iota.events.publish: the payload must be JSON data: %v", err)
			}
			id, err := publish(ctx, call.Meta.TenantID, typ, b)
			if err != nil {
				var ke *kilntype.Error
				if errors.As(err, &ke) {
					return nil, engine.Errorf(ke.Code, "iota.events.publish: %s", ke.Message)
				}
				return nil, err
			}
			return id, nil
		},
	}}}
}
