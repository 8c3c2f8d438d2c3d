package kiln

import (
	"context"
	"fmt"
	"regexp"

	"github.com/kiln-run/kiln/engine"
)

// HostFunc is a function of the embedding host that scripts call as
// `await iota.host.<Name>(…args)`. It goes through the same gate as every
// SDK call: counted against the script's host calls per minute, recorded,
// and refused once the run ends.
type HostFunc struct {
	// Name is a JavaScript identifier, such as discountFor.
	Name string
	// Fn gets the calling script's tenant ID and its arguments as JSON-like
	// values (nil, bool, float64, string, []any, map[string]any) and
	// returns a JSON-like value. Return a *kilntype.Error (or an
	// *engine.Error) for a stable err.code in the script; any other error
	// reaches the script as INTERNAL without its text.
	Fn func(ctx context.Context, tenantID string, args []any) (any, error)
}

var identifier = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// hostModule is the iota.host module of the configured host functions, or
// nil when there are none.
func (c Config) hostModule() (*engine.Module, error) {
	if len(c.HostFuncs) == 0 {
		return nil, nil
	}
	m := engine.Module{Name: "iota.host"}
	seen := map[string]bool{}
	for _, f := range c.HostFuncs {
		switch {
		case !identifier.MatchString(f.Name):
			return nil, fmt.Errorf("host function %q: the name must be a JavaScript identifier, such as discountFor", f.Name)
		case seen[f.Name]:
			return nil, fmt.Errorf("host function %q is given twice", f.Name)
		case f.Fn == nil:
			return nil, fmt.Errorf("host function %q has no Fn", f.Name)
		}
		seen[f.Name] = true
		fn := f.Fn
		m.Funcs = append(m.Funcs, engine.HostFunc{Name: "iota.host." + f.Name, Async: true,
			Fn: func(ctx context.Context, call engine.HostCall) (any, error) {
				return fn(ctx, call.Meta.TenantID, call.Args)
			}})
	}
	return &m, nil
}

// HostFuncNames lists the host functions' names, for the SDK's TypeScript
// declarations.
func (c *Client) HostFuncNames() []string {
	names := make([]string, 0, len(c.cfg.HostFuncs))
	for _, f := range c.cfg.HostFuncs {
		names = append(names, f.Name)
	}
	return names
}
