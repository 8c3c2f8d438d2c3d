package engine

import (
	"context"
	"testing"
	"time"
)

func TestHostCallLog(t *testing.T) {
	t.Parallel()
	logged, release := make(chan bool, 1), make(chan struct{})
	e := setup(t, Config{MaxLogBytes: 64, Modules: []Module{{Name: "test", Funcs: []HostFunc{
		{Name: "test.log", Fn: func(_ context.Context, c HostCall) (any, error) {
			fields, _ := c.Args[1].(map[string]any)
			return c.Log(LevelWarn, c.Args[0].(string), fields), nil
		}},
		{Name: "test.late", Async: true, Fn: func(_ context.Context, c HostCall) (any, error) {
			<-release // outlive the invocation, which times out waiting
			logged <- c.Log(LevelInfo, "too late", nil)
			return nil, nil
		}},
	}}}})
	res := runSource(t, e, "main.js", `export default async () => {
		console.log("first");
		globalThis.kept = [test.log("from go", {n: 1}), test.log("x".repeat(50), null)];
		console.log(JSON.stringify(kept));
		await test.late();
	}`, nil, InvokeParams{Timeout: time.Second}) // always reached, waiting on test.late; 1 s leaves a loaded machine time to log first
	close(release)
	if res.Err == nil || res.Err.Code != CodeTimeout {
		t.Fatalf("got %v, want the timeout", res.Err)
	}
	// "first", then 7 + len(`{"n":1}`) = 19 bytes fit in 64; 50 more do
	// not, and the log is marked truncated.
	if !res.LogsTruncated || len(res.Logs) != 3 || res.Logs[2].Message != "[true,false]" {
		t.Fatalf("logs %+v, truncated %v", res.Logs, res.LogsTruncated)
	}
	if res.Logs[1].Message != "from go" || res.Logs[1].Level != LevelWarn ||
		res.Logs[1].Fields["n"] != 1.0 || res.Logs[1].Source != "console" || res.Logs[1].Time.IsZero() {
		t.Fatalf("logs %+v", res.Logs)
	}
	if <-logged {
		t.Error("a host call that outlived its invocation could still log")
	}
	if (HostCall{}).Log(LevelInfo, "x", nil) {
		t.Error("a HostCall built by hand logged")
	}
}
