package postgres

import "testing"

func TestStripNUL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`{"a":"x"}`, `{"a":"x"}`},
		{`"a\u0000b"`, `"a\ufffdb"`},
		{`["\u0000\u0000"]`, `["\ufffd\ufffd"]`},
		// An escaped backslash followed by the text u0000 is not a NUL.
		{`"\\u0000"`, `"\\u0000"`},
		{`"\\\u0000"`, `"\\\ufffd"`},
		{`"\u00001"`, `"\ufffd1"`},
	} {
		if got := stripNUL(tt.in); got != tt.want {
			t.Errorf("stripNUL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
