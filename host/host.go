// Package host embeds Kiln in a Go application: the same server as
// `kiln serve` (store, VM pool, queue, cron, API and admin UI), without a
// listener unless asked, plus what only an embedding host can give —
// its own iota.db collections and its own host functions under iota.host —
// and calls to run a tenant's `embedded` script by name.
//
//	k, err := host.New(ctx, host.Config{DataDir: "./kiln-data",
//		Collections: map[string]sdk.Collection{"customers": customers},
//		Funcs: []host.Func{{Name: "discountFor", Fn: discountFor}}})
//	…
//	err = k.Start(ctx)
//	res, err := k.Invoke(ctx, "acme", "price-order", order)
//
// Tenants, keys and scripts are managed through the same API as the server
// (mount k.Handler(), or use CreateTenant and SaveScript here).
package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk"
	"github.com/kiln-run/kiln/server"
)

// Config is the embedded Kiln's configuration.
type Config struct {
	// Server is everything `kiln serve` can be told (store, data folder,
	// pool, queue, limits). Its Addr is used only when Listen is true.
	Server server.Config
	// DataDir, if set, overrides Server.DataDir.
	DataDir string
	// Listen serves the API, /run and the admin UI on Server.Addr too.
	Listen bool
	// Collections are the host's own iota.db collections, by name. Kiln
	// passes every call the script's tenant ID; the host scopes by it.
	Collections map[string]sdk.Collection
	// Funcs are the host's own functions, seen by scripts as iota.host.<Name>.
	Funcs []Func
	// Logger receives Kiln's logs; nil discards them.
	Logger *slog.Logger
}

// Func is a host function scripts call as `await iota.host.<Name>(…args)`.
type Func struct {
	// Name is a JavaScript identifier, such as discountFor.
	Name string
	// Fn gets the calling script's tenant ID and its arguments as JSON-like
	// values (nil, bool, float64, string, []any, map[string]any) and
	// returns a JSON-like value. Return an *engine.Error for a stable
	// err.code in the script.
	Fn func(ctx context.Context, tenantID string, args []any) (any, error)
}

// Kiln is an embedded Kiln.
type Kiln struct {
	app      *server.App
	handler  http.Handler
	operator string

	mu      sync.Mutex
	scripts map[string]string // tenant slug + "/" + script name → script ID
}

// New opens the store and builds everything; call Start to run.
func New(ctx context.Context, cfg Config) (*Kiln, error) {
	sc := cfg.Server
	if cfg.DataDir != "" {
		sc.DataDir = cfg.DataDir
	}
	sc.NoListen = !cfg.Listen
	sc.Collections = cfg.Collections
	if len(cfg.Funcs) > 0 {
		m := engine.Module{Name: "iota.host"}
		for _, f := range cfg.Funcs {
			if f.Fn == nil {
				return nil, fmt.Errorf("host function %q has no Fn", f.Name)
			}
			fn := f.Fn
			m.Funcs = append(m.Funcs, engine.HostFunc{Name: "iota.host." + f.Name, Async: true,
				Fn: func(ctx context.Context, call engine.HostCall) (any, error) {
					return fn(ctx, call.Meta.TenantID, call.Args)
				}})
		}
		sc.Modules = append(sc.Modules, m)
	}
	// The host acts as the operator through the API in process; the key
	// never leaves it unless the host sets its own.
	if sc.OperatorKey == "" {
		var b [32]byte
		_, _ = rand.Read(b[:])
		sc.OperatorKey = "host_" + base64.RawURLEncoding.EncodeToString(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	app, err := server.New(ctx, sc, log, io.Discard)
	if err != nil {
		return nil, err
	}
	return &Kiln{app: app, handler: app.Handler(), operator: sc.OperatorKey, scripts: map[string]string{}}, nil
}

// Start runs the queue, the scheduler and (with Listen) the listener.
func (k *Kiln) Start(ctx context.Context) error { return k.app.Start(ctx) }

// Stop lets running executions finish (up to the shutdown timeout), writes
// their records and closes everything.
func (k *Kiln) Stop(ctx context.Context) error { return k.app.Stop(ctx) }

// Handler serves the API, /run/{tenant}/… and the admin UI, for mounting in
// the host's own mux.
func (k *Kiln) Handler() http.Handler { return k.handler }

// OperatorKey is the operator's API key (generated unless Server.OperatorKey
// was set).
func (k *Kiln) OperatorKey() string { return k.operator }

// CreateTenant creates a tenant; CONFLICT if the slug is taken.
func (k *Kiln) CreateTenant(ctx context.Context, slug, name string) (*kilntype.Tenant, error) {
	var t kilntype.Tenant
	err := k.call(ctx, "POST", "/api/tenants", "", map[string]string{"slug": slug, "name": name}, &t)
	return &t, err
}

// Script is what SaveScript stores.
type Script struct {
	Name     string
	Source   string
	Language string // "typescript" (default) or "javascript"
	// Type defaults to embedded. Trigger and Limits as in the API.
	Type    kilntype.ScriptType
	Trigger *kilntype.TriggerConfig
	Limits  *kilntype.Limits
	// ChangeDescription is noted on the new version.
	ChangeDescription string
}

// SaveScript creates the tenant's script with this name (active), or saves
// a new version of it. A source that does not compile is SYNTAX_ERROR with
// the line and column in the error's details.
func (k *Kiln) SaveScript(ctx context.Context, tenantSlug string, s Script) (*kilntype.Script, error) {
	body := map[string]any{"source": s.Source}
	if s.Language != "" {
		body["language"] = s.Language
	}
	if s.Trigger != nil {
		body["trigger"] = s.Trigger
	}
	if s.Limits != nil {
		body["limits"] = s.Limits
	}
	if s.ChangeDescription != "" {
		body["changeDescription"] = s.ChangeDescription
	}
	var out kilntype.Script
	id, err := k.scriptID(ctx, tenantSlug, s.Name)
	switch {
	case err == nil:
		err = k.call(ctx, "PUT", "/api/scripts/"+id, tenantSlug, body, &out)
	case kilntype.ErrorCode(err) == kilntype.ENotFound:
		typ := s.Type
		if typ == "" {
			typ = kilntype.TypeEmbedded
		}
		body["name"], body["type"], body["status"] = s.Name, typ, kilntype.StatusActive
		err = k.call(ctx, "POST", "/api/scripts", tenantSlug, body, &out)
	}
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.scripts[tenantSlug+"/"+s.Name] = out.ID
	k.mu.Unlock()
	return &out, nil
}

// Invoke runs the tenant's script with this name on its current version
// (ctx.trigger is "embedded") and returns its execution record (status,
// output, logs, error). The record is durable when Invoke returns. A
// script failure is in the record's Error, not in err.
func (k *Kiln) Invoke(ctx context.Context, tenantSlug, scriptName string, input any) (*kilntype.Execution, error) {
	id, err := k.scriptID(ctx, tenantSlug, scriptName)
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(input)
	if err != nil {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the input is not JSON data: %v", err)
	}
	ex, err := k.app.InvokeEmbedded(ctx, tenantSlug, id, in)
	if kilntype.ErrorCode(err) == kilntype.ENotFound {
		k.forget(tenantSlug, scriptName) // deleted or recreated since
	}
	return ex, err
}

// Publish makes an event durable for the tenant and returns its ID.
func (k *Kiln) Publish(ctx context.Context, tenantSlug, typ string, payload any) (string, error) {
	var out struct{ ID string }
	err := k.call(ctx, "POST", "/api/events", tenantSlug, map[string]any{"type": typ, "payload": payload}, &out)
	return out.ID, err
}

func (k *Kiln) forget(tenantSlug, name string) {
	k.mu.Lock()
	delete(k.scripts, tenantSlug+"/"+name)
	k.mu.Unlock()
}

// scriptID finds a tenant's script by name; NOT_FOUND if it has none.
func (k *Kiln) scriptID(ctx context.Context, tenantSlug, name string) (string, error) {
	k.mu.Lock()
	id, ok := k.scripts[tenantSlug+"/"+name]
	k.mu.Unlock()
	if ok {
		return id, nil
	}
	var page struct {
		Scripts    []kilntype.Script
		NextCursor string
	}
	q := url.Values{"q": {name}, "limit": {"200"}}
	for {
		if err := k.call(ctx, "GET", "/api/scripts?"+q.Encode(), tenantSlug, nil, &page); err != nil {
			return "", err
		}
		for _, s := range page.Scripts {
			if s.Name == name && s.Status != kilntype.StatusArchived {
				k.mu.Lock()
				k.scripts[tenantSlug+"/"+name] = s.ID
				k.mu.Unlock()
				return s.ID, nil
			}
		}
		if page.NextCursor == "" {
			return "", kilntype.Errorf(kilntype.ENotFound, "tenant %q has no script named %q", tenantSlug, name)
		}
		q.Set("cursor", page.NextCursor)
	}
}

// call sends an API request in process, as the operator (acting inside
// tenantSlug when it is set), and decodes the answer into out.
func (k *Kiln) call(ctx context.Context, method, path, tenantSlug string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequestWithContext(ctx, method, path, rd)
	req.Header.Set("Authorization", "Bearer "+k.operator)
	req.Header.Set("Content-Type", "application/json")
	if tenantSlug != "" {
		req.Header.Set("X-Kiln-Tenant", tenantSlug)
	}
	rec := httptest.NewRecorder()
	k.handler.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		var e struct {
			Error struct {
				Code, Message string
				Details       any
			}
		}
		if json.Unmarshal(rec.Body.Bytes(), &e) == nil && e.Error.Code != "" {
			return &kilntype.Error{Code: e.Error.Code, Message: e.Error.Message, Details: e.Error.Details}
		}
		return kilntype.Errorf(kilntype.EInternal, "%s %s answered %d", method, path, rec.Code)
	}
	if out != nil && rec.Body.Len() > 0 {
		return json.Unmarshal(rec.Body.Bytes(), out)
	}
	return nil
}
