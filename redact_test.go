package kiln

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/kiln-run/kiln/kilntype"
)

// TestSecretRedactedAcrossRuns is issue 14's reproduction: a script that
// keeps a secret in a module-level variable on one run and logs it on the
// next must not show it in the next run's record, since the VM that holds
// it is reused. The record is read back as the store keeps it, as a
// viewer key would read it; the secret is then rotated and deleted, and
// the old value stays redacted for as long as the VM lives.
func TestSecretRedactedAcrossRuns(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	const token = "tok_live_4f9a8b7c6d5e"
	if _, err := c.SecretPut(ctx, tenant.ID, "API_TOKEN", token); err != nil {
		t.Fatal(err)
	}
	s, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "cache", Type: kilntype.TypeManual, Language: "javascript",
		Source: `
let cached;
let runs = 0;
const hex = (s) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, '0')).join('');
export default async (input) => {
	runs++;
	if (input === 'read') {
		cached = await iota.secrets.get('API_TOKEN');
		return { runs };
	}
	console.log('token', cached, JSON.stringify({ cached }));
	console.log('basic', btoa('user:' + cached), 'hex', hex(cached), 'url', encodeURIComponent('a=' + cached));
	iota.log.info('cached ' + cached, { token: cached, [cached]: btoa(cached) });
	if (input === 'throw') throw new Error('bad token ' + cached);
	return { runs, token: cached, b64: btoa(cached), b64url: btoa(cached).replace(/\+/g, '-').replace(/\//g, '_'), hex: hex(cached).toUpperCase() };
}`})
	if err != nil {
		t.Fatal(err)
	}
	run := func(input string) *kilntype.Execution {
		t.Helper()
		res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptID: s.ID, Trigger: kilntype.TriggerManual, Input: json.RawMessage(input)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.ExecutionGet(ctx, tenant.ID, res.Execution.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	leaks := func(secret string) []string {
		return []string{secret,
			base64.StdEncoding.EncodeToString([]byte(secret))[:20],
			base64.StdEncoding.EncodeToString([]byte("user:" + secret))[8:28],
			hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))),
			url.QueryEscape("a=" + secret)[4:],
		}
	}
	check := func(e *kilntype.Execution, wantRuns int, secret string) {
		t.Helper()
		out, _ := json.Marshal(e)
		for _, leak := range leaks(secret) {
			if strings.Contains(string(out), leak) {
				t.Fatalf("run %d: the stored record shows the secret (as %q):\n%s", wantRuns, leak, out)
			}
		}
		if !strings.Contains(string(out), "[REDACTED:API_TOKEN]") {
			t.Fatalf("run %d: nothing was redacted:\n%s", wantRuns, out)
		}
		if e.Status == kilntype.ExecCompleted {
			var v struct{ Runs int }
			if err := json.Unmarshal(e.Output, &v); err != nil || v.Runs != wantRuns {
				t.Fatalf("run %d: output %s: the VM was not reused", wantRuns, e.Output)
			}
		}
	}
	if e := run(`"read"`); e.Status != kilntype.ExecCompleted {
		t.Fatalf("the reading run: %+v", e)
	}
	check(run(`"log"`), 2, token)
	e := run(`"throw"`)
	if e.Status != kilntype.ExecFailed || !strings.Contains(e.Error.Message, "bad token [REDACTED:API_TOKEN]") {
		t.Fatalf("the throwing run's error: %+v", e.Error)
	}
	check(e, 3, token)

	// Rotated, then deleted: the VM still holds the old value, which stays
	// redacted.
	if _, err := c.SecretPut(ctx, tenant.ID, "API_TOKEN", "tok_live_rotated_0000"); err != nil {
		t.Fatal(err)
	}
	check(run(`"log"`), 4, token)
	if err := c.SecretDelete(ctx, tenant.ID, "API_TOKEN"); err != nil {
		t.Fatal(err)
	}
	check(run(`"log"`), 5, token)
}

// TestSecretsHostileReader: a script that reads every secret its tenant
// has, more than a VM may hold, gets QUOTA_EXCEEDED past the cap; what it
// read is still redacted from its record, and its VM is not run again (the
// next run's module state is fresh), so the set does not grow from one run
// to the next.
func TestSecretsHostileReader(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if _, err := c.SecretPut(ctx, tenant.ID, fmt.Sprintf("S%d", i), fmt.Sprintf("value-%d-of-many", i)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "hoard", Type: kilntype.TypeManual, Language: "javascript",
		Source: `let runs = 0;
export default async () => {
	runs++;
	const got = [];
	try {
		for (let i = 0; i < ` + fmt.Sprint(n) + `; i++) got.push(await iota.secrets.get('S' + i));
	} catch (e) {
		console.log(got.join(','));
		return { runs, read: got.length, code: e.code };
	}
	return { runs, read: got.length };
}`})
	if err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptID: s.ID, Trigger: kilntype.TriggerManual})
		if err != nil {
			t.Fatal(err)
		}
		e, err := c.ExecutionGet(ctx, tenant.ID, res.Execution.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"runs":1,"read":256,"code":"QUOTA_EXCEEDED"}`; string(e.Output) != want {
			t.Fatalf("run %d: output %s, want %s", run, e.Output, want)
		}
		if len(e.Logs) != 1 || strings.Contains(e.Logs[0].Message, "-of-many") {
			t.Fatalf("run %d: the log shows secrets: %+v", run, e.Logs)
		}
	}
}
