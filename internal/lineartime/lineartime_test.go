package lineartime

import (
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps whether the check failed.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Logf(string, ...any)   {}
func (r *recorder) Helper()               {}

func TestCheck(t *testing.T) {
	// A linear step passes; a quadratic one (every suffix compared with a
	// prefix) fails. The inputs are built beforehand, as Check asks.
	inputs := map[int]string{}
	for _, n := range []int{10_000, 500_000} {
		inputs[n], inputs[Factor*n] = strings.Repeat("ab", n), strings.Repeat("ab", Factor*n)
	}
	linear := func(n int) { _ = strings.Count(inputs[n], "b") }
	quadratic := func(n int) {
		s, count := inputs[n], 0
		for i := range len(s) {
			if strings.HasPrefix(s[i:], s[:len(s)-i]) {
				count++
			}
		}
		_ = count
	}
	for _, tt := range []struct {
		name string
		n    int
		run  func(int)
		fail bool
	}{
		{"linear", 500_000, linear, false},
		{"quadratic", 10_000, quadratic, true},
	} {
		r := &recorder{TB: t}
		Check(r, tt.name, tt.n, tt.run)
		if r.failed != tt.fail {
			t.Errorf("%s: failed = %v, want %v", tt.name, r.failed, tt.fail)
		}
	}
}
