package sqlstore

import (
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 123456000, time.UTC)
	c, err := decodeCursor(encodeCursor(at, "0190-id|with-bar"))
	if err != nil || !c.createdAt.Equal(at) || c.id != "0190-id|with-bar" {
		t.Fatalf("round trip = %+v, %v", c, err)
	}
	if c, err := decodeCursor(""); c != nil || err != nil {
		t.Fatalf(`decodeCursor("") = %+v, %v; want the first page`, c, err)
	}
}

// FuzzDecodeCursor: cursors come from clients, so any string must either
// decode or fail with INVALID_ARGUMENT, never panic or fail otherwise.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(time.Now(), "id"))
	f.Add("")
	f.Add("not a cursor")
	f.Add("fA")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil && kilntype.ErrorCode(err) != kilntype.EInvalidArgument {
			t.Fatalf("decodeCursor(%q): %v", s, err)
		}
		if err == nil && s != "" && (c == nil || c.id == "") {
			t.Fatalf("decodeCursor(%q) = %+v without error", s, c)
		}
	})
}

func TestTimeLayoutSortsAsText(t *testing.T) {
	// SQLite compares created_at as text; this is the property it needs.
	times := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 100000000, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 1, 0, time.FixedZone("east", 3600)).Add(time.Hour),
	}
	for i := 1; i < len(times); i++ {
		a, b := FormatTime(times[i-1]), FormatTime(times[i])
		if !(a < b) {
			t.Errorf("%s does not sort before %s", a, b)
		}
	}
}

func TestPageLimit(t *testing.T) {
	for _, tt := range []struct {
		in, want int
		code     kilntype.Code
	}{{0, 50, ""}, {1, 1, ""}, {200, 200, ""}, {-1, 0, kilntype.EInvalidArgument}, {201, 0, kilntype.EInvalidArgument}} {
		got, err := pageLimit(tt.in)
		if got != tt.want || (err != nil) != (tt.code != "") || (err != nil && kilntype.ErrorCode(err) != tt.code) {
			t.Errorf("pageLimit(%d) = %d, %v", tt.in, got, err)
		}
	}
}
