package kiln

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/pgtest"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// taskStores are the stores the task tests run on: each returns the
// Config.DB of a fresh database ("" is SQLite in DataDir; PostgreSQL is a
// fresh schema, skipped when PostgreSQL is not reachable outside CI).
var taskStores = []struct {
	name string
	db   func(tb testing.TB) string
}{
	{"sqlite", func(testing.TB) string { return "" }},
	{"postgres", func(tb testing.TB) string { return pgtest.URL(tb) }},
}

// onTaskStores runs f as a subtest per store, with that store's
// Config.DB.
func onTaskStores(t *testing.T, f func(t *testing.T, db string)) {
	for _, st := range taskStores {
		t.Run(st.name, func(t *testing.T) { f(t, st.db(t)) })
	}
}

// The seed scenario: an ingress task (async style) spawns an egress task
// (call-control style), bridges to it and forwards the caller's digits
// until the caller hangs up.
const ingressScript = `export default async function (params, ctx) {
  const peer = await iota.tasks.spawn('egress', { dest: params.to });
  await iota.tasks.send(peer, 'bridge', { from: iota.tasks.self() });
  const digits = [];
  for (;;) {
    const evt = await iota.tasks.receive({ timeout: 3600, types: ['digit', 'hangup'] });
    if (!evt || evt.type === 'hangup') break;
    digits.push(evt.payload);
    await iota.tasks.send(peer, 'digit', evt.payload);
  }
  await iota.tasks.send(peer, 'hangup', null);
  return { done: true, digits, trigger: ctx.trigger };
}`

const egressScript = `function Main(params) {
  var bridge = ReadInput(60);
  var got = [];
  while (true) {
    var evt = ReadInput(3600);
    if (evt === null || evt.type === 'hangup') break;
    got.push(evt.payload);
  }
  return { dest: params.dest, from: bridge.payload.from, parent: ParentTask(), self: ThisTask(), got: got };
}`

// taskTenant creates a tenant with the seed's two task scripts.
func taskTenant(t *testing.T, c *Client) *kilntype.Tenant {
	t.Helper()
	ctx := context.Background()
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "pbx", Name: "PBX"})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"ingress": ingressScript, "egress": egressScript} {
		lang := "typescript"
		if name == "egress" {
			lang = "javascript"
		}
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: name, Type: kilntype.TypeTask, Language: lang, Source: src}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	return tenant
}

// waitTask polls until the task is in one of states.
func waitTask(t *testing.T, c *Client, tenantID, id string, states ...kilntype.TaskState) *kilntype.Task {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		task, err := c.Task(context.Background(), tenantID, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if task.State == s {
				return task
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s is %s (error %+v), want %v", id, task.State, task.Error, states)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// children returns a task's children.
func children(t *testing.T, c *Client, tenantID, parent string) []kilntype.Task {
	t.Helper()
	kids, _, err := c.Tasks(context.Background(), store.TaskListParams{TenantID: tenantID, ParentID: parent})
	if err != nil {
		t.Fatal(err)
	}
	return kids
}

// TestTaskCall runs the seed call with hibernation between every event:
// both tasks sleep in the store between events, resume by replay, and
// finish with what was sent, each event received once.
func TestTaskCall(t *testing.T) {
	onTaskStores(t, func(t *testing.T, db string) {
		ctx := context.Background()
		c := newTestClient(t, func(cfg *Config) {
			cfg.DB = db
			cfg.Tasks.HibernateAfter = 10 * time.Millisecond
			cfg.Tasks.PollInterval = 5 * time.Millisecond
		})
		tenant := taskTenant(t, c)
		in, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "ingress", Params: json.RawMessage(`{"to":"+4930123"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if in.State != kilntype.TaskRunning || in.Version != 1 {
			t.Fatalf("spawned %+v", in)
		}
		waitTask(t, c, tenant.ID, in.ID, kilntype.TaskHibernated)
		kids := children(t, c, tenant.ID, in.ID)
		if len(kids) != 1 {
			t.Fatalf("children %+v", kids)
		}
		out := kids[0]
		for i := range 3 {
			if _, err := c.Send(ctx, tenant.ID, in.ID, "digit", json.RawMessage(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
			waitTask(t, c, tenant.ID, in.ID, kilntype.TaskHibernated)
			if i == 1 {
				// An event the ingress does not take stays queued.
				if _, err := c.Send(ctx, tenant.ID, in.ID, "noise", nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := c.Send(ctx, tenant.ID, in.ID, "hangup", nil); err != nil {
			t.Fatal(err)
		}
		done := waitTask(t, c, tenant.ID, in.ID, kilntype.TaskCompleted, kilntype.TaskFailed)
		if done.State != kilntype.TaskCompleted || string(done.Result) != `{"done":true,"digits":[0,1,2],"trigger":"task"}` {
			t.Fatalf("ingress ended %s: %s %+v", done.State, done.Result, done.Error)
		}
		if done.InboxDepth != 1 {
			t.Fatalf("the noise event must stay queued: inbox %d", done.InboxDepth)
		}
		eg := waitTask(t, c, tenant.ID, out.ID, kilntype.TaskCompleted, kilntype.TaskFailed)
		want := fmt.Sprintf(`{"dest":"+4930123","from":"%s","parent":"%s","self":"%s","got":[0,1,2]}`, in.ID, in.ID, out.ID)
		if eg.State != kilntype.TaskCompleted || string(eg.Result) != want {
			t.Fatalf("egress ended %s: %s %+v\nwant %s", eg.State, eg.Result, eg.Error, want)
		}
		journal, err := c.TaskJournal(ctx, tenant.ID, in.ID, 0, 1000)
		if err != nil || int64(len(journal)) != done.JournalLen {
			t.Fatalf("journal: %d entries (%v), task says %d", len(journal), err, done.JournalLen)
		}
		// Events after the end are refused.
		if _, err := c.Send(ctx, tenant.ID, in.ID, "digit", nil); kilntype.ErrorCode(err) != kilntype.EConflict {
			t.Fatalf("send to a completed task: %v", err)
		}

	})
}

// TestTaskSurvivesRestart stops the server while a call is mid-way (the
// tasks hibernate at shutdown) and starts another on the same data: the
// call goes on and ends as it would have.
func TestTaskSurvivesRestart(t *testing.T) {
	onTaskStores(t, func(t *testing.T, db string) {
		ctx := context.Background()
		dir := t.TempDir()
		open := func() *Client {
			c, err := New(Config{DataDir: dir, DB: db, ShutdownTimeout: 5 * time.Second, Tasks: TaskConfig{PollInterval: 5 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := open()
		tenant := taskTenant(t, c)
		in, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "ingress", Params: json.RawMessage(`{"to":"x"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(ctx, tenant.ID, in.ID, "digit", json.RawMessage(`7`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		c = open()
		defer func() { _ = c.Stop(ctx) }()
		if _, err := c.Send(ctx, tenant.ID, in.ID, "digit", json.RawMessage(`8`)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Send(ctx, tenant.ID, in.ID, "hangup", nil); err != nil {
			t.Fatal(err)
		}
		done := waitTask(t, c, tenant.ID, in.ID, kilntype.TaskCompleted, kilntype.TaskFailed)
		if string(done.Result) != `{"done":true,"digits":[7,8],"trigger":"task"}` {
			t.Fatalf("ingress ended %s: %s %+v", done.State, done.Result, done.Error)
		}
		kid := children(t, c, tenant.ID, in.ID)[0]
		eg := waitTask(t, c, tenant.ID, kid.ID, kilntype.TaskCompleted, kilntype.TaskFailed)
		if !strings.Contains(string(eg.Result), `"got":[7,8]`) {
			t.Fatalf("egress ended %s: %s %+v", eg.State, eg.Result, eg.Error)
		}

	})
}

// TestTaskReceiveTimeoutRace sends an event at the instant a receive
// times out, many times: each event is received exactly once, by this
// receive or the next.
func TestTaskReceiveTimeoutRace(t *testing.T) {
	onTaskStores(t, func(t *testing.T, db string) {
		ctx := context.Background()
		c := newTestClient(t, func(cfg *Config) { cfg.DB, cfg.Tasks.HibernateAfter = db, -1 })
		tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "race", Name: "Race"})
		if err != nil {
			t.Fatal(err)
		}
		const rounds = 40
		_, err = c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "racer", Type: kilntype.TypeTask, Source: `export default async () => {
			const got = [];
			let timeouts = 0;
			while (got.length < ` + fmt.Sprint(rounds) + `) {
				const ev = await iota.tasks.receive({ timeout: 0.005 });
				if (ev) got.push(ev.payload); else timeouts++;
			}
			return { got, timeouts };
		}`})
		if err != nil {
			t.Fatal(err)
		}
		task, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "racer"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range rounds {
			time.Sleep(5 * time.Millisecond)
			if _, err := c.Send(ctx, tenant.ID, task.ID, "n", json.RawMessage(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		done := waitTask(t, c, tenant.ID, task.ID, kilntype.TaskCompleted, kilntype.TaskFailed)
		var res struct {
			Got      []int
			Timeouts int
		}
		if err := json.Unmarshal(done.Result, &res); err != nil || len(res.Got) != rounds {
			t.Fatalf("result %s %+v", done.Result, done.Error)
		}
		for i, n := range res.Got {
			if n != i {
				t.Fatalf("events out of order, lost or twice: %v", res.Got)
			}
		}
		t.Logf("%d events, %d timeouts", rounds, res.Timeouts)

	})
}

// TestTaskRefusals: the Go core's errors for bad requests.
func TestTaskRefusals(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	tenant := taskTenant(t, c)
	other, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "other", Name: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "plain", Type: kilntype.TypeManual, Source: `export default () => 1`}); err != nil {
		t.Fatal(err)
	}
	in, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "ingress", Params: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want kilntype.Code
	}{
		{"not a task script", second(c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "plain"})), kilntype.EConflict},
		{"unknown script", second(c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "nope"})), kilntype.ENotFound},
		{"no script", second(c.Spawn(ctx, SpawnParams{TenantID: tenant.ID})), kilntype.EInvalidArgument},
		{"params not JSON", second(c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "ingress", Params: json.RawMessage(`{`)})), kilntype.EInvalidArgument},
		{"another tenant's task", second(c.Task(ctx, other.ID, in.ID)), kilntype.ENotFound},
		{"send to another tenant's task", second(c.Send(ctx, other.ID, in.ID, "digit", nil)), kilntype.ENotFound},
		{"empty event type", second(c.Send(ctx, tenant.ID, in.ID, "", nil)), kilntype.EInvalidArgument},
		{"payload too large", second(c.Send(ctx, tenant.ID, in.ID, "x", json.RawMessage(`"`+strings.Repeat("a", 300<<10)+`"`))), kilntype.EValueTooLarge},
		{"task trigger through Run", second(c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptName: "ingress", Trigger: kilntype.TriggerTask})), kilntype.EInvalidArgument},
	} {
		if kilntype.ErrorCode(tt.err) != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, tt.err, tt.want)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestExecutionJournalsKept: a failed execution keeps its journal, a
// completed one does not — unless its script sets limits.record or its
// tenant settings.recordExecutions; the journal holds what the run saw,
// secrets cut out.
func TestExecutionJournalsKept(t *testing.T) {
	ctx := context.Background()
	c := newTestClient(t)
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "rec", Name: "Rec"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SecretPut(ctx, tenant.ID, "TOKEN", "s3cr3t-value-42"); err != nil {
		t.Fatal(err)
	}
	src := `export default async (input) => {
		const tok = await iota.secrets.get('TOKEN');
		const n = await iota.cache.increment('n', 1, 60);
		if (input.fail) throw new Error('failed ' + n);
		return tok.length;
	}`
	for name, limits := range map[string]kilntype.Limits{"plain": {}, "recorded": {Record: true}} {
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: name, Type: kilntype.TypeManual, Source: src, Limits: limits}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(script, input string) string {
		res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptName: script, Trigger: kilntype.TriggerManual, Input: json.RawMessage(input)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Execution.ID
	}
	kept := func(id string) []kilntype.JournalEntry {
		j, err := c.ExecutionJournal(ctx, tenant.ID, id)
		if kilntype.ErrorCode(err) == kilntype.ENotFound {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	failed := kept(run("plain", `{"fail": true}`))
	if len(failed) != 4 || failed[1].Name != "iota.secrets.get" || strings.Contains(string(mustJSONTest(failed)), "s3cr3t") {
		t.Fatalf("a failed run's journal, secrets cut out: %s", mustJSONTest(failed))
	}
	if kept(run("plain", `{}`)) != nil {
		t.Fatal("a completed run of a plain script kept its journal")
	}
	if kept(run("recorded", `{}`)) == nil {
		t.Fatal("a completed run of a script with limits.record kept no journal")
	}
	settings := tenant.Settings
	settings.RecordExecutions = true
	if _, err := c.TenantUpdate(ctx, TenantUpdateParams{Slug: "rec", Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	if kept(run("plain", `{}`)) == nil {
		t.Fatal("a completed run of a tenant with recordExecutions kept no journal")
	}
}

func mustJSONTest(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
