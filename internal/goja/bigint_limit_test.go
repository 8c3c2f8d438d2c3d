package goja

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestBigIntLimit: Kiln patch 4. Past maxBigIntBits an operation throws a
// RangeError the script can catch; at and under it, it computes as before.
func TestBigIntLimit(t *testing.T) {
	for _, tt := range []struct {
		name, src, want string
	}{
		{"shift past", `1n << 2097152n`, "RangeError"},
		{"shift at", `(1n << 2097150n).toString(16).length`, "524288"},
		{"right shift by a negative", `1n >> -(2n ** 40n)`, "RangeError"},
		{"shift by a huge count", `3n << (2n ** 80n)`, "RangeError"},
		{"zero shifted", `0n << (2n ** 80n)`, "0"},
		{"power past", `7n ** (2n ** 20n)`, "RangeError"},
		{"power of one", `1n ** (2n ** 80n)`, "1"},
		{"power of minus one", `(-1n) ** (2n ** 80n + 1n)`, "-1"},
		{"power at", `(2n ** 2000000n).toString(2).length`, "2000001"},
		{"product past", `(1n << 1500000n) * (1n << 1500000n)`, "RangeError"},
		{"decimal string past", `BigInt('9'.repeat(700000))`, "RangeError"},
		{"hex string past", `BigInt('0x' + 'f'.repeat(524289))`, "RangeError"},
		{"long decimal string", `BigInt('12345678901'.repeat(50000)).toString() === '12345678901'.repeat(50000)`, "true"},
		{"comparison with a long string", `1n < '9'.repeat(10000)`, "true"},
		{"caught", `try { 1n << 2097152n } catch (e) { e instanceof RangeError && e.message }`, "Maximum BigInt size exceeded (2097152 bits)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.SetMemoryLimit(64 << 20)
			v, err := r.RunString(tt.src)
			got := ""
			switch {
			case err == nil:
				got = v.String()
			case strings.Contains(err.Error(), "RangeError"):
				got = "RangeError"
			default:
				got = err.Error()
			}
			if len(got) > 80 {
				got = got[:80] + "…"
			}
			if got != tt.want {
				t.Errorf("%s = %s, want %s", tt.src, got, tt.want)
			}
		})
	}
}

// TestParseDecimalHalves: parsing by halves gives math/big's result, and
// the longest string allowed parses quickly.
func TestParseDecimalHalves(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{parseBigDecimalMin, parseBigDecimalMin + 1, 3*parseBigDecimalMin + 7, 100_003} {
		var b strings.Builder
		b.WriteByte(byte('1' + rnd.IntN(9)))
		for b.Len() < n {
			b.WriteByte(byte('0' + rnd.IntN(10)))
		}
		s := b.String()
		want, _ := new(big.Int).SetString(s, 10)
		got, ok := setBigIntString(new(big.Int), s)
		if !ok || got.Cmp(want) != 0 {
			t.Fatalf("%d digits: parsed by halves differently", n)
		}
	}
	start := time.Now()
	if _, ok := setBigIntString(new(big.Int), strings.Repeat("9", 631_000)); !ok {
		t.Fatal("631,000 nines did not parse")
	}
	t.Logf("631,000 digits parsed in %s", time.Since(start))
}
