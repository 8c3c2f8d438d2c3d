package schedule

import (
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kiln-run/kiln/kilntype"
)

// Spec is a parsed cron expression with its time zone. It is immutable and
// safe for concurrent use.
type Spec struct {
	expr  string
	tz    string
	loc   *time.Location
	sched *cron.SpecSchedule // in loc
	civil *cron.SpecSchedule // the same fields in UTC: matches wall-clock readings as numbers
	// fixed is true when none of the second, minute and hour fields starts
	// with '*': the job runs at set times of day, and daylight-saving changes
	// neither skip nor repeat it (see Next).
	fixed bool
}

// starBit is robfig/cron's marker for a field written with '*' (also '*/n'
// and '?').
const starBit = 1 << 63

// fieldsParser reads 6 fields, seconds first. Parse adds a seconds field to
// 5-field expressions itself, so that it can name the faulty field.
var fieldsParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// descriptors are the @names Parse accepts. @every is refused: it counts from
// whenever the process started, so it has no due times two nodes agree on.
var descriptors = map[string]string{
	"@yearly":   "0 0 0 1 1 *",
	"@annually": "0 0 0 1 1 *",
	"@monthly":  "0 0 0 1 * *",
	"@weekly":   "0 0 0 * * 0",
	"@daily":    "0 0 0 * * *",
	"@midnight": "0 0 0 * * *",
	"@hourly":   "0 0 * * * *",
}

// fieldHelp names each of the six fields and what it takes.
var fieldHelp = [6]struct{ name, takes string }{
	{"second", "0-59"},
	{"minute", "0-59"},
	{"hour", "0-23"},
	{"day-of-month", "1-31"},
	{"month", "1-12 or JAN-DEC"},
	{"weekday", "0-6 or SUN-SAT, 0 being Sunday (7 is not accepted)"},
}

// Parse reads a cron expression and an IANA time zone ("" means UTC).
//
// The expression has 5 fields (minute hour day-of-month month weekday), or 6
// with a seconds field first. Each field takes a number or name, '*', lists
// (1,15), ranges (1-5) and steps (*/10, 0-30/5). When both day-of-month and
// weekday are restricted, a day matching either runs (as in Vixie cron). The
// descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight and
// @hourly are accepted too; @every and a TZ= prefix are not.
//
// Errors are *kilntype.Error with code INVALID_ARGUMENT and a message that says
// what to write instead.
func Parse(expr, tz string) (*Spec, error) {
	expr = strings.TrimSpace(expr)
	tz = strings.TrimSpace(tz)
	loc, tz, err := loadLocation(tz)
	if err != nil {
		return nil, err
	}
	fields, err := splitFields(expr)
	if err != nil {
		return nil, err
	}
	parsed, err := fieldsParser.Parse(strings.Join(fields, " "))
	if err != nil {
		return nil, fieldError(expr, fields, err)
	}
	sched := parsed.(*cron.SpecSchedule)
	sched.Location = loc
	civil := *sched
	civil.Location = time.UTC
	s := &Spec{
		expr:  expr,
		tz:    tz,
		loc:   loc,
		sched: sched,
		civil: &civil,
		fixed: (sched.Second|sched.Minute|sched.Hour)&starBit == 0,
	}
	// A day-of-month that no month has (30 2, 31 4) never matches. Five years
	// from a leap year's start cover every date that exists.
	if civil.Next(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return nil, invalid("cron expression %q never runs: no month has that day-of-month (check the day-of-month and month fields)", expr)
	}
	return s, nil
}

func invalid(format string, args ...any) error {
	return kilntype.Errorf(kilntype.EInvalidArgument, format, args...)
}

func loadLocation(tz string) (*time.Location, string, error) {
	switch tz {
	case "", "UTC":
		return time.UTC, "UTC", nil
	case "Local":
		return nil, "", invalid("timezone \"Local\" depends on the server's settings: use an IANA name such as Europe/Paris")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, "", invalid("unknown timezone %q: use an IANA name such as Europe/Paris", tz)
	}
	return loc, tz, nil
}

// splitFields returns the expression's six fields, seconds first.
func splitFields(expr string) ([]string, error) {
	switch {
	case expr == "":
		return nil, invalid("cron expression is empty: write 5 fields (minute hour day month weekday) such as \"0 3 * * *\", or 6 with seconds first")
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return nil, invalid("cron expression %q: give the time zone in the timezone field, not in the expression", expr)
	case strings.HasPrefix(expr, "@every"):
		return nil, invalid("cron expression %q: @every is not supported; use a step such as \"*/5 * * * *\" (every 5 minutes)", expr)
	case strings.HasPrefix(expr, "@"):
		if six, ok := descriptors[expr]; ok {
			return strings.Fields(six), nil
		}
		names := make([]string, 0, len(descriptors))
		for name := range descriptors {
			names = append(names, name)
		}
		slices.Sort(names)
		return nil, invalid("cron expression %q is not a known descriptor: use one of %s, or 5 fields", expr, strings.Join(names, ", "))
	}
	fields := strings.Fields(expr)
	switch len(fields) {
	case 5:
		return append([]string{"0"}, fields...), nil
	case 6:
		return fields, nil
	}
	return nil, invalid("cron expression %q must have 5 fields (minute hour day month weekday) or 6 with seconds first", expr)
}

// fieldError finds which field the parser refused, by parsing each field
// alone among stars.
func fieldError(expr string, fields []string, err error) error {
	offset := 0
	if len(strings.Fields(expr)) == 5 {
		offset = 1 // the seconds field is Parse's own "0"
	}
	for i := offset; i < len(fields); i++ {
		alone := []string{"*", "*", "*", "*", "*", "*"}
		alone[i] = fields[i]
		if _, ferr := fieldsParser.Parse(strings.Join(alone, " ")); ferr != nil {
			return invalid("cron expression %q: the %s field %q is not valid (%v); it takes %s, with *, lists (1,15), ranges (1-5) and steps (*/10)",
				expr, fieldHelp[i].name, fields[i], ferr, fieldHelp[i].takes)
		}
	}
	return invalid("cron expression %q is not valid: %v", expr, err)
}

// Expression returns the expression as given, without surrounding spaces.
func (s *Spec) Expression() string { return s.expr }

// Timezone returns the IANA name of the spec's time zone ("UTC" by default).
func (s *Spec) Timezone() string { return s.tz }

// Location returns the spec's time zone.
func (s *Spec) Location() *time.Location { return s.loc }

// String returns the expression and the time zone, as in "0 3 * * * Europe/Paris".
func (s *Spec) String() string { return s.expr + " " + s.tz }

// same reports whether s and o describe the same schedule.
func (s *Spec) same(o *Spec) bool {
	return s == o || (s != nil && o != nil && s.expr == o.expr && s.tz == o.tz)
}

// Next returns the first run time strictly after after, in the spec's time
// zone, or the zero time if there is none within five years.
//
// Daylight-saving changes, where the clock jumps forward or back:
//
//   - A fixed-time job (its second, minute and hour fields are numbers,
//     ranges or lists, not '*'-based), such as "30 2 * * *", runs once per
//     matching wall-clock time. When the clock skips over its time, it runs
//     at the instant the clock jumps (03:00 after a 02:00→03:00 jump). When
//     the clock shows its time twice, it runs at the first one only.
//   - A '*'-based job, such as "*/15 * * * *" or "0 * * * *", follows elapsed
//     time: times the clock skips don't run, times it repeats run twice,
//     an hour apart, as robfig/cron computes them.
//
// This is Vixie cron's behaviour. robfig/cron alone would skip fixed-time
// jobs on the day the clock jumps forward and run them twice when it goes
// back.
func (s *Spec) Next(after time.Time) time.Time {
	if !s.fixed {
		return s.in(s.sched.Next(after))
	}
	t := after
	for {
		n := s.in(s.sched.Next(t))
		if n.IsZero() {
			return n
		}
		if g := s.skippedRun(after, n); !g.IsZero() {
			return g
		}
		if !s.repeated(n) {
			return n
		}
		t = n
	}
}

// NextN returns the first n run times after after (fewer if the schedule
// ends within five years).
func (s *Spec) NextN(after time.Time, n int) []time.Time {
	times := make([]time.Time, 0, max(n, 0))
	for t := after; len(times) < n; {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		times = append(times, t)
	}
	return times
}

// Latest returns the last run time in (after, until], or the zero time if
// none falls there.
func (s *Spec) Latest(after, until time.Time) time.Time {
	// Step back from until in growing windows, so that a job running every
	// second after a week's downtime is not walked run by run from after.
	start := after
	for _, w := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		from := until.Add(-w)
		if !from.After(after) {
			break
		}
		if n := s.Next(from); !n.IsZero() && !n.After(until) {
			start = from
			break
		}
	}
	var last time.Time
	for t := s.Next(start); !t.IsZero() && !t.After(until); t = s.Next(t) {
		last = t
	}
	return last
}

func (s *Spec) in(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(s.loc)
}

// skippedRun returns the instant of the first forward clock jump in
// (after, n] that skipped over a wall-clock time the spec matches, or the
// zero time.
func (s *Spec) skippedRun(after, n time.Time) time.Time {
	for jump, offBefore := range s.offsetChanges(after, n) {
		jump = jump.In(s.loc)
		if _, offAfter := jump.Zone(); offAfter <= offBefore {
			continue
		}
		// The wall clock went from the reading just before the jump straight
		// to the jump's reading: did the spec match a reading in between?
		before := jump.Add(-time.Nanosecond).In(s.loc)
		if m := s.civil.Next(civil(before)); !m.IsZero() && m.Before(civil(jump)) {
			return jump
		}
	}
	return time.Time{}
}

// repeated reports whether t's wall-clock reading was already shown once
// before, because the clock went back.
func (s *Spec) repeated(t time.Time) bool {
	var last time.Time
	var offBefore int
	for jump, off := range s.offsetChanges(t.Add(-maxRepeat), t) {
		last, offBefore = jump, off
	}
	if last.IsZero() {
		return false
	}
	_, off := t.In(s.loc).Zone()
	return offBefore > off && t.Before(last.Add(time.Duration(offBefore-off)*time.Second))
}

// maxRepeat bounds how far back repeated looks for the clock going back:
// more than any backward change in the zone database since 1900.
const maxRepeat = 48 * time.Hour

// offsetChanges yields each instant in (from, to] at which the zone's UTC
// offset changes, with the offset in force just before it.
//
// It samples the offset once a day and bisects to the second where two
// samples differ (zone changes fall on whole seconds). Two changes that
// cancel out within one day would go unseen; no zone has had such a pair
// in the daylight-saving era. time.Time.ZoneBounds would be simpler, but in
// the years past a zone's last listed change it reports bounds that end
// before the time asked about (Go 1.26).
func (s *Spec) offsetChanges(from, to time.Time) func(yield func(time.Time, int) bool) {
	return func(yield func(time.Time, int) bool) {
		if s.loc == time.UTC {
			return
		}
		offset := func(sec int64) int {
			_, off := time.Unix(sec, 0).In(s.loc).Zone()
			return off
		}
		lo, end := from.Unix(), to.Unix()
		off := offset(lo)
		for lo < end {
			hi := min(lo+24*60*60, end)
			if offset(hi) == off {
				lo = hi
				continue
			}
			// offset(lo) == off != offset(hi): find the first second that differs.
			a, b := lo, hi
			for b-a > 1 {
				if mid := a + (b-a)/2; offset(mid) == off {
					a = mid
				} else {
					b = mid
				}
			}
			if jump := time.Unix(b, 0); jump.After(from) {
				if !yield(jump, off) {
					return
				}
			}
			lo, off = b, offset(b)
		}
	}
}

// civil returns t's wall-clock reading as a UTC time, so that the civil
// schedule matches readings as plain numbers.
func civil(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), time.UTC)
}
