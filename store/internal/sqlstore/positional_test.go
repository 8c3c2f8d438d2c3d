package sqlstore

import (
	"strconv"
	"testing"
)

// TestPositional: the execution upsert uses $1…$N once each, in order, so
// rewriting them as ? keeps every argument in its place.
func TestPositional(t *testing.T) {
	found := dollarParam.FindAllString(executionUpsert, -1)
	for i, p := range found {
		if p != "$"+strconv.Itoa(i+1) {
			t.Fatalf("placeholder %d is %s, want $%d: positional would misplace arguments", i+1, p, i+1)
		}
	}
	if len(found) != 18 {
		t.Fatalf("%d placeholders, want 18", len(found))
	}
	if got := positional("a = $1 AND b = $2, $3"); got != "a = ? AND b = ?, ?" {
		t.Errorf("positional = %q", got)
	}
}
