package store

import "testing"

func TestHasNUL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{`{"a":"x"}`, false},
		{`{"a":"\u0000"}`, true},
		{`{"a":"\\u0000"}`, false},
		{`{"a":"\\\u0000"}`, true},
		{`{"\u0000":1}`, true},
		{`{"a":"\\\\u0000"}`, false},
	} {
		if got := HasNUL([]byte(tt.in)); got != tt.want {
			t.Errorf("HasNUL(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
