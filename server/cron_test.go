package server

import (
	"strings"
	"testing"
	"time"
)

// Scheduled scripts: validated on save with their next runs shown in their
// timezone; they fire on time, and a run still going makes the next one
// skipped (recorded as such).
func TestScheduledScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a few cron ticks")
	}
	h := setup(t, "sqlite")
	_, dev, viewer := h.tenant("acme")
	for _, bad := range []map[string]any{
		{"expression": "every day"},
		{"expression": "0 3 * * *", "timezone": "Mars/Base"},
		{"expression": "61 * * * *"},
	} {
		r := h.do("POST", "/api/scripts", dev, map[string]any{"name": "bad", "type": "scheduled", "source": `export default () => 1`,
			"trigger": map[string]any{"cron": bad}})
		h.expect(r, 400, "INVALID_ARGUMENT")
		if !strings.Contains(string(r.Body), "trigger.cron") {
			t.Errorf("the error does not name the field: %s", r.Body)
		}
	}

	// 09:30 in Kolkata is 04:00 UTC.
	r := h.do("POST", "/api/scripts", dev, map[string]any{"name": "report", "type": "scheduled", "status": "paused", "source": `export default () => 1`,
		"trigger": map[string]any{"cron": map[string]any{"expression": "30 9 * * *", "timezone": "Asia/Kolkata"}}})
	h.expect(r, 201, "")
	var report struct{ NextRuns []time.Time }
	r.json(t, &report)
	if len(report.NextRuns) != 5 {
		t.Fatalf("nextRuns: %s", r.Body)
	}
	for _, at := range report.NextRuns {
		if u := at.UTC(); u.Hour() != 4 || u.Minute() != 0 {
			t.Errorf("next run %s is not 09:30 in Kolkata", at)
		}
	}

	// Every second, each run taking 2.5 s: runs fire, the ones due while a
	// run is going are skipped.
	id := h.script(dev, map[string]any{"name": "tick", "type": "scheduled", "status": "active",
		"source":  `export default async (input) => { await new Promise((r) => setTimeout(r, 2500)); return input.scheduledAt; }`,
		"trigger": map[string]any{"cron": map[string]any{"expression": "* * * * * *"}}})
	h.waitUntil("two runs complete", func() bool {
		n := 0
		for _, e := range h.executionsOf(viewer, id) {
			if e.Status == "completed" {
				n++
			}
		}
		return n >= 2
	})
	var completed, skipped int
	for _, e := range h.executionsOf(viewer, id) {
		switch e.Status {
		case "completed":
			completed++
			if e.Trigger != "cron" {
				t.Errorf("trigger %q", e.Trigger)
			}
		case "skipped":
			skipped++
		}
	}
	if skipped < 2 {
		t.Fatalf("%d completed and %d skipped runs; want skips while each 2.5 s run goes", completed, skipped)
	}
	h.expect(h.do("PUT", "/api/scripts/"+id, dev, map[string]any{"status": "paused"}), 200, "")
}
