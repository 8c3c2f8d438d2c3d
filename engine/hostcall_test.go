package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testModules is a small host API: sync and async calls, typed errors, a Go
// error that must not leak, and a call that outlives its invocation.
func testModules(seen chan<- HostCall) []Module {
	return []Module{{Name: "test", Funcs: []HostFunc{
		{Name: "host.echo", Fn: func(ctx context.Context, c HostCall) (any, error) {
			seen <- c
			return map[string]any{"args": c.Args, "tenant": c.Meta.TenantID}, nil
		}},
		{Name: "host.later", Async: true, Fn: func(ctx context.Context, c HostCall) (any, error) {
			select {
			case <-time.After(time.Duration(c.Args[0].(float64)) * time.Millisecond):
				return "later:" + c.Meta.ExecutionID, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}},
		{Name: "host.notFound", Async: true, Fn: func(ctx context.Context, c HostCall) (any, error) {
			return nil, Errorf("NOT_FOUND", "no user %v in this tenant", c.Args[0])
		}},
		{Name: "host.broken", Fn: func(ctx context.Context, c HostCall) (any, error) {
			return nil, errors.New("pq: connection refused at 10.0.0.5:5432 /srv/secret/path")
		}},
	}}}
}

func TestHostCalls(t *testing.T) {
	seen := make(chan HostCall, 16)
	e := setup(t, Config{Modules: testModules(seen)})
	meta := Meta{TenantID: "acme", ExecutionID: "ex-1", Trigger: "manual"}
	tests := []struct {
		name, src, want, wantErr, msgHas string
		calls                            int
	}{
		{name: "sync call with converted args",
			src:  `export default () => host.echo(1, "two", [true, null], { nested: { x: 1.5 } })`,
			want: `{"args":[1,"two",[true,null],{"nested":{"x":1.5}}],"tenant":"acme"}`, calls: 1},
		{name: "async call resolves on the loop",
			src:  `export default async () => [await host.later(5), await host.later(1)]`,
			want: `["later:ex-1","later:ex-1"]`, calls: 2},
		{name: "concurrent async calls",
			src:  `export default async () => (await Promise.all([host.later(20), host.later(10), host.later(1)])).length`,
			want: `3`, calls: 3},
		{name: "SDK error has a stable code the script can read",
			src:  `export default async () => { try { await host.notFound(7) } catch (e) { return [e instanceof Error, e.code, e.message] } }`,
			want: `[true,"NOT_FOUND","no user 7 in this tenant"]`, calls: 1},
		{name: "uncaught SDK error keeps its code",
			src: `export default async () => { await host.notFound(8) }`, wantErr: "NOT_FOUND", msgHas: "no user 8", calls: 1},
		{name: "Go error details never reach the script",
			src:  `export default () => { try { host.broken() } catch (e) { return [e.code, e.message] } }`,
			want: `["INTERNAL","the call failed inside Kiln; the error was logged for the operator"]`, calls: 1},
		{name: "functions cannot be passed",
			src: `export default () => host.echo(() => 1)`, wantErr: "INVALID_ARGUMENT", msgHas: "host.echo: argument 1: a function cannot be passed"},
		{name: "pending call at timeout is abandoned safely",
			src: `export default () => host.later(10000)`, wantErr: "TIMEOUT", calls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// 300 ms for the case that waits out its timeout; the others
			// end on their own, and a loaded machine may need long.
			timeout := 10 * time.Second
			if tt.wantErr == "TIMEOUT" {
				timeout = 300 * time.Millisecond
			}
			res := runSource(t, e, "host.js", tt.src, nil, InvokeParams{Meta: meta, Timeout: timeout})
			if tt.wantErr != "" {
				if res.Err == nil || string(res.Err.Code) != tt.wantErr || !strings.Contains(res.Err.Message, tt.msgHas) {
					t.Fatalf("want %s containing %q, got %+v", tt.wantErr, tt.msgHas, res.Err)
				}
			} else if res.Err != nil || string(res.Value) != tt.want {
				t.Fatalf("got %s %v, want %s", res.Value, res.Err, tt.want)
			}
			if len(res.HostCalls) != tt.calls || res.Metrics.HostCalls != tt.calls {
				t.Fatalf("recorded %d calls (%+v), want %d", len(res.HostCalls), res.HostCalls, tt.calls)
			}
			for _, c := range res.HostCalls {
				if !strings.HasPrefix(c.Name, "host.") {
					t.Errorf("bad record %+v", c)
				}
			}
		})
	}
	close(seen)
	for c := range seen {
		if c.Meta.TenantID != "acme" || c.Name != "host.echo" {
			t.Errorf("host function saw %+v", c)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	fn := func(context.Context, HostCall) (any, error) { return nil, nil }
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", Config{}, ""},
		{"tiny timeout", Config{Timeout: time.Microsecond}, "too short"},
		{"tiny memory", Config{MemoryLimit: 1024}, "too small"},
		{"undotted name", Config{Modules: []Module{{Funcs: []HostFunc{{Name: "query", Fn: fn}}}}}, "dotted path"},
		{"missing fn", Config{Modules: []Module{{Funcs: []HostFunc{{Name: "a.b"}}}}}, "no Fn"},
		{"duplicate", Config{Modules: []Module{{Funcs: []HostFunc{{Name: "a.b", Fn: fn}, {Name: "a.b", Fn: fn}}}}}, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.WithDefaults().Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestOnHostCall: the hook sees every call, before the guard, with the
// invocation's meta; the context it returns is the host function's; its
// end function gets each call's code, a refusal by the guard included.
func TestOnHostCall(t *testing.T) {
	type key struct{}
	type ended struct {
		name string
		code Code
	}
	var mu sync.Mutex
	var got []ended
	cfg := Config{
		Modules: []Module{{Name: "test", Funcs: []HostFunc{
			{Name: "host.ctx", Async: true, Fn: func(ctx context.Context, c HostCall) (any, error) {
				return ctx.Value(key{}), nil
			}},
			{Name: "host.notFound", Fn: func(ctx context.Context, c HostCall) (any, error) {
				return nil, Errorf("NOT_FOUND", "nothing")
			}},
			{Name: "host.refused", Fn: func(ctx context.Context, c HostCall) (any, error) { return nil, nil }},
		}}},
		OnHostCall: func(ctx context.Context, meta Meta, name string) (context.Context, func(Code)) {
			if meta.ExecutionID != "ex-hook" {
				t.Errorf("hook saw meta %+v", meta)
			}
			return context.WithValue(ctx, key{}, "from the hook: "+name), func(code Code) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, ended{name, code})
			}
		},
		HostCallGuard: func(ctx context.Context, meta Meta, name string) error {
			if ctx.Value(key{}) == nil {
				t.Errorf("the guard did not get the hook's context for %s", name)
			}
			if name == "host.refused" {
				return Errorf("RATE_LIMITED", "too many")
			}
			return nil
		},
	}
	e := setup(t, cfg)
	src := `export default async () => {
		const v = await host.ctx();
		try { host.notFound() } catch (e) {}
		try { host.refused() } catch (e) {}
		return v;
	}`
	res := runSource(t, e, "hook.js", src, nil, InvokeParams{Meta: Meta{TenantID: "acme", ExecutionID: "ex-hook"}})
	if res.Err != nil || string(res.Value) != `"from the hook: host.ctx"` {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
	want := []ended{{"host.ctx", ""}, {"host.notFound", "NOT_FOUND"}, {"host.refused", "RATE_LIMITED"}}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("ended %v, want %v", got, want)
	}
}
