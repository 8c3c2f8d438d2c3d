package sdk

import (
	"context"
	"errors"
	"fmt"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/secrets"
	"github.com/kiln-run/kiln/store"
)

// SecretReader is what iota.secrets needs of the store.
type SecretReader interface {
	SecretGet(ctx context.Context, tenantID, name string) ([]byte, error)
}

// SecretsModule returns iota.secrets with one async function,
//
//	get(name) → the secret's value, a string
//
// reading the calling tenant's secret from st and opening it with box.
// Every value handed to a script is recorded on its VM first
// (engine.HostCall.Secret), which then lists it in the Result.Secrets of
// this run and every later run of the VM: cut them out of what is kept
// of a run. A VM that holds too many secret values refuses more with
// QUOTA_EXCEEDED. onRead, if not nil, is also called with every value
// handed over, before the script sees it. A missing secret is NOT_FOUND
// with a message that says how to set it.
func SecretsModule(st SecretReader, box *secrets.Box, onRead func(meta engine.Meta, name, value string)) engine.Module {
	return secretsModule(st, box, onRead, nil)
}

// secretsModule is SecretsModule whose NOT_FOUND message tells the script
// author howToSet(name) (nil: the server's API route).
func secretsModule(st SecretReader, box *secrets.Box, onRead func(meta engine.Meta, name, value string), howToSet func(name string) string) engine.Module {
	const name = "iota.secrets.get"
	if howToSet == nil {
		howToSet = func(secret string) string { return "set it with PUT /api/secrets/" + secret }
	}
	get := func(ctx context.Context, call engine.HostCall) (any, error) {
		if call.Meta.TenantID == "" {
			return nil, fmt.Errorf("%s: the invocation has no tenant", name)
		}
		if len(call.Args) != 1 {
			return nil, invalid(name, "it takes one secret name, as in %s('STRIPE_KEY')", name)
		}
		secret, ok := call.Args[0].(string)
		if !ok {
			return nil, invalid(name, "the secret name must be a string, not %s", docquery.Describe(call.Args[0]))
		}
		if err := store.ValidSecretName(secret); err != nil {
			return nil, scriptError(name, err)
		}
		sealed, err := st.SecretGet(ctx, call.Meta.TenantID, secret)
		if code(err) == kilntype.ENotFound {
			return nil, engine.Errorf(kilntype.ENotFound, "%s: secret %s is not set for this tenant: %s", name, secret, howToSet(secret))
		}
		if err != nil {
			return nil, scriptError(name, err)
		}
		value, err := box.Open(call.Meta.TenantID, secret, sealed)
		if errors.Is(err, secrets.ErrOpen) {
			// The operator's problem (a changed key), never the script's:
			// INTERNAL, with the details left to the gate's log.
			return nil, fmt.Errorf("%s: secret %s of tenant %s: %w", name, secret, call.Meta.TenantID, err)
		}
		if err != nil {
			return nil, err
		}
		// The VM keeps the value for life, so that every later run's record
		// is redacted too: a script may keep it between runs.
		if err := call.Secret(secret, string(value)); err != nil {
			return nil, err
		}
		if onRead != nil {
			onRead(call.Meta, secret, string(value))
		}
		return string(value), nil
	}
	return engine.Module{Name: "iota.secrets", Funcs: []engine.HostFunc{{Name: name, Async: true, Fn: get}}}
}
