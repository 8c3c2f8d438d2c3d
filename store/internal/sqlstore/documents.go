package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/sdk/docquery"
	"github.com/kiln-run/kiln/store"
)

const docColumns = `id, data, created_at, updated_at`

func scanDoc(row interface{ Scan(...any) error }, d *store.Doc) error {
	var data []byte
	if err := row.Scan(&d.ID, textScanner{&data}, timeScanner{&d.CreatedAt}, timeScanner{&d.UpdatedAt}); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &d.Data); err != nil {
		return fmt.Errorf("decode document %s: %w", d.ID, err)
	}
	return nil
}

// checkScope validates the tenant and collection every document call
// names.
func checkScope(tenantID, collection string) error {
	if tenantID == "" {
		return kilntype.Errorf(kilntype.EInvalidArgument, "tenant is required")
	}
	return store.ValidCollection(collection)
}

// DocQuery returns the documents of a collection that match q.
func (s *Store) DocQuery(ctx context.Context, tenantID, collection string, q docquery.Query) ([]store.Doc, error) {
	if err := checkScope(tenantID, collection); err != nil {
		return nil, err
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = docquery.DefaultLimit
	}
	d := s.docs()
	var b query
	b.add(`SELECT `+docColumns+` FROM documents WHERE tenant_id = `, b.arg(tenantID),
		` AND collection = `, b.arg(collection), ` AND `, whereSQL(&b, d, q.Where.Normalized()), ` ORDER BY `)
	for _, o := range q.OrderBy {
		dir := ""
		if o.Desc {
			dir = " DESC"
		}
		for _, key := range d.sortKeys(b.arg(d.pathArg(o.Field))) {
			b.add(key, dir, ", ")
		}
	}
	b.add(`created_at, id LIMIT `, b.arg(limit), ` OFFSET `, b.arg(q.Offset))

	rows, err := s.read.QueryContext(ctx, b.String(), b.args...)
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "query collection %s", collection)
	}
	defer func() { _ = rows.Close() }()
	docs := []store.Doc{}
	for rows.Next() {
		var doc store.Doc
		if err := scanDoc(rows, &doc); err != nil {
			return nil, s.wrapCtx(ctx, err, "query collection %s", collection)
		}
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrapCtx(ctx, err, "query collection %s", collection)
	}
	return docs, nil
}

// DocCount returns how many documents of a collection match where.
func (s *Store) DocCount(ctx context.Context, tenantID, collection string, where docquery.Filter) (int64, error) {
	if err := checkScope(tenantID, collection); err != nil {
		return 0, err
	}
	if err := where.Validate(); err != nil {
		return 0, err
	}
	var b query
	b.add(`SELECT COUNT(*) FROM documents WHERE tenant_id = `, b.arg(tenantID),
		` AND collection = `, b.arg(collection), ` AND `, whereSQL(&b, s.docs(), where.Normalized()))
	var n int64
	if err := s.read.QueryRowContext(ctx, b.String(), b.args...).Scan(&n); err != nil {
		return 0, s.wrapCtx(ctx, err, "count collection %s", collection)
	}
	return n, nil
}

// DocGet returns one document, or NOT_FOUND.
func (s *Store) DocGet(ctx context.Context, tenantID, collection, id string) (*store.Doc, error) {
	if err := checkScope(tenantID, collection); err != nil {
		return nil, err
	}
	var doc store.Doc
	err := scanDoc(s.read.QueryRowContext(ctx,
		`SELECT `+docColumns+` FROM documents WHERE tenant_id = $1 AND collection = $2 AND id = $3`,
		tenantID, collection, id), &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, docNotFound(collection, id)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "get document %s/%s", collection, id)
	}
	return &doc, nil
}

func docNotFound(collection, id string) error {
	return kilntype.Errorf(kilntype.ENotFound, "document %q not found in collection %q", id, collection)
}

// DocInsert stores a new document.
func (s *Store) DocInsert(ctx context.Context, p store.DocInsertParams) (*store.Doc, error) {
	if err := checkScope(p.TenantID, p.Collection); err != nil {
		return nil, err
	}
	if p.Data == nil {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the document must be an object")
	}
	data := maps.Clone(p.Data)
	id, err := docID(data)
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = s.newID()
		data["id"] = id
	}
	raw, err := store.EncodeDoc(data, p.MaxBytes)
	if err != nil {
		return nil, err
	}
	now := s.timestamp()
	_, err = s.write.ExecContext(ctx,
		`INSERT INTO documents (tenant_id, collection, id, data, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
		p.TenantID, p.Collection, id, s.jsonArg(raw), s.timeArg(now))
	if err != nil && s.dialect.IsUniqueViolation(err) {
		return nil, kilntype.Errorf(kilntype.EConflict, "document %q already exists in collection %q: update it instead, or insert without an id to get a new one", id, p.Collection)
	}
	if err != nil {
		return nil, s.wrapCtx(ctx, err, "insert document into %s", p.Collection)
	}
	return decodedDoc(id, raw, now, now)
}

// docID returns the "id" member of a document, "" if it has none.
func docID(data map[string]any) (string, error) {
	v, ok := data["id"]
	if !ok {
		return "", nil
	}
	id, isString := v.(string)
	if !isString {
		return "", kilntype.Errorf(kilntype.EInvalidArgument, "the document's id must be a string, or left out to have one generated")
	}
	if err := store.ValidDocID(id); err != nil {
		return "", err
	}
	return id, nil
}

// decodedDoc returns the document as it reads back from the store: its
// JSON decoded, so numbers are float64 whatever the caller passed.
func decodedDoc(id string, raw []byte, created, updated time.Time) (*store.Doc, error) {
	doc := &store.Doc{ID: id, CreatedAt: created, UpdatedAt: updated}
	if err := json.Unmarshal(raw, &doc.Data); err != nil {
		return nil, fmt.Errorf("decode document %s: %w", id, err)
	}
	return doc, nil
}

// DocUpdate merges a patch into a document.
func (s *Store) DocUpdate(ctx context.Context, p store.DocUpdateParams) (*store.Doc, error) {
	if err := checkScope(p.TenantID, p.Collection); err != nil {
		return nil, err
	}
	if p.Patch == nil {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the patch must be an object")
	}
	if v, ok := p.Patch["id"]; ok && v != p.ID {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "a document's id cannot change: leave id out of the patch")
	}
	var doc *store.Doc
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var current store.Doc
		err := scanDoc(tx.QueryRowContext(ctx,
			`SELECT `+docColumns+` FROM documents WHERE tenant_id = $1 AND collection = $2 AND id = $3`+s.docs().forUpdate(),
			p.TenantID, p.Collection, p.ID), &current)
		if errors.Is(err, sql.ErrNoRows) {
			return docNotFound(p.Collection, p.ID)
		}
		if err != nil {
			return s.wrapCtx(ctx, err, "read document %s/%s", p.Collection, p.ID)
		}
		maps.Copy(current.Data, p.Patch)
		current.Data["id"] = p.ID
		raw, err := store.EncodeDoc(current.Data, p.MaxBytes)
		if err != nil {
			return err
		}
		now := s.timestamp()
		if _, err := tx.ExecContext(ctx,
			`UPDATE documents SET data = $4, updated_at = $5 WHERE tenant_id = $1 AND collection = $2 AND id = $3`,
			p.TenantID, p.Collection, p.ID, s.jsonArg(raw), s.timeArg(now)); err != nil {
			return s.wrapCtx(ctx, err, "update document %s/%s", p.Collection, p.ID)
		}
		doc, err = decodedDoc(p.ID, raw, current.CreatedAt, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// DocDelete deletes a document and reports whether it existed.
func (s *Store) DocDelete(ctx context.Context, tenantID, collection, id string) (bool, error) {
	if err := checkScope(tenantID, collection); err != nil {
		return false, err
	}
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM documents WHERE tenant_id = $1 AND collection = $2 AND id = $3`, tenantID, collection, id)
	if err != nil {
		return false, s.wrapCtx(ctx, err, "delete document %s/%s", collection, id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.wrapCtx(ctx, err, "delete document %s/%s", collection, id)
	}
	return n > 0, nil
}

// whereSQL appends f's arguments to b and returns its condition, which is
// TRUE or FALSE, never NULL: each leaf is wrapped in COALESCE so that NOT
// ($ne) and OR see two-valued logic, as Filter.Match does.
func whereSQL(b *query, d docSQL, f docquery.Filter) string {
	switch {
	case f.And != nil || f.Or != nil:
		subs, sep := f.And, " AND "
		if f.Or != nil {
			subs, sep = f.Or, " OR "
		}
		out := "("
		for i, sub := range subs {
			if i > 0 {
				out += sep
			}
			out += whereSQL(b, d, sub)
		}
		return out + ")"
	case f.Field == "":
		return "TRUE"
	case f.Op == docquery.OpIn && len(f.Value.([]any)) == 0:
		// No path argument: PostgreSQL refuses one it cannot type.
		return "FALSE"
	}
	p := b.arg(d.pathArg(f.Field))
	switch f.Op {
	case docquery.OpEq:
		return eqSQL(b, d, p, f.Value)
	case docquery.OpNe:
		return "NOT " + eqSQL(b, d, p, f.Value)
	case docquery.OpGt, docquery.OpGte, docquery.OpLt, docquery.OpLte:
		op := map[docquery.Op]string{docquery.OpGt: ">", docquery.OpGte: ">=", docquery.OpLt: "<", docquery.OpLte: "<="}[f.Op]
		if _, isNumber := f.Value.(float64); isNumber {
			return leaf(d.compareNumber(p, op, b.arg(f.Value)))
		}
		return leaf(d.compareString(p, op, b.arg(f.Value)))
	case docquery.OpIn:
		list, _ := f.Value.([]any)
		out := "("
		for i, v := range list {
			if i > 0 {
				out += " OR "
			}
			out += eqSQL(b, d, p, v)
		}
		return out + ")"
	case docquery.OpContains:
		switch v := f.Value.(type) {
		case string:
			return leaf(d.containsString(p, b.arg(v)) + " OR " + d.arrayHas(p, "string", b.arg(v)))
		case float64:
			return leaf(d.arrayHas(p, "number", b.arg(v)))
		case bool:
			return leaf(d.arrayHas(p, fmt.Sprint(v), ""))
		default:
			return leaf(d.arrayHas(p, "null", ""))
		}
	}
	// Validate refused anything else before the SQL was built.
	return "FALSE"
}

// eqSQL is $eq of the path placeholder p and a normalized scalar.
func eqSQL(b *query, d docSQL, p string, v any) string {
	switch x := v.(type) {
	case nil:
		return leaf(d.missingOrNull(p))
	case bool:
		return leaf(d.isBool(p, x))
	case float64:
		return leaf(d.compareNumber(p, "=", b.arg(x)))
	default:
		return leaf(d.compareString(p, "=", b.arg(x)))
	}
}

func leaf(cond string) string { return "COALESCE(" + cond + ", FALSE)" }

// wrapCtx is wrap, except that when ctx has ended the error wraps ctx's
// error: SQLite reports an interrupted statement in its own words, and the
// caller needs to tell a timeout from a fault.
func (s *Store) wrapCtx(ctx context.Context, err error, format string, args ...any) error {
	if err != nil && ctx.Err() != nil {
		var ke *kilntype.Error
		if !errors.As(err, &ke) {
			return fmt.Errorf("%s: %s: %w", s.dialect.Name, fmt.Sprintf(format, args...), ctx.Err())
		}
	}
	return s.wrap(err, format, args...)
}
