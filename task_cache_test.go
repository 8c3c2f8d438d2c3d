package kiln

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// TestJournalCache: a cached journal comes back for its generation only,
// the least recently hibernated go first past the budget, an ended task is
// dropped, and a caller's append never reaches the cached entries.
func TestJournalCache(t *testing.T) {
	journal := func(n int) []kilntype.JournalEntry {
		out := make([]kilntype.JournalEntry, n)
		for i := range out {
			out[i] = kilntype.JournalEntry{Index: int64(i), Kind: kilntype.JournalRandom, Value: json.RawMessage("0.5")}
		}
		return out
	}
	per := journalEntrySize(&journal(1)[0])
	c := newJournalCache(10 * 10 * per) // ten tasks of ten entries
	for i := range 12 {
		c.put(fmt.Sprint(i), 0, journal(10))
	}
	if c.get("0", 0) != nil || c.get("1", 0) != nil || c.get("11", 0) == nil {
		t.Fatal("the oldest two must be gone past the budget, the newest kept")
	}
	if c.get("11", 1) != nil || c.get("11", 0) != nil {
		t.Fatal("another generation's journal is not this one's (and is dropped)")
	}
	c.put("a", 0, journal(3))
	got := c.get("a", 0)
	_ = append(got, kilntype.JournalEntry{Index: 99})
	if again := c.get("a", 0); len(again) != 3 || cap(again) != 3 {
		t.Fatalf("an append reached the cache: %d/%d", len(again), cap(again))
	}
	c.drop("a")
	if c.get("a", 0) != nil {
		t.Fatal("a dropped task is still cached")
	}
	c.put("big", 0, journal(40)) // more than a quarter of the budget
	if c.get("big", 0) != nil {
		t.Fatal("one task may not take the cache")
	}
	off := newJournalCache(-1)
	off.put("x", 0, journal(1))
	if off.get("x", 0) != nil {
		t.Fatal("a disabled cache keeps nothing")
	}
}
