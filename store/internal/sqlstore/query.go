package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// query builds a statement whose WHERE clause depends on which filters are
// set, numbering the placeholders as arguments are added.
type query struct {
	sql  strings.Builder
	args []any
}

// arg appends v to the arguments and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// add appends SQL text.
func (q *query) add(parts ...string) {
	for _, p := range parts {
		q.sql.WriteString(p)
	}
}

// page appends the keyset condition for a cursor (if any), the newest-first
// order and a LIMIT one past the page size, which tells whether another
// page follows without a COUNT.
func (q *query) page(s *Store, c *cursor, limit int) {
	if c != nil {
		// Row-value comparison: both databases can walk the
		// (…, created_at DESC, id DESC) indexes with it.
		q.add(" AND (created_at, id) < (", q.arg(s.timeArg(c.createdAt)), ", ", q.arg(c.id), ")")
	}
	q.add(" ORDER BY created_at DESC, id DESC LIMIT ", q.arg(limit+1))
}

func (q *query) String() string { return q.sql.String() }

// pageStart checks a list's limit and cursor: INVALID_ARGUMENT for a limit
// outside 0..200 or a cursor this store did not issue.
func pageStart(limit int, cur string) (int, *cursor, error) {
	n, err := pageLimit(limit)
	if err != nil {
		return 0, nil, err
	}
	after, err := decodeCursor(cur)
	return n, after, err
}

// listPage finishes q with the keyset page after `after`, runs it, scans
// each row with scan and returns at most limit items, newest first, and the
// next page's cursor ("" on the last page). what names the list in errors.
func listPage[T any](ctx context.Context, s *Store, q *query, after *cursor, limit int, what string,
	scan func(row interface{ Scan(...any) error }, item *T) error, key func(*T) (time.Time, string)) ([]T, string, error) {
	out, err := queryPage(ctx, s, q, after, limit, what, scan)
	if err != nil {
		return nil, "", err
	}
	out, next := cutPage(out, limit, key)
	return out, next, nil
}

// queryPage is listPage up to the cut: it returns up to limit+1 items.
func queryPage[T any](ctx context.Context, s *Store, q *query, after *cursor, limit int, what string,
	scan func(row interface{ Scan(...any) error }, item *T) error) ([]T, error) {
	q.page(s, after, limit)
	rows, err := s.read.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, s.wrap(err, "list %s", what)
	}
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		var item T
		if err := scan(rows, &item); err != nil {
			return nil, s.wrap(err, "list %s", what)
		}
		out = append(out, item)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, "list %s", what)
	}
	return out, nil
}

// cutPage returns the first limit of items, newest first, and the cursor
// of the page after them ("" when items are all there is).
func cutPage[T any](items []T, limit int, key func(*T) (time.Time, string)) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, encodeCursor(key(&items[limit-1]))
}
