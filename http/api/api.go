// Package api is Kiln's HTTP adapter: the JSON API under /api/, HTTP
// scripts under /run/{tenant}/{path}, /metrics (operator key), /healthz,
// /readyz and the admin UI, all over a *kiln.Client. A handler decodes the request, calls
// the client and encodes the answer; business rules live in the client.
// One route table drives the mux, the role each route needs (enforced by
// one middleware) and the OpenAPI document.
package api

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kiln-run/kiln"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/ui"
)

// Options tune the adapter.
type Options struct {
	// MaxBodyBytes caps request bodies (API and /run). Default 1 MiB.
	MaxBodyBytes int64
	// Logger receives request failures that are not the caller's fault.
	// Default: the client's logger.
	Logger *slog.Logger
}

// API serves Kiln over HTTP.
type API struct {
	client  *kiln.Client
	log     *slog.Logger
	maxBody int64
	handler http.Handler
	metrics http.Handler // the Prometheus exposition, without a key check
}

// New builds the HTTP adapter over client.
func New(client *kiln.Client, opts Options) *API {
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.Logger == nil {
		opts.Logger = client.Config().Logger
	}
	a := &API{client: client, log: opts.Logger, maxBody: opts.MaxBodyBytes,
		metrics: promhttp.HandlerFor(client.Metrics(), promhttp.HandlerOpts{})}
	a.handler = a.routes()
	return a
}

// ServeHTTP serves every route.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// apiHandler is an API route: it returns the status and body to send, or an
// error that writeError turns into the {"error": …} body. A handler whose
// answer is not JSON (/metrics) writes it itself and returns status 0.
type apiHandler func(w http.ResponseWriter, r *http.Request, p principal) (int, any, error)

// routes builds the mux.
func (a *API) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.ready)
	for pattern, h := range a.publicRoutes() {
		mux.HandleFunc(pattern, h)
	}
	for _, rt := range a.apiRoutes() {
		mux.Handle(rt.Method+" "+rt.Path, a.authed(rt.Access, rt.Handler))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, a.log, kilntype.Errorf(kilntype.ENotFound, "no API route %s %s; see GET /api/openapi.json", r.Method, r.URL.Path))
	})
	mux.HandleFunc("/run/{tenant}/{path...}", a.runHTTP)
	mux.Handle("/", ui.Handler())
	return runRoute{a: a, mux: mux}
}

// publicRoutes are the API routes that need no key: the OpenAPI document
// and the SDK's TypeScript declarations.
func (a *API) publicRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/openapi.json":  a.openAPI,
		"GET /api/sdk/iota.d.ts": a.sdkTypes,
	}
}

// apiRoute is one API route: registered on the mux, guarded by its
// Access and described in the OpenAPI document from this one table, so the
// three cannot drift.
type apiRoute struct {
	Method, Path, Summary string
	// Access is who may call it; the authed middleware enforces it.
	Access  Access
	Handler apiHandler
	// Body names the request body's fields, for the document.
	Body []string
	// Query names the query parameters.
	Query []string
	// Status is the success status.
	Status int
}

func (a *API) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "/api/me", "Who the key is: operator or a tenant's role, and the tenant", AccessAnyKey, a.me, nil, nil, 200},
		{"POST", "/api/tenants", "Create a tenant", AccessOperator, a.tenantCreate, []string{"slug", "name"}, nil, 201},
		{"GET", "/api/tenants", "List tenants", AccessOperator, a.tenantList, nil, nil, 200},
		{"PUT", "/api/tenants/{slug}", "Set a tenant's name, retention and limit caps", AccessOperator, a.tenantUpdate, []string{"name", "settings"}, nil, 200},
		{"POST", "/api/tenants/{slug}/keys", "Create an API key (the secret is shown once)", AccessOperatorOrAdmin, a.keyCreate, []string{"name", "role"}, nil, 201},
		{"DELETE", "/api/keys/{id}", "Revoke an API key", AccessOperatorOrAdmin, a.keyRevoke, nil, nil, 204},
		{"GET", "/api/scripts", "List scripts", AccessViewer, a.scriptList, nil, []string{"type", "status", "q", "limit", "cursor"}, 200},
		{"POST", "/api/scripts", "Create a script (version 1)", AccessDeveloper, a.scriptCreate, scriptFields, nil, 201},
		{"GET", "/api/scripts/{id}", "Get a script with its current source", AccessViewer, a.scriptGet, nil, nil, 200},
		{"PUT", "/api/scripts/{id}", "Update a script; a new source or trigger makes the next version", AccessDeveloper, a.scriptUpdate, scriptFields, nil, 200},
		{"DELETE", "/api/scripts/{id}", "Archive a script (history is kept)", AccessAdmin, a.scriptArchive, nil, nil, 204},
		{"GET", "/api/scripts/{id}/versions", "List versions, newest first", AccessViewer, a.versionList, nil, nil, 200},
		{"GET", "/api/scripts/{id}/versions/{n}", "Get one version with its source", AccessViewer, a.versionGet, nil, nil, 200},
		{"GET", "/api/scripts/{id}/diff", "Unified diff of two versions", AccessViewer, a.versionDiff, nil, []string{"from", "to"}, 200},
		{"POST", "/api/scripts/{id}/rollback", "Write a new version with an old version's source", AccessDeveloper, a.scriptRollback, []string{"version", "changeDescription"}, nil, 200},
		{"POST", "/api/scripts/{id}/execute", "Run the script; sync waits for the result, async answers 202", AccessDeveloper, a.scriptExecute, []string{"input", "async"}, nil, 200},
		{"GET", "/api/executions", "List executions", AccessViewer, a.executionList, nil, []string{"script", "status", "trigger", "limit", "cursor"}, 200},
		{"GET", "/api/executions/{id}", "Get an execution with input, output, error and logs", AccessViewer, a.executionGet, nil, nil, 200},
		{"GET", "/api/executions/{id}/journal", "Get the journal kept of an execution (failed, or of a script with limits.record), for kiln replay", AccessViewer, a.executionJournal, nil, nil, 200},
		{"POST", "/api/tasks", "Start a durable task running a task script's current version", AccessDeveloper, a.taskStart, []string{"script", "scriptId", "params"}, nil, 201},
		{"GET", "/api/tasks", "List durable tasks, newest first", AccessViewer, a.taskList, nil, []string{"state", "script", "parent", "limit", "cursor"}, 200},
		{"GET", "/api/tasks/{id}", "Get a task: state, script version, journal length and bytes, inbox depth, parent and children", AccessViewer, a.taskGet, nil, nil, 200},
		{"GET", "/api/tasks/{id}/journal", "Page through a task's journal", AccessViewer, a.taskJournal, nil, []string{"from", "limit"}, 200},
		{"POST", "/api/tasks/{id}/events", "Send an event to a task's inbox; answers once it is durable", AccessDeveloper, a.taskSend, []string{"type", "payload"}, nil, 202},
		{"DELETE", "/api/tasks/{id}", "Cancel a task: it gets a \"cancelled\" event and a grace period", AccessDeveloper, a.taskCancel, nil, nil, 202},
		{"GET", "/api/pool", "The VM pool's current state", AccessOperator, a.poolState, nil, nil, 200},
		{"PUT", "/api/secrets/{name}", "Create or replace a secret (encrypted at rest; scripts read it with iota.secrets.get)", AccessAdmin, a.secretPut, []string{"value"}, nil, 200},
		{"GET", "/api/secrets", "List secrets' names and times (never values)", AccessAdmin, a.secretList, nil, nil, 200},
		{"DELETE", "/api/secrets/{name}", "Delete a secret", AccessAdmin, a.secretDelete, nil, nil, 204},
		{"POST", "/api/events", "Publish an event; answers once it is durably queued", AccessDeveloper, a.eventPublish, []string{"type", "payload", "id"}, nil, 202},
		{"GET", "/api/dlq", "List dead letters: event deliveries whose every attempt failed", AccessViewer, a.deadLetterList, nil, []string{"script", "status", "limit", "cursor"}, 200},
		{"GET", "/api/dlq/{id}", "Get a dead letter with every attempt's error", AccessViewer, a.deadLetterGet, nil, nil, 200},
		{"POST", "/api/dlq/{id}/replay", "Deliver the event again to the script's current version", AccessDeveloper, a.deadLetterReplay, nil, nil, 202},
		{"DELETE", "/api/dlq/{id}", "Discard a dead letter (its record stays, as discarded)", AccessDeveloper, a.deadLetterDiscard, nil, nil, 204},
		{"GET", "/metrics", "Prometheus metrics of every tenant (text exposition format)", AccessOperator, a.serveMetrics, nil, nil, 200},
	}
}

var scriptFields = []string{"name", "description", "type", "status", "source", "language", "trigger", "limits", "changeDescription"}

// authed authenticates the caller, checks access and runs h.
func (a *API) authed(access Access, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.authenticate(r)
		if err == nil {
			err = access.check(p)
		}
		if err != nil {
			writeError(w, a.log, err)
			return
		}
		status, body, err := h(w, r, p)
		if err != nil {
			writeError(w, a.log, err)
			return
		}
		if status == 0 {
			return // h wrote its answer
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

// me tells the caller who its key is, for the admin UI's sign-in.
func (a *API) me(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	body := map[string]any{"operator": p.Operator, "role": p.Role, "tenant": nil}
	if p.Operator && p.TenantID == "" {
		body["role"] = "operator"
	}
	if p.TenantID != "" {
		t, err := a.client.TenantGet(r.Context(), p.TenantID)
		if err != nil {
			return 0, nil, err
		}
		body["tenant"] = map[string]string{"id": t.ID, "slug": t.Slug, "name": t.Name}
	}
	return http.StatusOK, body, nil
}

// ready reports whether the store answers with its migrations applied.
func (a *API) ready(w http.ResponseWriter, r *http.Request) {
	if err := a.client.Ping(r.Context()); err != nil {
		a.log.Warn("not ready", "err", err)
		writeError(w, a.log, kilntype.Errorf(kilntype.EUnavailable, "the store is not reachable or not migrated"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// serveMetrics serves the Prometheus metrics. They name every tenant
// (slug) with its counts and latencies, so only the operator key reads
// them here; MetricsHandler serves them without a key on a listener of
// their own.
func (a *API) serveMetrics(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	a.metrics.ServeHTTP(w, r)
	return 0, nil, nil
}

// MetricsHandler serves GET /metrics without a key and answers NOT_FOUND
// to anything else: for a listener of its own (`kiln serve
// --metrics-addr`), which the operator binds where only Prometheus
// reaches it. The main handler's /metrics keeps asking for the operator
// key.
func (a *API) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.metrics)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, a.log, kilntype.Errorf(kilntype.ENotFound, "this listener serves only GET /metrics; the API is on the main address"))
	})
	return mux
}

// poolState shows the pool's live, idle, busy and waiting counts and its
// counters, for the operator.
func (a *API) poolState(w http.ResponseWriter, r *http.Request, p principal) (int, any, error) {
	s := a.client.Pool()
	return http.StatusOK, map[string]any{"live": s.Live, "idle": s.Idle, "warm": s.Warm, "running": s.Busy, "waiting": s.Waiting,
		"hits": s.Hits, "misses": s.Misses, "evictions": s.Evictions, "memoryEvictions": s.MemoryEvictions, "refusals": s.Refusals,
		"tenants": s.Tenants, "config": s.Config}, nil
}
