package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// secretsVM returns a VM whose script can read secrets through
// host.secret(name, value), which hands value over as iota.secrets.get
// does: recorded with HostCall.Secret first.
func secretsVM(t *testing.T, src string) *VM {
	t.Helper()
	e := setup(t, Config{Modules: []Module{{Name: "host", Funcs: []HostFunc{
		{Name: "host.secret", Async: true, Fn: func(_ context.Context, call HostCall) (any, error) {
			name, value := call.Args[0].(string), call.Args[1].(string)
			if err := call.Secret(name, value); err != nil {
				return nil, err
			}
			return value, nil
		}},
	}}}})
	ctx := context.Background()
	p, err := e.Compile(ctx, Source{Name: "secrets.js", Code: src})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := e.NewVM(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// TestSecretsOutliveTheRun: a secret read in one invocation is in the
// Secrets of every later invocation of the VM, which is what lets the
// host redact a value the script kept in a module-level variable.
func TestSecretsOutliveTheRun(t *testing.T) {
	t.Parallel()
	vm := secretsVM(t, `let kept;
	export default async (input) => {
		if (input.read) kept = await host.secret('TOKEN', input.read);
		console.log('kept ' + kept);
		return kept;
	}`)
	ctx := context.Background()
	invoke := func(input string) *Result {
		res := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(input)})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res
	}
	invoke(`{"read":"first-value-123"}`)
	later := invoke(`{}`)
	if later.Secrets.Len() != 1 || later.Secrets.Redact(later.Logs[0].Message) != "kept [REDACTED:TOKEN]" {
		t.Fatalf("a later run's Secrets: %d values, log %q", later.Secrets.Len(), later.Secrets.Redact(later.Logs[0].Message))
	}
	// Rotated: the VM holds both values, the old one for good.
	invoke(`{"read":"second-value-456"}`)
	last := invoke(`{}`)
	if got := last.Secrets.Redact("first-value-123 second-value-456"); got != "[REDACTED:TOKEN] [REDACTED:TOKEN]" {
		t.Errorf("after rotation: %q", got)
	}
	if !vm.Usable() {
		t.Error("a VM holding two secrets was retired")
	}
}

// TestSecretsCapped: a script that reads secret after secret cannot grow
// its VM's set past the cap: the read past it is QUOTA_EXCEEDED and its
// value never reaches the script, and the VM, full, is not run again.
// Reading one secret many times holds it once.
func TestSecretsCapped(t *testing.T) {
	t.Parallel()
	vm := secretsVM(t, `export default async (input) => {
		for (let i = 0; i < input.times; i++) await host.secret('SAME', 'the-same-value');
		const got = [];
		try {
			for (let i = 0; i < input.distinct; i++) got.push(await host.secret('S' + i, 'value-' + i + '-end'));
		} catch (e) {
			return { read: got.length, code: e.code, message: e.message, last: got[got.length - 1] };
		}
		return { read: got.length };
	}`)
	ctx := context.Background()
	res := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(`{"times":2000,"distinct":0}`)})
	if res.Err != nil || res.Secrets.Len() != 1 || !vm.Usable() {
		t.Fatalf("one secret read 2,000 times: %v, %d values held", res.Err, res.Secrets.Len())
	}
	res = vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(`{"times":0,"distinct":1000}`)})
	var out struct {
		Read          int
		Code, Message string
	}
	if res.Err != nil || json.Unmarshal(res.Value, &out) != nil {
		t.Fatalf("%v %s", res.Err, res.Value)
	}
	if out.Read != maxSecretValues-1 || out.Code != "QUOTA_EXCEEDED" || !strings.Contains(out.Message, "host.secret: this run's VM already holds 256 secret values") {
		t.Errorf("reading 1,000 secrets: %+v", out)
	}
	if res.Secrets.Len() != maxSecretValues || strings.Contains(res.Secrets.Redact(fmt.Sprint("value-", maxSecretValues-1, "-end")), "REDACTED") {
		t.Errorf("the set holds %d values", res.Secrets.Len())
	}
	if vm.Usable() {
		t.Error("a VM holding the most secret values it may is still usable")
	}
}

// TestSecretsBytesCapped: the cap on bytes, with large values.
func TestSecretsBytesCapped(t *testing.T) {
	t.Parallel()
	vm := secretsVM(t, `export default async () => {
		let n = 0;
		try {
			for (;;) { await host.secret('BIG', String(n).padEnd(64 * 1024, '.')); n++; }
		} catch (e) {
			return [n, e.code];
		}
	}`)
	res := vm.Invoke(context.Background(), InvokeParams{})
	if res.Err != nil || string(res.Value) != `[4,"QUOTA_EXCEEDED"]` || res.Secrets.Size() != maxSecretBytes {
		t.Fatalf("%v %s, %d bytes held", res.Err, res.Value, res.Secrets.Size())
	}
}

// TestSecretsRetire: a VM past half the caps is retired after its run,
// so that rotations over a long life never reach them.
func TestSecretsRetire(t *testing.T) {
	t.Parallel()
	vm := secretsVM(t, `export default async (n) => {
		for (let i = 0; i < n; i++) await host.secret('S', 'rotated-value-' + i);
	}`)
	ctx := context.Background()
	res := vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(fmt.Sprint(retireSecretValues))})
	if res.Err != nil || !vm.Usable() {
		t.Fatalf("at half the cap: %v, usable %v", res.Err, vm.Usable())
	}
	res = vm.Invoke(ctx, InvokeParams{Input: json.RawMessage(fmt.Sprint(retireSecretValues + 1))})
	if res.Err != nil || vm.Usable() {
		t.Fatalf("past half the cap: %v, usable %v", res.Err, vm.Usable())
	}
}
