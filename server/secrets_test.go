package server

import (
	"strings"
	"testing"
)

// Secrets are set by admins, listed without values, read by scripts of
// their own tenant only, and never stored in an execution record or log.
func TestSecrets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, h *harness) {
		admin, dev, viewer := h.tenant("acme")
		otherAdmin, otherDev, _ := h.tenant("globex")
		const value = "sk_live_51H8xYz-very-secret"
		h.expect(h.do("PUT", "/api/secrets/STRIPE_KEY", dev, map[string]any{"value": value}), 403, "FORBIDDEN")
		h.expect(h.do("PUT", "/api/secrets/stripe key", admin, map[string]any{"value": value}), 400, "INVALID_ARGUMENT")
		h.expect(h.do("PUT", "/api/secrets/STRIPE_KEY", admin, map[string]any{}), 400, "INVALID_ARGUMENT")
		h.expect(h.do("PUT", "/api/secrets/STRIPE_KEY", admin, map[string]any{"value": value}), 200, "")
		h.expect(h.do("PUT", "/api/secrets/OTHER", otherAdmin, map[string]any{"value": "globex-only"}), 200, "")
		r := h.do("GET", "/api/secrets", admin, nil)
		h.expect(r, 200, "")
		if !strings.Contains(string(r.Body), `"name":"STRIPE_KEY"`) || strings.Contains(string(r.Body), value) || strings.Contains(string(r.Body), "OTHER") {
			t.Fatalf("list: %s", r.Body)
		}
		h.expect(h.do("GET", "/api/secrets", viewer, nil), 403, "FORBIDDEN")

		leak := h.script(dev, map[string]any{"name": "leak", "type": "manual", "source": `export default async () => {
			const key = await iota.secrets.get('STRIPE_KEY');
			console.log('the key is', key);
			iota.log.info('using ' + key, { key });
			let other;
			try { await iota.secrets.get('OTHER'); } catch (e) { other = e.code; }
			return { key, other, length: key.length };
		}`})
		r = h.do("POST", "/api/scripts/"+leak+"/execute", dev, map[string]any{})
		h.expect(r, 200, "")
		if strings.Contains(string(r.Body), value) || !strings.Contains(string(r.Body), `"other":"NOT_FOUND"`) || !strings.Contains(string(r.Body), `"length":27`) {
			t.Fatalf("execute answer: %s", r.Body)
		}
		var ex struct{ ID string }
		r.json(t, &ex)
		for _, path := range []string{"/api/executions/" + ex.ID, "/api/executions?script=" + leak} {
			if b := h.do("GET", path, viewer, nil).Body; strings.Contains(string(b), value) || len(b) == 0 {
				t.Fatalf("%s holds the secret: %s", path, b)
			}
		}
		if b := h.do("GET", "/api/executions/"+ex.ID, viewer, nil).Body; !strings.Contains(string(b), "[REDACTED:STRIPE_KEY]") {
			t.Fatalf("the record does not show the redaction: %s", b)
		}

		// Another tenant cannot read it, by any name.
		probe := h.script(otherDev, map[string]any{"name": "probe", "type": "manual", "source": `export default async () => {
			try { return await iota.secrets.get('STRIPE_KEY'); } catch (e) { return e.code; } }`})
		r = h.do("POST", "/api/scripts/"+probe+"/execute", otherDev, map[string]any{})
		if !strings.Contains(string(r.Body), `"output":"NOT_FOUND"`) {
			t.Fatalf("another tenant's read: %s", r.Body)
		}
		h.expect(h.do("DELETE", "/api/secrets/STRIPE_KEY", admin, nil), 204, "")
		h.expect(h.do("DELETE", "/api/secrets/STRIPE_KEY", admin, nil), 404, "NOT_FOUND")
	})
}
