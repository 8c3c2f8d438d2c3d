package kiln

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNewID: 32 hex digits, the first 12 the creation time in milliseconds,
// so IDs sort by time; no two alike.
func TestNewID(t *testing.T) {
	before := time.Now().UnixMilli()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := newID()
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("newID() = %q, want 32 hex digits", id)
		}
		ms, err := strconv.ParseInt(id[:12], 16, 64)
		if err != nil || ms < before || ms > time.Now().UnixMilli() {
			t.Fatalf("newID() = %q: time prefix %d, want between %d and now", id, ms, before)
		}
		if seen[id] || id[:12] < prev {
			t.Fatalf("newID() = %q repeats or sorts before an earlier id", id)
		}
		seen[id], prev = true, id[:12]
	}
}
