package kilntype

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// The layout of Kiln's IDs of executions and dead letters, in one place:
// 12 hex digits of the creation time in Unix milliseconds, so IDs sort by
// creation, then 20 hex digits (80 bits) that make the ID unique. The
// store relies on the time prefix: a batch of execution records shares
// its IDs' bucket (IDBucket), and a lookup by ID reads only the batches
// whose bucket matches. IDs a host or a test gives (a UUIDv7, "job-1")
// work too, only with wider buckets.
const (
	// IDLen is the length of an ID Kiln makes.
	IDLen = 32
	// idTimeDigits is the length of the time prefix.
	idTimeDigits = 12
	// IDBucketLen is how many leading characters of its ID every record of
	// an execution batch shares: 9 hex digits of the time prefix, about
	// 4.3 s (16³ ms); for a UUIDv7, its first 8 digits and the dash, about a
	// minute.
	IDBucketLen = 9
)

const hexDigits = "0123456789abcdef"

// NewID returns a new ID made at at: its time prefix and 80 random bits.
func NewID(at time.Time) string {
	var b [IDLen]byte
	putTime(&b, at)
	var r [10]byte
	_, _ = rand.Read(r[:])
	hex.Encode(b[idTimeDigits:], r[:])
	return string(b[:])
}

// DerivedID returns the ID of the thing made at at and named by key: the
// same for the same pair, so a retried operation (an event delivery's
// attempt, redelivered after a crash) finds its earlier record. IDs are
// unique across tenants, so a key built from what a tenant chooses (an
// event ID) must name the tenant too: two tenants with the same key at the
// same millisecond get the same ID.
func DerivedID(at time.Time, key string) string {
	var b [IDLen]byte
	putTime(&b, at)
	sum := sha256.Sum256([]byte(key))
	hex.Encode(b[idTimeDigits:], sum[:10])
	return string(b[:])
}

func putTime(b *[IDLen]byte, at time.Time) {
	ms := uint64(at.UnixMilli())
	for i := idTimeDigits - 1; i >= 0; i-- {
		b[i] = hexDigits[ms&0xF]
		ms >>= 4
	}
}

// IDBucket is the leading IDBucketLen bytes of id, cut back to a whole
// character (PostgreSQL refuses a parameter that is not UTF-8).
func IDBucket(id string) string {
	n := min(len(id), IDBucketLen)
	for n > 0 && n < len(id) && !utf8.RuneStart(id[n]) {
		n--
	}
	return id[:n]
}
