package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/store"
)

// Documents is what iota.db needs of the built-in document store: the
// Doc methods of store.Store, so that an embedding host can pass the store
// or wrap it.
type Documents interface {
	DocQuery(ctx context.Context, tenantID, collection string, q docquery.Query) ([]store.Doc, error)
	DocCount(ctx context.Context, tenantID, collection string, where docquery.Filter) (int64, error)
	DocGet(ctx context.Context, tenantID, collection, id string) (*store.Doc, error)
	DocInsert(ctx context.Context, p store.DocInsertParams) (*store.Doc, error)
	DocUpdate(ctx context.Context, p store.DocUpdateParams) (*store.Doc, error)
	DocDelete(ctx context.Context, tenantID, collection, id string) (bool, error)
}

// Collection is a collection an embedding host serves itself — its own
// customers or products table, say — under a name scripts use with
// iota.db like any other. Every method receives the tenant of the calling
// script, and must act within that tenant only.
//
// Documents are JSON-like objects (nil, bool, float64, string, []any,
// map[string]any) whose "id" member is a string. iota.db has already
// validated the arguments: the query's fields, filter and limit (never
// 0: the default is applied), IDs, and documents within the size cap. A
// Collection may use docquery.Filter.Match and docquery.Compare to answer
// exactly as the built-in store does.
//
// Errors that are a *kilntype.Error or *engine.Error with a code scripts know
// (NOT_FOUND, CONFLICT, INVALID_ARGUMENT, …) reach the script with their
// message; any other error reaches it as INTERNAL, without details.
type Collection interface {
	// Query returns the matching documents, sorted, after Offset, at most
	// Limit.
	Query(ctx context.Context, tenantID string, q docquery.Query) ([]map[string]any, error)
	// Count returns how many documents match where.
	Count(ctx context.Context, tenantID string, where docquery.Filter) (int64, error)
	// Get returns one document, or a NOT_FOUND error.
	Get(ctx context.Context, tenantID, id string) (map[string]any, error)
	// Insert stores a new document, assigning an id if it has none, and
	// returns it as stored; CONFLICT if the id is taken.
	Insert(ctx context.Context, tenantID string, doc map[string]any) (map[string]any, error)
	// Update merges patch into the document's top level (as Object.assign
	// does) and returns the result; NOT_FOUND if it does not exist.
	Update(ctx context.Context, tenantID, id string, patch map[string]any) (map[string]any, error)
	// Delete deletes a document and reports whether it existed.
	Delete(ctx context.Context, tenantID, id string) (bool, error)
}

// DBOptions configures iota.db. The zero value is usable.
type DBOptions struct {
	// Collections are served by the host instead of the built-in store,
	// by collection name (which must be a valid collection name; see
	// store.ValidCollection). A script cannot tell them apart.
	Collections map[string]Collection
	// MaxLimit is the most documents one query may ask for, and what a
	// query without a limit gets. Default docquery.DefaultLimit (1,000).
	MaxLimit int
	// MaxDocumentBytes caps a document's JSON size (TOO_LARGE past it).
	// Default store.DefaultMaxDocBytes (1 MiB).
	MaxDocumentBytes int
	// QueryTimeout bounds each call; past it the call fails with TIMEOUT.
	// Default 5s.
	QueryTimeout time.Duration
	// TenantLimits, if set, returns a tenant's own caps; its zero fields
	// keep the options' values.
	TenantLimits func(tenantID string) DBLimits
}

// DBLimits are the caps iota.db applies to one tenant.
type DBLimits struct {
	MaxLimit         int
	MaxDocumentBytes int
}

// WithDefaults returns o with every unset field set to its default.
func (o DBOptions) WithDefaults() DBOptions {
	if o.MaxLimit == 0 {
		o.MaxLimit = docquery.DefaultLimit
	}
	if o.MaxDocumentBytes == 0 {
		o.MaxDocumentBytes = store.DefaultMaxDocBytes
	}
	if o.QueryTimeout == 0 {
		o.QueryTimeout = 5 * time.Second
	}
	return o
}

// Validate reports the first setting that cannot work.
func (o DBOptions) Validate() error {
	switch {
	case o.MaxLimit < 0 || o.MaxDocumentBytes < 0 || o.QueryTimeout < 0:
		return errors.New("iota.db: limits and timeouts must not be negative")
	}
	for name, c := range o.Collections {
		if err := store.ValidCollection(name); err != nil {
			return fmt.Errorf("iota.db: host collection: %w", err)
		}
		if c == nil {
			return fmt.Errorf("iota.db: host collection %q is nil", name)
		}
	}
	return nil
}

// DBModule returns iota.db over docs, with the host's collections in
// opts.Collections taking precedence over docs for their names. It panics
// if opts.Validate fails; call it first to get the error. Each function is
// async and scoped to the calling script's tenant (engine.Meta.TenantID):
// no argument names a tenant.
//
//	query(collection, { where, orderBy, limit, offset }) → documents
//	get(collection, id)            → document, or null
//	insert(collection, document)   → document as stored (id generated if absent)
//	update(collection, id, patch)  → document after a shallow merge; NOT_FOUND
//	delete(collection, id)         → whether it existed
//	count(collection, where)       → number
//
// docs/sdk.md describes the query language.
func DBModule(docs Documents, opts DBOptions) engine.Module {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	db := &dbModule{docs: docs, opts: opts}
	m := engine.Module{Name: "iota.db"}
	for _, f := range []struct {
		name string
		fn   func(ctx context.Context, c Collection, tenantID string, lim DBLimits, args []any) (any, error)
	}{
		{"query", db.query}, {"get", db.get}, {"insert", db.insert},
		{"update", db.update}, {"delete", db.delete}, {"count", db.count},
	} {
		name := "iota.db." + f.name
		m.Funcs = append(m.Funcs, engine.HostFunc{Name: name, Async: true, Fn: func(ctx context.Context, call engine.HostCall) (any, error) {
			return db.call(ctx, name, call, f.fn)
		}})
	}
	return m
}

type dbModule struct {
	docs Documents
	opts DBOptions
}

// call validates the collection, routes it, runs fn under the query
// timeout and turns its errors into coded script errors.
func (db *dbModule) call(ctx context.Context, name string, call engine.HostCall,
	fn func(context.Context, Collection, string, DBLimits, []any) (any, error)) (any, error) {
	if call.Meta.TenantID == "" {
		return nil, fmt.Errorf("%s: the invocation has no tenant", name)
	}
	if len(call.Args) == 0 {
		return nil, invalid(name, "the collection name is missing: call %s('users', …)", name)
	}
	collection, ok := call.Args[0].(string)
	if !ok {
		return nil, invalid(name, "the collection name must be a string, not %s", docquery.Describe(call.Args[0]))
	}
	if err := store.ValidCollection(collection); err != nil {
		return nil, scriptError(name, err)
	}
	c, ok := db.opts.Collections[collection]
	if !ok {
		c = storeCollection{docs: db.docs, name: collection}
	}
	lim := db.limits(call.Meta.TenantID)
	qctx, cancel := context.WithTimeout(ctx, db.opts.QueryTimeout)
	defer cancel()
	result, err := fn(qctx, c, call.Meta.TenantID, lim, call.Args[1:])
	if err != nil {
		if ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return nil, engine.Errorf(engine.CodeTimeout, "%s: the call on collection %q took longer than %s; narrow the query with where or a smaller limit",
				name, collection, db.opts.QueryTimeout)
		}
		return nil, scriptError(name, err)
	}
	return result, nil
}

func (db *dbModule) limits(tenantID string) DBLimits {
	lim := DBLimits{MaxLimit: db.opts.MaxLimit, MaxDocumentBytes: db.opts.MaxDocumentBytes}
	if db.opts.TenantLimits != nil {
		t := db.opts.TenantLimits(tenantID)
		if t.MaxLimit > 0 {
			lim.MaxLimit = t.MaxLimit
		}
		if t.MaxDocumentBytes > 0 {
			lim.MaxDocumentBytes = t.MaxDocumentBytes
		}
	}
	return lim
}

func (db *dbModule) query(ctx context.Context, c Collection, tenantID string, lim DBLimits, args []any) (any, error) {
	const name = "iota.db.query"
	if len(args) > 1 {
		return nil, invalid(name, "it takes a collection and one options object { where, orderBy, limit, offset }, not %d arguments", len(args)+1)
	}
	var opts any
	if len(args) == 1 {
		opts = args[0]
	}
	q, err := docquery.Parse(opts, lim.MaxLimit)
	if err != nil {
		return nil, scriptError(name, err)
	}
	docs, err := c.Query(ctx, tenantID, q)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(docs))
	for i, d := range docs {
		out[i] = d
	}
	return out, nil
}

func (db *dbModule) get(ctx context.Context, c Collection, tenantID string, _ DBLimits, args []any) (any, error) {
	id, err := idArg("iota.db.get", args, 1)
	if err != nil {
		return nil, err
	}
	doc, err := c.Get(ctx, tenantID, id)
	if code(err) == kilntype.ENotFound {
		return nil, nil
	}
	return doc, err
}

func (db *dbModule) insert(ctx context.Context, c Collection, tenantID string, lim DBLimits, args []any) (any, error) {
	const name = "iota.db.insert"
	if len(args) != 1 {
		return nil, invalid(name, "it takes a collection and one document, as in %s('users', { name: 'Ada' })", name)
	}
	doc, ok := args[0].(map[string]any)
	if !ok {
		return nil, invalid(name, "the document must be an object, not %s", docquery.Describe(args[0]))
	}
	if _, err := store.EncodeDoc(doc, lim.MaxDocumentBytes); err != nil {
		return nil, err
	}
	if id, has := doc["id"]; has {
		s, ok := id.(string)
		if !ok {
			return nil, invalid(name, "the document's id must be a string, or left out to have one generated, not %s", docquery.Describe(id))
		}
		if err := store.ValidDocID(s); err != nil {
			return nil, err
		}
	}
	if sc, ok := c.(storeCollection); ok {
		return sc.insert(ctx, tenantID, doc, lim.MaxDocumentBytes)
	}
	return c.Insert(ctx, tenantID, doc)
}

func (db *dbModule) update(ctx context.Context, c Collection, tenantID string, lim DBLimits, args []any) (any, error) {
	const name = "iota.db.update"
	id, err := idArg(name, args, 2)
	if err != nil {
		return nil, err
	}
	patch, ok := args[1].(map[string]any)
	if !ok {
		return nil, invalid(name, "the patch must be an object of the fields to change, not %s", docquery.Describe(args[1]))
	}
	if v, has := patch["id"]; has && v != id {
		return nil, invalid(name, "a document's id cannot change: leave id out of the patch")
	}
	if _, err := store.EncodeDoc(patch, lim.MaxDocumentBytes); err != nil {
		return nil, err
	}
	if sc, ok := c.(storeCollection); ok {
		return sc.update(ctx, tenantID, id, patch, lim.MaxDocumentBytes)
	}
	return c.Update(ctx, tenantID, id, patch)
}

func (db *dbModule) delete(ctx context.Context, c Collection, tenantID string, _ DBLimits, args []any) (any, error) {
	id, err := idArg("iota.db.delete", args, 1)
	if err != nil {
		return nil, err
	}
	return c.Delete(ctx, tenantID, id)
}

func (db *dbModule) count(ctx context.Context, c Collection, tenantID string, _ DBLimits, args []any) (any, error) {
	const name = "iota.db.count"
	if len(args) > 1 {
		return nil, invalid(name, "it takes a collection and one where object, as in %s('users', { active: true })", name)
	}
	var where docquery.Filter
	if len(args) == 1 {
		var err error
		if where, err = docquery.ParseWhere(args[0]); err != nil {
			return nil, err
		}
	}
	n, err := c.Count(ctx, tenantID, where)
	if err != nil {
		return nil, err
	}
	return float64(n), nil
}

// idArg returns the document ID that follows the collection; want is how
// many arguments follow it.
func idArg(name string, args []any, want int) (string, error) {
	if len(args) != want {
		if want == 1 {
			return "", invalid(name, "it takes a collection and a document id, as in %s('users', id)", name)
		}
		return "", invalid(name, "it takes a collection, a document id and a patch, as in %s('users', id, { active: false })", name)
	}
	id, ok := args[0].(string)
	if !ok {
		return "", invalid(name, "the document id must be a string, not %s", docquery.Describe(args[0]))
	}
	if err := store.ValidDocID(id); err != nil {
		return "", err
	}
	return id, nil
}

// storeCollection serves a collection from the built-in store.
type storeCollection struct {
	docs Documents
	name string
}

func (s storeCollection) Query(ctx context.Context, tenantID string, q docquery.Query) ([]map[string]any, error) {
	docs, err := s.docs.DocQuery(ctx, tenantID, s.name, q)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(docs))
	for i, d := range docs {
		out[i] = d.Data
	}
	return out, nil
}

func (s storeCollection) Count(ctx context.Context, tenantID string, where docquery.Filter) (int64, error) {
	return s.docs.DocCount(ctx, tenantID, s.name, where)
}

func (s storeCollection) Get(ctx context.Context, tenantID, id string) (map[string]any, error) {
	return data(s.docs.DocGet(ctx, tenantID, s.name, id))
}

func (s storeCollection) Insert(ctx context.Context, tenantID string, doc map[string]any) (map[string]any, error) {
	return s.insert(ctx, tenantID, doc, 0)
}

func (s storeCollection) insert(ctx context.Context, tenantID string, doc map[string]any, maxBytes int) (map[string]any, error) {
	return data(s.docs.DocInsert(ctx, store.DocInsertParams{TenantID: tenantID, Collection: s.name, Data: doc, MaxBytes: maxBytes}))
}

func (s storeCollection) Update(ctx context.Context, tenantID, id string, patch map[string]any) (map[string]any, error) {
	return s.update(ctx, tenantID, id, patch, 0)
}

func (s storeCollection) update(ctx context.Context, tenantID, id string, patch map[string]any, maxBytes int) (map[string]any, error) {
	return data(s.docs.DocUpdate(ctx, store.DocUpdateParams{TenantID: tenantID, Collection: s.name, ID: id, Patch: patch, MaxBytes: maxBytes}))
}

func (s storeCollection) Delete(ctx context.Context, tenantID, id string) (bool, error) {
	return s.docs.DocDelete(ctx, tenantID, s.name, id)
}

func data(d *store.Doc, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	return d.Data, nil
}

// code returns err's code, whether it is a *kilntype.Error or an
// *engine.Error, or "".
func code(err error) kilntype.Code {
	var ke *kilntype.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ""
}

// scriptError gives a store's or a host collection's error the SDK's form:
// a coded *engine.Error whose message starts with the function's name.
// Codes keep their meaning on the way (there is one table, kilntype's); an
// error whose code is not one a script may see (CodeInfo.Script), or an
// INTERNAL one, passes through unchanged, for the gate to report as
// INTERNAL without its details.
func scriptError(name string, err error) error {
	var (
		ke  *kilntype.Error
		ee  *engine.Error
		msg string
		c   kilntype.Code
	)
	switch {
	case errors.As(err, &ee):
		c, msg = ee.Code, ee.Message
	case errors.As(err, &ke):
		c, msg = ke.Code, ke.Message
	default:
		return err
	}
	if !c.Info().Script || c == kilntype.EInternal {
		return err
	}
	if !strings.HasPrefix(msg, name+": ") {
		msg = name + ": " + msg
	}
	return &engine.Error{Code: c, Message: msg}
}

func invalid(name, format string, args ...any) *engine.Error {
	return &engine.Error{Code: engine.CodeInvalidArgument, Message: name + ": " + fmt.Sprintf(format, args...)}
}
