package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/secrets"
)

// setupSecrets stores acme's STRIPE_KEY and returns an engine with
// iota.secrets and iota.log.
func setupSecrets(t *testing.T, value string) (*sdkBundle, *secrets.Box) {
	t.Helper()
	st := openStore(t)
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("acme", "STRIPE_KEY", []byte(value))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SecretPut(t.Context(), "acme", "STRIPE_KEY", sealed); err != nil {
		t.Fatal(err)
	}
	return setupSDK(t, st, SecretsModule(st, box, nil), LogModule()), box
}

func TestSecretsGet(t *testing.T) {
	t.Parallel()
	b, box := setupSecrets(t, "sk_live_abc")
	if got := b.value(t, "acme", `export default async () => iota.secrets.get('STRIPE_KEY')`); got != `"sk_live_abc"` {
		t.Fatalf("got %s", got)
	}
	tests := []struct{ tenant, expr, code, msg string }{
		{"acme", `iota.secrets.get('MISSING')`, "NOT_FOUND", "iota.secrets.get: secret MISSING is not set for this tenant: set it with PUT /api/secrets/MISSING"},
		{"acme", `iota.secrets.get('stripe_key')`, "INVALID_ARGUMENT", `iota.secrets.get: secret name "stripe_key" is not valid: use an upper-case letter`},
		{"acme", `iota.secrets.get()`, "INVALID_ARGUMENT", "it takes one secret name"},
		{"acme", `iota.secrets.get(['STRIPE_KEY'])`, "INVALID_ARGUMENT", "the secret name must be a string, not an array"},
		// Another tenant can name the secret but never read acme's.
		{"globex", `iota.secrets.get('STRIPE_KEY')`, "NOT_FOUND", "secret STRIPE_KEY is not set for this tenant"},
	}
	for _, tt := range tests {
		b.wantThrow(t, tt.tenant, tt.expr, tt.code, tt.msg)
	}

	// A ciphertext copied into another tenant's row does not open there:
	// the script gets INTERNAL, never the value.
	sealed, _ := b.store.SecretGet(t.Context(), "acme", "STRIPE_KEY")
	if _, err := b.store.SecretPut(t.Context(), "globex", "STRIPE_KEY", sealed); err != nil {
		t.Fatal(err)
	}
	b.wantThrow(t, "globex", `iota.secrets.get('STRIPE_KEY')`, "INTERNAL", "the call failed inside Kiln")
	moved, _ := box.Seal("acme", "OTHER", []byte("x"))
	if _, err := b.store.SecretPut(t.Context(), "acme", "RENAMED", moved); err != nil {
		t.Fatal(err)
	}
	b.wantThrow(t, "acme", `iota.secrets.get('RENAMED')`, "INTERNAL", "the call failed inside Kiln")
}

// execution builds the record the server keeps of a result, as the
// server's runner does.
func execution(id string, res *engine.Result) *kilntype.Execution {
	e := &kilntype.Execution{ID: id, Output: res.Value, Input: json.RawMessage(`{"note":"plain"}`)}
	for _, l := range res.Logs {
		e.Logs = append(e.Logs, kilntype.LogLine{Time: l.Time, Level: string(l.Level), Message: l.Message, Fields: l.Fields})
	}
	if res.Err != nil {
		e.Error = &kilntype.ExecutionError{Code: res.Err.Code, Message: res.Err.Message, Stack: res.Err.Stack}
	}
	return e
}

// TestSecretRedaction leaks a secret every way a script can write it into
// its record — console, iota.log message and fields (as a key too), the
// result, a thrown error — and checks that none of it survives.
func TestSecretRedaction(t *testing.T) {
	t.Parallel()
	const secret = `s3cr3t"<&>\value`
	b, _ := setupSecrets(t, secret)
	for _, src := range []string{
		`export default async () => {
			const key = await iota.secrets.get('STRIPE_KEY');
			console.log('the key is', key);
			iota.log.warn('using ' + key, { key, nested: [{ deep: 'x' + key + 'y' }], [key]: 1 });
			return { key, list: [key, 'clean'], text: JSON.stringify({ key }) };
		}`,
		`export default async () => {
			const key = await iota.secrets.get('STRIPE_KEY');
			throw new Error('bad key ' + key);
		}`,
	} {
		res := b.run(t, "acme", src)
		e := execution("ex-acme", res)
		res.Secrets.RedactExecution(e)
		out, _ := json.Marshal(e)
		for _, leaked := range []string{secret, `s3cr3t\"\u003c\u0026\u003e\\value`, `s3cr3t\"<&>\\value`, "s3cr3t"} {
			if strings.Contains(string(out), leaked) {
				t.Fatalf("the record holds the secret (%s):\n%s", leaked, out)
			}
		}
		if !strings.Contains(string(out), "[REDACTED:STRIPE_KEY]") {
			t.Fatalf("nothing was redacted:\n%s", out)
		}
		if !json.Valid(e.Output) && e.Output != nil {
			t.Fatalf("redacted output is not JSON: %s", e.Output)
		}
		if string(e.Input) != `{"note":"plain"}` {
			t.Errorf("input without a secret changed: %s", e.Input)
		}
	}
}

// TestSecretsHowToSet: a host that sets secrets some other way than the
// API (kiln run's --secret) says so in NOT_FOUND's message.
func TestSecretsHowToSet(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	box, err := secrets.NewBox(bytes.Repeat([]byte{7}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	modules := Modules(ModulesConfig{Store: st, Secrets: box, Publish: func(context.Context, string, string, json.RawMessage) (string, error) { return "", nil },
		HowToSetSecret: func(name string) string { return "pass --secret " + name + "=VALUE" }})
	b := setupSDK(t, st, modules...)
	b.wantThrow(t, "acme", `iota.secrets.get('MISSING')`, "NOT_FOUND", "iota.secrets.get: secret MISSING is not set for this tenant: pass --secret MISSING=VALUE")
}
