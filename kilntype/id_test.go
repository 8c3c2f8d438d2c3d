package kilntype

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
		id := NewID(time.Now())
		if len(id) != IDLen || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("NewID() = %q, want %d hex digits", id, IDLen)
		}
		ms, err := strconv.ParseInt(id[:12], 16, 64)
		if err != nil || ms < before || ms > time.Now().UnixMilli() {
			t.Fatalf("NewID() = %q: time prefix %d, want between %d and now", id, ms, before)
		}
		if seen[id] || id[:12] < prev {
			t.Fatalf("NewID() = %q repeats or sorts before an earlier id", id)
		}
		seen[id], prev = true, id[:12]
	}
}

// TestDerivedID: the same time and key give the same ID, another key
// another; the layout is NewID's.
func TestDerivedID(t *testing.T) {
	at := time.UnixMilli(1_765_000_000_000)
	a, b := DerivedID(at, "delivery-1\x001"), DerivedID(at, "delivery-1\x002")
	if a != DerivedID(at, "delivery-1\x001") || a == b {
		t.Fatalf("DerivedID not a function of its key: %s %s", a, b)
	}
	if a[:12] != NewID(at)[:12] || len(a) != IDLen || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("DerivedID %s does not have NewID's layout", a)
	}
}

// TestIDBucket: IDs made within one bucket's span share their bucket, the
// bucket is a prefix of the ID (what the store's lookup by ID relies on),
// and a non-ASCII ID is cut on a character boundary.
func TestIDBucket(t *testing.T) {
	at := time.UnixMilli(0x19a_0000_0000)
	first, last := NewID(at), NewID(at.Add(4095*time.Millisecond))
	if IDBucket(first) != IDBucket(last) || !strings.HasPrefix(first, IDBucket(first)) {
		t.Errorf("IDs 4095 ms apart at a bucket's start: buckets %s and %s", IDBucket(first), IDBucket(last))
	}
	if next := NewID(at.Add(4096 * time.Millisecond)); IDBucket(next) == IDBucket(first) || IDBucket(next) < IDBucket(first) {
		t.Errorf("the next bucket %s must sort after %s", IDBucket(next), IDBucket(first))
	}
	for id, want := range map[string]string{"job-1": "job-1", "αβγδε": "αβγδ", "abcdefghijk": "abcdefghi", "": ""} {
		if got := IDBucket(id); got != want {
			t.Errorf("IDBucket(%q) = %q, want %q", id, got, want)
		}
	}
}
