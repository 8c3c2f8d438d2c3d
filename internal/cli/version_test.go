package cli

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	_, want, _ := run(t, "version")
	if !strings.HasPrefix(want, "kiln ") || !strings.Contains(want, "\ncommit  ") || !strings.Contains(want, "\ngo      "+runtime.Version()+" ") {
		t.Fatalf("kiln version printed %q", want)
	}
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, ExitOK, want, ""},
		{[]string{"--version"}, ExitOK, want, ""},
		{[]string{"version", "extra"}, ExitUsage, "", "kiln: unknown command \"extra\" for \"kiln version\""},
		{[]string{"version", "--bogus"}, ExitUsage, "", "kiln: unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.HasPrefix(stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr starting %q", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}
