package sqlstore

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

// TimeLayout is how SQLite stores times: fixed width (every fraction has
// six digits) and UTC, so that string order is time order and created_at
// can be compared and sorted without parsing.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// FormatTime returns t in TimeLayout.
func FormatTime(t time.Time) string { return normTime(t).Format(TimeLayout) }

// timeScanner reads a time stored as time.Time (PostgreSQL) or as text
// (SQLite) into *t.
type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*s.t = v.UTC()
		return nil
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
}

func (s timeScanner) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*s.t = t.UTC()
	return nil
}

// nullTimeScanner is timeScanner for a nullable column: NULL leaves *t nil.
type nullTimeScanner struct{ t **time.Time }

func (s nullTimeScanner) Scan(src any) error {
	if src == nil {
		*s.t = nil
		return nil
	}
	var t time.Time
	if err := (timeScanner{&t}).Scan(src); err != nil {
		return err
	}
	*s.t = &t
	return nil
}

// textScanner reads text or JSON, from either a string or a []byte (pgx
// hands JSONB over as either), into *b; NULL leaves *b nil. It copies,
// because database/sql may reuse the driver's buffer.
type textScanner struct{ b *[]byte }

func (s textScanner) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.b = nil
	case string:
		*s.b = []byte(v)
	case []byte:
		*s.b = append([]byte(nil), v...)
	default:
		return fmt.Errorf("scan text: unexpected %T", src)
	}
	return nil
}

// Page sizes: what 0 means, and the most a caller may ask for.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// pageLimit checks a requested page size.
func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return defaultLimit, nil
	case n < 0 || n > maxLimit:
		return 0, kilntype.Errorf(kilntype.EInvalidArgument,
			"limit must be between 1 and %d (or 0 for the default of %d), got %d", maxLimit, defaultLimit, n)
	}
	return n, nil
}

// cursor is the position after the last row of a page; the next page
// starts below it in (created_at DESC, id DESC) order.
type cursor struct {
	createdAt time.Time
	id        string
}

// encodeCursor makes the opaque cursor a client sends back for the next
// page. It is base64 so that clients treat it as a token, not a format.
func encodeCursor(createdAt time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(FormatTime(createdAt) + "|" + id))
}

// decodeCursor parses a cursor from encodeCursor; "" is the first page
// (nil).
func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := kilntype.Errorf(kilntype.EInvalidArgument,
		"cursor is not valid: pass the nextCursor of the previous page unchanged, or omit it to start from the first page")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return nil, bad
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, bad
	}
	return &cursor{createdAt: t, id: id}, nil
}

// escapeLike makes s match itself literally in LIKE … ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
