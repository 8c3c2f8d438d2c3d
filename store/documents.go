package store

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kiln-run/kiln/kilntype"
)

// Doc is one document of a tenant's collection. Data is the document as a
// script sees it: a JSON object whose "id" member is ID.
type Doc struct {
	ID        string
	Data      map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DocQuery selects documents of one collection.
type DocQuery struct {
	// Where filters the documents; the zero Filter matches all of them.
	Where Filter
	// OrderBy sorts by fields, first to last. Ties, and a query without
	// OrderBy, fall back to insertion order (oldest first).
	OrderBy []Order
	// Limit is how many documents to return at most; 0 means
	// DefaultDocLimit. The store sets no maximum: callers that take limits
	// from scripts bound them first.
	Limit int
	// Offset skips that many matching documents.
	Offset int
}

// Order sorts by one field.
type Order struct {
	Field string
	Desc  bool
}

// DocInsertParams inserts a document.
type DocInsertParams struct {
	TenantID   string
	Collection string
	// Data is the document. Its "id" member, if present, must be a
	// non-empty string and becomes the ID; otherwise the store generates
	// one and sets it.
	Data map[string]any
	// MaxBytes caps the document's JSON size; 0 means DefaultMaxDocBytes.
	MaxBytes int
}

// DocUpdateParams merges a patch into a document.
type DocUpdateParams struct {
	TenantID   string
	Collection string
	ID         string
	// Patch replaces the document's top-level members it names, as
	// Object.assign does; nested objects are replaced, not merged, and a
	// null member becomes null. An "id" member must equal ID.
	Patch map[string]any
	// MaxBytes caps the merged document's JSON size; 0 means
	// DefaultMaxDocBytes.
	MaxBytes int
}

// Document limits.
const (
	// DefaultDocLimit is the page size of a DocQuery without a Limit.
	DefaultDocLimit = 1000
	// DefaultMaxDocBytes is the largest document, as JSON, when the caller
	// sets no cap.
	DefaultMaxDocBytes = 1 << 20
	// MaxDocIDBytes is the longest document ID.
	MaxDocIDBytes = 256
	// maxFilterConditions bounds the conditions (and $in values) of one
	// filter, and so the size of the SQL it becomes.
	maxFilterConditions = 1000
	// maxFilterDepth bounds the nesting of $and and $or.
	maxFilterDepth = 16
	// maxFieldBytes bounds a field name.
	maxFieldBytes = 256
)

var (
	collectionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	fieldPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

// ValidCollection returns INVALID_ARGUMENT unless name is a collection
// name: a lower-case letter, then up to 62 lower-case letters, digits or
// underscores.
func ValidCollection(name string) error {
	if !collectionPattern.MatchString(name) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"collection name %q is not valid: use a lower-case letter followed by up to 62 lower-case letters, digits or underscores, such as \"users\" or \"order_items\"", clip(name))
	}
	return nil
}

// ValidField returns INVALID_ARGUMENT unless name is a field a filter or an
// order may use: identifiers (a letter or underscore, then letters, digits
// or underscores) joined by dots for nested members, such as
// "address.city". The pattern is what keeps a field name from ever being
// more than a JSON path; field names are passed to the database as query
// arguments all the same.
func ValidField(name string) error {
	if len(name) > maxFieldBytes || !fieldPattern.MatchString(name) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"field %q is not valid: use names made of letters, digits and underscores (not starting with a digit), joined by dots for nested fields, such as \"status\" or \"address.city\"", clip(name))
	}
	return nil
}

// Validate checks a query's fields, filter, limit and offset.
func (q DocQuery) Validate() error {
	if err := q.Where.Validate(); err != nil {
		return err
	}
	if len(q.OrderBy) > 16 {
		return invalidf("orderBy: at most 16 fields, got %d", len(q.OrderBy))
	}
	for _, o := range q.OrderBy {
		if err := ValidField(o.Field); err != nil {
			return err
		}
	}
	if q.Limit < 0 {
		return invalidf("limit must be positive (or 0 for the default of %d), got %d", DefaultDocLimit, q.Limit)
	}
	if q.Offset < 0 {
		return invalidf("offset must be 0 or more, got %d", q.Offset)
	}
	return nil
}

// ValidDocID returns INVALID_ARGUMENT unless id can name a document: a
// non-empty string of at most MaxDocIDBytes bytes of valid UTF-8 without
// NUL or other control characters.
func ValidDocID(id string) error {
	if id == "" || len(id) > MaxDocIDBytes || !utf8.ValidString(id) || strings.IndexFunc(id, isControl) >= 0 {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"document id %q is not valid: use a non-empty string of at most %d bytes without control characters", clip(id), MaxDocIDBytes)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// EncodeDoc returns data as JSON, refusing with INVALID_ARGUMENT what
// cannot be stored alike in SQLite and PostgreSQL (NUL characters, values
// JSON has no form for) and with PAYLOAD_TOO_LARGE a document over
// maxBytes (0 means DefaultMaxDocBytes).
func EncodeDoc(data map[string]any, maxBytes int) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDocBytes
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the document cannot be stored as JSON: %v", err)
	}
	if len(b) > maxBytes {
		return nil, kilntype.Errorf(kilntype.EValueTooLarge, "the document is %d bytes of JSON, more than the %d-byte limit; store large data in several documents", len(b), maxBytes)
	}
	if HasNUL(b) {
		return nil, kilntype.Errorf(kilntype.EInvalidArgument, "the document contains the NUL character (\\u0000), which documents cannot hold")
	}
	return b, nil
}

// HasNUL reports whether JSON text holds the escape of U+0000 anywhere:
// PostgreSQL's JSONB cannot store it, so both stores refuse it rather
// than keep different data.
func HasNUL(js []byte) bool {
	s := string(js)
	for {
		i := strings.Index(s, `\u0000`)
		if i < 0 {
			return false
		}
		// The escape counts only if an even number of backslashes
		// precedes it ("\\u0000" is a backslash and the text u0000).
		n := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		s = s[i+1:]
	}
}

func invalidf(format string, args ...any) error {
	return kilntype.Errorf(kilntype.EInvalidArgument, format, args...)
}

// describe names a JSON-like value's kind for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if _, ok := number(v); ok {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

// clip shortens a name quoted in an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 80
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
