package sqlite

import (
	"context"

	"github.com/kiln-run/kiln/store"
)

// OpenAt is Open with the migrations applied up to version only, for
// tests that write rows at an earlier schema and then migrate them.
func OpenAt(ctx context.Context, path string, version int64, opts ...store.OpenOption) (*Store, error) {
	return open(ctx, path, version, opts...)
}
