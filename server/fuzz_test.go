package server

import (
	"testing"
)

// FuzzScriptPayload sends arbitrary bodies to the script create and update
// routes: whatever arrives, the answer is never a 5xx (and the server never
// panics).
func FuzzScriptPayload(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","type":"manual","source":"export default () => 1"}`,
		`{"name":"h","type":"http","status":"active","source":"export default () => 1","trigger":{"http":{"path":"/x/{id}","methods":["get","POST"]}}}`,
		`{"name":"c","type":"scheduled","source":"export default () => 1","trigger":{"cron":{"expression":"*/5 * * * *","timezone":"Europe/Berlin"}}}`,
		`{"name":"e","type":"event","source":"export default () => 1","trigger":{"events":["order.*","payment.>"]}}`,
		`{"name":"l","type":"manual","source":"x","limits":{"timeoutMs":-1,"memoryBytes":1e30}}`,
		`{"source":"export default () => { let x = ; }"}`, `[]`, `null`, `{"name":null}`, `{"trigger":{"http":{"path":"/{a}/{a}"}}}`,
	} {
		f.Add(seed)
	}
	h := setup(&testing.T{}, "sqlite")
	_, dev, _ := h.tenant("fuzz")
	id := h.script(dev, map[string]any{"name": "target", "type": "http", "source": "export default () => 1",
		"trigger": map[string]any{"http": map[string]any{"path": "/target"}}})
	f.Fuzz(func(t *testing.T, body string) {
		h.t = t
		for _, r := range []response{
			h.do("POST", "/api/scripts", dev, []byte(body)),
			h.do("PUT", "/api/scripts/"+id, dev, []byte(body)),
		} {
			if r.Status >= 500 {
				t.Fatalf("body %q: %d %s", body, r.Status, r.Body)
			}
		}
	})
}
