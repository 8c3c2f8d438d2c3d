package kiln

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiln-run/kiln/internal/pgtest"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// BenchmarkTaskResume measures resuming a hibernated task whose journal
// holds about 1,000 or 10,000 entries, on SQLite and PostgreSQL: from
// Send until the task, replayed and past its receive, has journaled the
// event and hibernated again (so an upper bound of "event sent → script
// past its receive"). It reports the median and the 99th percentile.
func BenchmarkTaskResume(b *testing.B) {
	for _, st := range taskStores {
		for _, entries := range []int{1000, 10_000} {
			for _, cache := range []string{"cold", "warm"} {
				b.Run(fmt.Sprintf("%s/%d/%s", st.name, entries, cache), func(b *testing.B) { benchmarkTaskResume(b, st.db(b), entries, cache == "warm") })
			}
		}
	}
}

// benchmarkTaskResume resumes from the store alone (cold: the journal
// cache off) or with the journal of the task's last sleep in memory
// (warm: Tasks.JournalCacheBytes, a task woken soon after it slept).
func benchmarkTaskResume(b *testing.B, db string, entries int, warm bool) {
	ctx := context.Background()
	c := newTestClient(b, func(cfg *Config) {
		if !warm {
			cfg.Tasks.JournalCacheBytes = -1
		}
		cfg.DB = db
		cfg.Tasks.HibernateAfter = time.Millisecond
		cfg.Tasks.PollInterval = time.Millisecond
	})
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "long", Type: kilntype.TypeTask, Source: `export default async (p) => {
		let s = 0;
		for (let i = 0; i < p.n; i++) s += Math.random();
		for (;;) { const e = await iota.tasks.receive(); if (e.type === 'stop') return s > 0; }
	}`}); err != nil {
		b.Fatal(err)
	}
	task, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "long", Params: json.RawMessage(fmt.Sprintf(`{"n":%d}`, entries))})
	if err != nil {
		b.Fatal(err)
	}
	wait := func(n int64) {
		for {
			t, err := c.Task(ctx, tenant.ID, task.ID)
			if err != nil {
				b.Fatal(err)
			}
			if t.State == kilntype.TaskFailed {
				b.Fatalf("task failed: %+v", t.Error)
			}
			if t.State == kilntype.TaskHibernated && t.JournalLen >= n {
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	wait(int64(entries))
	t0, _ := c.Task(ctx, tenant.ID, task.ID)
	n := t0.JournalLen
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := c.Send(ctx, tenant.ID, task.ID, "ping", nil); err != nil {
			b.Fatal(err)
		}
		n++
		wait(n)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(n), "journal")
}

// benchEnv reads a positive integer setting of a scale benchmark from the
// environment, or def.
func benchEnv(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

// benchDB is the Config.DB of a scale benchmark: SQLite unless
// KILN_BENCH_STORE=postgres.
func benchDB(b *testing.B) string {
	if os.Getenv("KILN_BENCH_STORE") == "postgres" {
		return pgtest.URL(b)
	}
	return ""
}

// memory is the process's memory at one moment, after a GC.
type memory struct {
	heap, rss  uint64 // live Go heap, resident set
	goroutines int
}

func readMemory(b *testing.B) memory {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{heap: ms.HeapAlloc, rss: procStatus(b, "VmRSS"), goroutines: runtime.NumGoroutine()}
}

// procStatus returns a /proc/self/status field in bytes (0 where there is
// no /proc).
func procStatus(b *testing.B, field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("%s: %v", field, err)
			}
			return kb << 10
		}
	}
	return 0
}

// percentile returns the p-th percentile (0..100) of sorted ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, len(ds)*p/100)]
}

// spawnAll spawns n tasks of script from workers goroutines, params(i)
// giving the i-th task's params, and returns the time it took.
func spawnAll(b *testing.B, c *Client, tenantID, script string, n, workers int, params func(i int) json.RawMessage) time.Duration {
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if _, err := c.Spawn(context.Background(), SpawnParams{TenantID: tenantID, ScriptName: script, Params: params(i)}); err != nil {
					errs <- fmt.Errorf("spawn %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// countTasks counts a tenant's tasks in state.
func countTasks(b *testing.B, c *Client, tenantID string, state kilntype.TaskState) int {
	n, cursor := 0, ""
	for {
		page, next, err := c.Tasks(context.Background(), store.TaskListParams{TenantID: tenantID, State: state, Limit: 200, Cursor: cursor})
		if err != nil {
			b.Fatal(err)
		}
		n += len(page)
		if next == "" {
			return n
		}
		cursor = next
	}
}

// residentTasks is how many tasks have a VM on this node.
func residentTasks(c *Client) int {
	c.tasks.mu.Lock()
	defer c.tasks.mu.Unlock()
	return len(c.tasks.resident)
}

// lateness records, per task, how late its receive's timeout returned:
// the script calls iota.host.done(at) right after it, at being the
// deadline in Unix milliseconds.
type lateness struct {
	mu   sync.Mutex
	late []time.Duration
	done chan struct{} // closed when want are recorded
	want int
}

func (l *lateness) reset(want int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.late, l.want, l.done = nil, want, make(chan struct{})
}

func (l *lateness) hostFunc() HostFunc {
	return HostFunc{Name: "done", Fn: func(_ context.Context, _ string, args []any) (any, error) {
		now := time.Now()
		at, _ := args[0].(float64)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.late = append(l.late, now.Sub(time.UnixMilli(int64(at))))
		if len(l.late) == l.want {
			close(l.done)
		}
		return nil, nil
	}}
}

// sleeperScript waits for its receive to time out at params.at (Unix
// ms), then reports.
const sleeperScript = `export default async (p) => {
  const wait = Math.max(0, p.at - Date.now()) / 1000;
  const e = await iota.tasks.receive({ timeout: wait });
  await iota.host.done(p.at);
  return e === null;
}`

// BenchmarkTaskHibernated measures what a hibernated task with a pending
// timer costs the server, and how late the timers fire. It spawns
// KILN_BENCH_TASKS tasks (default 1,000) from KILN_BENCH_SPAWNERS
// goroutines (default 4); each waits on a receive whose deadline falls in
// a window of KILN_BENCH_TASKS_SPREAD seconds (default 5) that opens once
// all have been spawned and hibernated (the window's start is estimated
// from a warm-up of 200 tasks). It reports the Go heap and RSS per
// hibernated task (after a GC, against the same process before the
// spawn), the spawn rate, and the timers' lateness (p50, p99, max) and
// completion rate. KILN_BENCH_STORE=postgres runs it on PostgreSQL.
// Run it once: -benchtime 1x.
func BenchmarkTaskHibernated(b *testing.B) {
	n := benchEnv(b, "KILN_BENCH_TASKS", 1000)
	workers := benchEnv(b, "KILN_BENCH_SPAWNERS", 4)
	spread := time.Duration(benchEnv(b, "KILN_BENCH_TASKS_SPREAD", 5)) * time.Second
	ctx := context.Background()
	var rec lateness
	c := newTestClient(b, func(cfg *Config) {
		cfg.DB = benchDB(b)
		cfg.Tasks.HibernateAfter = 20 * time.Millisecond
		cfg.Tasks.MaxLivePerTenant = n + 1000
		cfg.HostCallsPerMinute = 1 << 30
		cfg.HostFuncs = []HostFunc{rec.hostFunc()}
	})
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "sleepers", Name: "Sleepers"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: "sleeper", Type: kilntype.TypeTask, Source: sleeperScript}); err != nil {
		b.Fatal(err)
	}
	atParams := func(at time.Time) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"at":%d}`, at.UnixMilli())) }

	fresh := readMemory(b)
	// Warm-up: the spawn rate, and every code path run once.
	const warm = 200
	rec.reset(warm)
	warmAt := time.Now().Add(2 * time.Second)
	took := spawnAll(b, c, tenant.ID, "sleeper", warm, workers, func(int) json.RawMessage { return atParams(warmAt) })
	rate := float64(warm) / took.Seconds()
	<-rec.done
	for residentTasks(c) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	before := readMemory(b)

	lead := time.Duration(float64(n)/rate*float64(time.Second))*2 + 5*time.Second
	open := time.Now().Add(lead)
	b.Logf("goroutines %d before the warm-up, %d after", fresh.goroutines, before.goroutines)
	b.Logf("warm-up: %.0f spawns/s; deadlines from %s on, over %s", rate, lead.Round(time.Second), spread)
	rec.reset(n)
	b.ResetTimer()
	spawned := spawnAll(b, c, tenant.ID, "sleeper", n, workers, func(i int) json.RawMessage {
		return atParams(open.Add(spread * time.Duration(i) / time.Duration(n)))
	})
	for residentTasks(c) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	settled := time.Now()
	after := readMemory(b)
	hibernated := countTasks(b, c, tenant.ID, kilntype.TaskHibernated)
	if settled.After(open) {
		b.Logf("the window opened %s before every task had hibernated: lateness includes spawning", settled.Sub(open).Round(time.Millisecond))
	}
	b.Logf("%d spawned in %s (%.0f/s), all hibernated %s later; %d hibernated at the snapshot; peak RSS %d MiB",
		n, spawned.Round(time.Millisecond), float64(n)/spawned.Seconds(), settled.Sub(open.Add(-lead)).Round(time.Millisecond)-spawned.Round(time.Millisecond),
		hibernated, procStatus(b, "VmHWM")>>20)
	b.Logf("heap %d → %d MiB, RSS %d → %d MiB, goroutines %d → %d",
		before.heap>>20, after.heap>>20, before.rss>>20, after.rss>>20, before.goroutines, after.goroutines)
	<-rec.done
	b.StopTimer()
	b.Logf("all fired; peak RSS %d MiB", procStatus(b, "VmHWM")>>20)
	rec.mu.Lock()
	late := slices.Clone(rec.late)
	rec.mu.Unlock()
	slices.Sort(late)
	b.ReportMetric(float64(int64(after.heap)-int64(before.heap))/float64(n), "heap-B/task")
	b.ReportMetric(float64(int64(after.rss)-int64(before.rss))/float64(n), "rss-B/task")
	b.ReportMetric(float64(n)/spawned.Seconds(), "spawns/s")
	b.ReportMetric(percentile(late, 50).Seconds(), "late-p50-s")
	b.ReportMetric(percentile(late, 99).Seconds(), "late-p99-s")
	b.ReportMetric(late[len(late)-1].Seconds(), "late-max-s")
}

// The calls scenario: a caller task spawns a callee; they exchange ten
// events each, each side waiting 1–5 s (a receive that times out) before
// it answers; the caller reports the waits it and its callee made.
const (
	callerScript = `export default async () => {
  const start = Date.now();
  const peer = await iota.tasks.spawn('callee', null);
  let waited = 0;
  for (let i = 0; i < 10; i++) {
    await iota.tasks.send(peer, 'ping', i);
    const pong = await iota.tasks.receive({ types: ['pong'], timeout: 120 });
    if (!pong) throw new Error('no pong ' + i);
    waited += pong.payload;
    const w = 1 + 4 * Math.random();
    await iota.tasks.receive({ types: ['never'], timeout: w });
    waited += w;
  }
  await iota.host.done(start, waited);
  return waited;
}`
	calleeScript = `export default async () => {
  for (let i = 0; i < 10; i++) {
    const ping = await iota.tasks.receive({ types: ['ping'], timeout: 120 });
    if (!ping) throw new Error('no ping ' + i);
    const w = 1 + 4 * Math.random();
    await iota.tasks.receive({ types: ['never'], timeout: w });
    await iota.tasks.send(iota.tasks.parent(), 'pong', w);
  }
  return true;
}`
)

// BenchmarkTaskCalls runs KILN_BENCH_CALLS concurrent calls (default
// 1,000; spawned from KILN_BENCH_SPAWNERS goroutines, default 4) of the
// calls scenario, with Tasks.HibernateAfter KILN_BENCH_HIBERNATE_MS
// (default 5000, the server's default: the 1–5 s waits stay resident).
// It reports the events through inboxes per second (20 per call, over
// the time from the first spawn to the last call's end), each call's
// overhead (its duration less the 20 waits it made: p50, p99), and the
// peak RSS, Go heap and resident tasks (sampled every 250 ms). A call
// with no overhead lasts about 60 s. Run it once: -benchtime 1x.
func BenchmarkTaskCalls(b *testing.B) {
	n := benchEnv(b, "KILN_BENCH_CALLS", 1000)
	workers := benchEnv(b, "KILN_BENCH_SPAWNERS", 4)
	hibernate := time.Duration(benchEnv(b, "KILN_BENCH_HIBERNATE_MS", 5000)) * time.Millisecond
	ctx := context.Background()
	var mu sync.Mutex
	var overhead []time.Duration
	done := make(chan struct{})
	c := newTestClient(b, func(cfg *Config) {
		cfg.DB = benchDB(b)
		cfg.Tasks.HibernateAfter = hibernate
		cfg.Tasks.MaxLivePerTenant = 2*n + 100
		cfg.HostCallsPerMinute = 1 << 30
		cfg.HostFuncs = []HostFunc{{Name: "done", Fn: func(_ context.Context, _ string, args []any) (any, error) {
			now := time.Now()
			start, _ := args[0].(float64)
			waited, _ := args[1].(float64)
			mu.Lock()
			defer mu.Unlock()
			overhead = append(overhead, now.Sub(time.UnixMilli(int64(start)))-time.Duration(waited*float64(time.Second)))
			if len(overhead) == n {
				close(done)
			}
			return nil, nil
		}}}
	})
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "calls", Name: "Calls"})
	if err != nil {
		b.Fatal(err)
	}
	for name, src := range map[string]string{"caller": callerScript, "callee": calleeScript} {
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: name, Type: kilntype.TypeTask, Source: src}); err != nil {
			b.Fatal(err)
		}
	}
	var peakHeap uint64
	var peakResident int
	stopSampling := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapAlloc)
			peakResident = max(peakResident, residentTasks(c))
		}
	})
	b.ResetTimer()
	start := time.Now()
	spawned := spawnAll(b, c, tenant.ID, "caller", n, workers, func(int) json.RawMessage { return nil })
	select {
	case <-done:
	case <-time.After(30 * time.Minute):
		b.Fatalf("%d of %d calls ended in 30 minutes", len(overhead), n)
	}
	took := time.Since(start)
	b.StopTimer()
	close(stopSampling)
	sampling.Wait()
	mu.Lock()
	slices.Sort(overhead)
	mu.Unlock()
	failed := countTasks(b, c, tenant.ID, kilntype.TaskFailed)
	b.Logf("%d calls spawned in %s, all ended after %s; %d tasks failed; peak RSS %d MiB, peak heap %d MiB, peak resident tasks %d",
		n, spawned.Round(time.Millisecond), took.Round(time.Millisecond), failed, procStatus(b, "VmHWM")>>20, peakHeap>>20, peakResident)
	b.ReportMetric(float64(20*n)/took.Seconds(), "events/s")
	b.ReportMetric(percentile(overhead, 50).Seconds(), "overhead-p50-s")
	b.ReportMetric(percentile(overhead, 99).Seconds(), "overhead-p99-s")
	b.ReportMetric(float64(procStatus(b, "VmHWM")>>20), "peak-rss-MiB")
	b.ReportMetric(float64(peakHeap>>20), "peak-heap-MiB")
}

// BenchmarkTaskEffect measures what journaling costs an SDK call: a task
// and a plain execution each make n iota.cache.get calls in a row, and the
// difference of their times per call is the journal's overhead (each call
// is one durable step in the task: its issue and result entries in one
// append). Then k tasks at once make n calls each: journaled effects per
// second through the store's one writer (SQLite).
func BenchmarkTaskEffect(b *testing.B) {
	ctx := context.Background()
	c := newTestClient(b, func(cfg *Config) {
		cfg.DB = benchDB(b)
		cfg.Tasks.HibernateAfter = -1
		cfg.HostCallsPerMinute = 1 << 30
	})
	tenant, err := c.TenantCreate(ctx, TenantCreateParams{Slug: "bench", Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	src := `export default async (p) => { for (let i = 0; i < p.n; i++) await iota.cache.get('k'); return p.n; }`
	for _, s := range []struct {
		name string
		typ  kilntype.ScriptType
	}{{"gets-task", kilntype.TypeTask}, {"gets-plain", kilntype.TypeManual}} {
		if _, err := c.ScriptCreate(ctx, ScriptCreateParams{TenantID: tenant.ID, Name: s.name, Type: s.typ, Source: src}); err != nil {
			b.Fatal(err)
		}
	}
	const n = 500
	params := json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))
	runTask := func() {
		t, err := c.Spawn(ctx, SpawnParams{TenantID: tenant.ID, ScriptName: "gets-task", Params: params})
		if err != nil {
			b.Fatal(err)
		}
		for {
			got, err := c.Task(ctx, tenant.ID, t.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.State.Terminal() {
				if got.State != kilntype.TaskCompleted {
					b.Fatalf("task %s: %+v", got.State, got.Error)
				}
				return
			}
			time.Sleep(10 * time.Millisecond) // a wait, not a spin: polling competes with the tasks for the CPU
		}
	}
	runPlain := func() {
		res, err := c.Run(ctx, RunParams{TenantID: tenant.ID, ScriptName: "gets-plain", Trigger: kilntype.TriggerManual, Input: params})
		if err != nil || res.Execution.Status != kilntype.ExecCompleted {
			b.Fatalf("plain run: %v %+v", err, res)
		}
	}
	var taskTimes, plainTimes []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		runTask()
		taskTimes = append(taskTimes, time.Since(start)/n)
		start = time.Now()
		runPlain()
		plainTimes = append(plainTimes, time.Since(start)/n)
	}
	const k = 16
	start := time.Now()
	var wg sync.WaitGroup
	for range k {
		wg.Go(runTask)
	}
	wg.Wait()
	parallel := time.Since(start)
	b.StopTimer()
	task, plain := percentile(taskTimes, 50), percentile(plainTimes, 50)
	b.ReportMetric(float64(task.Microseconds()), "task-µs/effect")
	b.ReportMetric(float64(plain.Microseconds()), "plain-µs/call")
	b.ReportMetric(float64((task - plain).Microseconds()), "overhead-µs")
	b.ReportMetric(float64(k*n)/parallel.Seconds(), "effects/s")
}
