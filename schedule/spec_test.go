package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/kilntype"
)

func mustParse(t testing.TB, expr, tz string) *Spec {
	t.Helper()
	s, err := Parse(expr, tz)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
	}
	return s
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, tz string
		want     string // the whole message, or a prefix ending in "…"
	}{
		{"every day", "", `cron expression "every day" must have 5 fields (minute hour day month weekday) or 6 with seconds first`},
		{"* * * * * * *", "", `cron expression "* * * * * * *" must have 5 fields (minute hour day month weekday) or 6 with seconds first`},
		{"0 3 * * *", "Mars/Base", `unknown timezone "Mars/Base": use an IANA name such as Europe/Paris`},
		{"0 3 * * *", "Local", `timezone "Local" depends on the server's settings: use an IANA name such as Europe/Paris`},
		{"", "", `cron expression is empty: …`},
		{"   ", "UTC", `cron expression is empty: …`},
		{"61 * * * *", "", `cron expression "61 * * * *": the minute field "61" is not valid (…`},
		{"0 24 * * *", "", `cron expression "0 24 * * *": the hour field "24" is not valid (…`},
		{"0 0 0 * *", "", `cron expression "0 0 0 * *": the day-of-month field "0" is not valid (…`},
		{"0 0 * 13 *", "", `cron expression "0 0 * 13 *": the month field "13" is not valid (…`},
		{"0 0 * * 7", "", `cron expression "0 0 * * 7": the weekday field "7" is not valid (…`},
		{"60 0 0 * * *", "", `cron expression "60 0 0 * * *": the second field "60" is not valid (…`},
		{"*/0 * * * *", "", `cron expression "*/0 * * * *": the minute field "*/0" is not valid (…`},
		{"0 0 30 2 *", "", `cron expression "0 0 30 2 *" never runs: …`},
		{"@every 5m", "", `cron expression "@every 5m": @every is not supported; …`},
		{"@often", "", `cron expression "@often" is not a known descriptor: …`},
		{"CRON_TZ=Europe/Paris 0 3 * * *", "", `cron expression "CRON_TZ=Europe/Paris 0 3 * * *": give the time zone in the timezone field, …`},
	}
	for _, tt := range tests {
		t.Run(tt.expr+"|"+tt.tz, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.expr, tt.tz)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if code := kilntype.ErrorCode(err); code != kilntype.EInvalidArgument {
				t.Errorf("code %s, want %s", code, kilntype.EInvalidArgument)
			}
			var msg string
			if ke := (*kilntype.Error)(nil); errors.As(err, &ke) {
				msg = ke.Message
			}
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				if !strings.HasPrefix(msg, prefix) {
					t.Errorf("message\n%s\nwant it to start with\n%s", msg, prefix)
				}
			} else if msg != tt.want {
				t.Errorf("message\n%s\nwant\n%s", msg, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ expr, tz, wantTZ string }{
		{"0 3 * * *", "", "UTC"},
		{" 0 3 * * * ", "UTC", "UTC"},
		{"*/5 * * * * *", "Europe/Paris", "Europe/Paris"},
		{"0 9 * * MON-FRI", "Asia/Kolkata", "Asia/Kolkata"},
		{"0 0 1 JAN,JUL ?", "America/New_York", "America/New_York"},
		{"0 0 29 2 *", "", "UTC"},
		{"@hourly", "", "UTC"},
		{"@daily", "Etc/GMT+5", "Etc/GMT+5"},
	} {
		s := mustParse(t, tt.expr, tt.tz)
		if s.Timezone() != tt.wantTZ || s.Expression() != strings.TrimSpace(tt.expr) {
			t.Errorf("Parse(%q, %q) = %q in %q", tt.expr, tt.tz, s.Expression(), s.Timezone())
		}
	}
}

// TestNext checks run times across time zones and daylight-saving changes.
// Times are written in the zone they are expected in.
func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, tz, after string
		want                  []string
	}{
		{"UTC daily", "0 9 * * *", "", "2026-01-01T00:00:00Z",
			[]string{"2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z"}},
		{"Kolkata daily", "0 9 * * *", "Asia/Kolkata", "2026-01-01T00:00:00Z",
			[]string{"2026-01-01T09:00:00+05:30", "2026-01-02T09:00:00+05:30"}},
		{"Kolkata before UTC midnight", "30 2 * * *", "Asia/Kolkata", "2026-01-01T20:00:00Z",
			[]string{"2026-01-02T02:30:00+05:30", "2026-01-03T02:30:00+05:30"}},
		{"Kolkata weekdays", "0 9 * * MON-FRI", "Asia/Kolkata", "2026-01-02T04:00:00Z", // Friday 09:30 IST
			[]string{"2026-01-05T09:00:00+05:30", "2026-01-06T09:00:00+05:30"}},
		{"UTC weekdays", "0 9 * * MON-FRI", "UTC", "2026-01-02T04:00:00Z",
			[]string{"2026-01-02T09:00:00Z", "2026-01-05T09:00:00Z"}},
		{"seconds", "*/15 * * * * *", "", "2026-01-01T12:00:07.5Z",
			[]string{"2026-01-01T12:00:15Z", "2026-01-01T12:00:30Z", "2026-01-01T12:00:45Z", "2026-01-01T12:01:00Z"}},
		{"exactly on a run time", "0 * * * *", "", "2026-01-01T12:00:00Z",
			[]string{"2026-01-01T13:00:00Z"}},
		{"leap day", "0 0 29 2 *", "", "2026-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},

		// Paris jumps 02:00→03:00 on 2026-03-29 and 03:00→02:00 on 2026-10-25.
		{"Paris forward, fixed time in the gap runs at the jump", "30 2 * * *", "Europe/Paris", "2026-03-28T12:00:00+01:00",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"Paris forward, run at 02:00 and 03:00 runs once", "0 2,3 * * *", "Europe/Paris", "2026-03-29T00:00:00+01:00",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"}},
		{"Paris forward, fixed time outside the gap", "0 4 * * *", "Europe/Paris", "2026-03-28T12:00:00+01:00",
			[]string{"2026-03-29T04:00:00+02:00", "2026-03-30T04:00:00+02:00"}},
		{"Paris forward, every 20 minutes skips the gap", "*/20 * * * *", "Europe/Paris", "2026-03-29T01:00:00+01:00",
			[]string{"2026-03-29T01:20:00+01:00", "2026-03-29T01:40:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:20:00+02:00"}},
		{"Paris back, fixed time runs once", "30 2 * * *", "Europe/Paris", "2026-10-24T12:00:00+02:00",
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"Paris back, fixed range runs once per reading", "0 1-3 * * *", "Europe/Paris", "2026-10-25T00:30:00+02:00",
			[]string{"2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00"}},
		{"Paris back, hourly runs in both hours", "0 * * * *", "Europe/Paris", "2026-10-25T01:30:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00"}},
		{"Paris back, every 20 minutes follows elapsed time", "*/20 * * * *", "Europe/Paris", "2026-10-25T02:30:00+02:00",
			[]string{"2026-10-25T02:40:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:20:00+01:00"}},
		{"Paris back, started during the repeated hour", "30 2 * * *", "Europe/Paris", "2026-10-25T02:10:00+01:00",
			[]string{"2026-10-26T02:30:00+01:00"}},

		// New York jumps 02:00→03:00 on 2026-03-08 and 02:00→01:00 on 2026-11-01.
		{"New York forward", "15 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:15:00-04:00"}},
		{"New York back", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		// Lord Howe jumps half an hour, 02:00→02:30, on 2026-10-04.
		{"Lord Howe half-hour jump", "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30",
			[]string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
		// São Paulo's clocks once jumped at midnight: 2018-11-04 00:00→01:00.
		{"Sao Paulo midnight jump", "0 0 * * *", "America/Sao_Paulo", "2018-11-03T12:00:00-03:00",
			[]string{"2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := mustParse(t, tt.expr, tt.tz)
			got := s.NextN(mustTime(t, tt.after), len(tt.want))
			if len(got) != len(tt.want) {
				t.Fatalf("NextN gave %d times, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				want := mustTime(t, w)
				if !got[i].Equal(want) || got[i].Format(time.RFC3339) != w {
					t.Errorf("run %d: got %s, want %s", i, got[i].Format(time.RFC3339), w)
				}
			}
		})
	}
}

func TestLatest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, after, until, want string // want "" = none
	}{
		{"* * * * *", "2026-01-01T11:00:00Z", "2026-01-01T12:00:30Z", "2026-01-01T12:00:00Z"},
		{"* * * * *", "2026-01-01T12:00:00Z", "2026-01-01T12:00:30Z", ""},
		{"* * * * *", "2026-01-01T11:59:00Z", "2026-01-01T12:00:00Z", "2026-01-01T12:00:00Z"},
		{"*/1 * * * * *", "2025-12-01T00:00:00Z", "2026-01-01T12:00:00.5Z", "2026-01-01T12:00:00Z"},
		{"0 3 * * *", "2025-06-01T00:00:00Z", "2026-01-01T02:00:00Z", "2025-12-31T03:00:00Z"},
		{"0 0 1 1 *", "2020-06-01T00:00:00Z", "2026-06-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"0 0 29 2 *", "2020-06-01T00:00:00Z", "2026-06-01T00:00:00Z", "2024-02-29T00:00:00Z"},
	}
	for _, tt := range tests {
		s := mustParse(t, tt.expr, "")
		got := s.Latest(mustTime(t, tt.after), mustTime(t, tt.until))
		if tt.want == "" {
			if !got.IsZero() {
				t.Errorf("Latest(%s, %s, %s) = %s, want none", tt.expr, tt.after, tt.until, got)
			}
			continue
		}
		if !got.Equal(mustTime(t, tt.want)) {
			t.Errorf("Latest(%s, %s, %s) = %s, want %s", tt.expr, tt.after, tt.until, got, tt.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts has run
// times that go strictly forward.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"0 3 * * *", "*/5 * * * * *", "@daily", "0 0 29 2 *", "1-5/2 */3 1,15 JAN-MAR MON-FRI", "every day", "61 * * * *"} {
		f.Add(seed, "Europe/Paris")
	}
	after := time.Date(2026, 3, 28, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr, tz string) {
		s, err := Parse(expr, tz)
		if err != nil {
			if kilntype.ErrorCode(err) != kilntype.EInvalidArgument {
				t.Fatalf("Parse(%q, %q) error without INVALID_ARGUMENT: %v", expr, tz, err)
			}
			return
		}
		prev := after
		for _, n := range s.NextN(after, 5) {
			if !n.After(prev) {
				t.Fatalf("Parse(%q, %q): run %s does not follow %s", expr, tz, n, prev)
			}
			prev = n
		}
	})
}
