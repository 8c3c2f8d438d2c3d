package kiln

import (
	"github.com/kiln-run/kiln/sdk"
	"github.com/kiln-run/kiln/sdk/docquery"
)

// Collection is a host's own iota.db collection (Config.Collections):
// scripts query it with the same calls as the built-in document store, and
// Kiln passes every call the calling script's tenant ID.
type Collection = sdk.Collection

// DocQuery is a parsed iota.db query: where, orderBy, limit and offset.
type DocQuery = docquery.Query

// DocFilter is a parsed where clause; Match tells whether a document
// matches it.
type DocFilter = docquery.Filter

// DocOrder is one key of a query's orderBy.
type DocOrder = docquery.Order

// CompareDocs orders two documents as a query's orderBy does, for a host
// collection that sorts in Go.
func CompareDocs(a, b map[string]any, orders []DocOrder) int { return docquery.Compare(a, b, orders) }
