package sqlstore

import (
	"strconv"
	"strings"
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
