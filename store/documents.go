package store

import (
	"encoding/json"
	"github.com/kiln-run/kiln/sdk/docquery"
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
	// DefaultMaxDocBytes is the largest document, as JSON, when the caller
	// sets no cap.
	DefaultMaxDocBytes = 1 << 20
	// MaxDocIDBytes is the longest document ID.
	MaxDocIDBytes = 256
)

var collectionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidCollection returns INVALID_ARGUMENT unless name is a collection
// name: a lower-case letter, then up to 62 lower-case letters, digits or
// underscores.
func ValidCollection(name string) error {
	if !collectionPattern.MatchString(name) {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"collection name %q is not valid: use a lower-case letter followed by up to 62 lower-case letters, digits or underscores, such as \"users\" or \"order_items\"", docquery.Clip(name))
	}
	return nil
}

// ValidDocID returns INVALID_ARGUMENT unless id can name a document: a
// non-empty string of at most MaxDocIDBytes bytes of valid UTF-8 without
// NUL or other control characters.
func ValidDocID(id string) error {
	if id == "" || len(id) > MaxDocIDBytes || !utf8.ValidString(id) || strings.IndexFunc(id, isControl) >= 0 {
		return kilntype.Errorf(kilntype.EInvalidArgument,
			"document id %q is not valid: use a non-empty string of at most %d bytes without control characters", docquery.Clip(id), MaxDocIDBytes)
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
