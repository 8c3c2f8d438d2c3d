package server

import (
	"strings"
	"testing"
)

// A script's host calls per minute are capped: past limits.hostCallsPerMinute
// a call fails with RATE_LIMITED, also in the script's next run that
// minute, while other scripts are unaffected.
func TestHostCallsPerMinute(t *testing.T) {
	h := setup(t, "sqlite")
	_, dev, _ := h.tenant("acme")
	src := `export default async () => {
		const codes = [];
		for (let i = 0; i < 5; i++) {
			try { await iota.cache.get('k' + i); codes.push('ok'); } catch (e) { codes.push(e.code); }
		}
		return codes.join(',');
	}`
	capped := h.script(dev, map[string]any{"name": "capped", "type": "manual", "source": src, "limits": map[string]any{"hostCallsPerMinute": 3}})
	free := h.script(dev, map[string]any{"name": "free", "type": "manual", "source": src})
	for _, tc := range []struct{ id, want string }{
		{capped, `"ok,ok,ok,RATE_LIMITED,RATE_LIMITED"`},
		{capped, `"RATE_LIMITED,RATE_LIMITED,RATE_LIMITED,RATE_LIMITED,RATE_LIMITED"`},
		{free, `"ok,ok,ok,ok,ok"`},
	} {
		r := h.do("POST", "/api/scripts/"+tc.id+"/execute", dev, map[string]any{})
		if !strings.Contains(string(r.Body), `"output":`+tc.want) {
			t.Fatalf("got %s, want output %s", r.Body, tc.want)
		}
	}
}
