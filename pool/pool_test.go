package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kiln-run/kiln/engine"
)

func setup(t *testing.T, cfg Config) (*Pool, *engine.Engine) {
	t.Helper()
	e, err := engine.New(engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(e, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(); _ = e.Close() })
	return p, e
}

func compiler(e *engine.Engine, src string) func(context.Context) (*engine.Program, error) {
	return func(ctx context.Context) (*engine.Program, error) {
		return e.Compile(ctx, engine.Source{Name: "s.js", Code: src})
	}
}

// TestNoStateLeaks: a VM serves only its key. Tenant A's script writes a
// global; tenant B (and A's other script) never read it, under concurrency.
func TestNoStateLeaks(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 8, MaxConcurrent: 4})
	writer := compiler(e, `export default (input) => { const seen = globalThis.secret; globalThis.secret = input; return seen ?? null; }`)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 200 {
		for _, key := range []Key{{"a", "s1", 1}, {"b", "s1", 1}, {"a", "s2", 1}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				secret := fmt.Sprintf("%s/%s/%d", key.Tenant, key.Script, i)
				res, err := p.Run(context.Background(), Job{Key: key, Compile: writer, Params: engine.InvokeParams{Input: json.RawMessage(fmt.Sprintf("%q", secret))}})
				if err != nil {
					errs <- err
					return
				}
				var seen *string
				_ = json.Unmarshal(res.Value, &seen)
				if seen != nil && (len(*seen) < len(key.Tenant+key.Script) || (*seen)[:len(key.Tenant)+1+len(key.Script)] != key.Tenant+"/"+key.Script) {
					errs <- fmt.Errorf("%v read %q", key, *seen)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s := p.Stats(); s.Live > 8 || s.Hits == 0 {
		t.Fatalf("pool stats %+v: want at most 8 live VMs and reuse", s)
	}
}

// TestFairness: with one slot, tenant B's single execution waits behind at
// most one of tenant A's many queued executions.
func TestFairness(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 4, MaxConcurrent: 1, TenantConcurrent: 1, MaxWait: time.Minute})
	slow := compiler(e, `export default () => new Promise((r) => setTimeout(r, 20))`)
	var mu sync.Mutex
	var order []string
	run := func(tenant string, i int) {
		if _, err := p.Run(context.Background(), Job{Key: Key{tenant, "s", 1}, Compile: slow, Params: engine.InvokeParams{}}); err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, fmt.Sprintf("%s%d", tenant, i))
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); run("a", i) }()
	}
	for p.Stats().Waiting < 9 {
		time.Sleep(time.Millisecond)
	}
	wg.Add(1)
	go func() { defer wg.Done(); run("b", 0) }()
	wg.Wait()
	pos := -1
	for i, o := range order {
		if o == "b0" {
			pos = i
		}
	}
	// Finished before b0: the running one, plus at most one more A.
	if pos > 2 {
		t.Fatalf("tenant b waited behind %d executions of tenant a: %v", pos, order)
	}
}

// TestOverloaded: past the queue limit an execution is refused at once, and
// past MaxWait a waiting one is refused. MaxWait is long enough that the
// waiting execution is still queued when the third one asks, however slow
// the machine, and hold outlasts MaxWait.
func TestOverloaded(t *testing.T) {
	const maxWait = time.Second
	p, e := setup(t, Config{MaxVMs: 2, MaxConcurrent: 1, TenantConcurrent: 1, QueueLimit: 1, MaxWait: maxWait})
	hold := compiler(e, `export default () => new Promise((r) => setTimeout(r, 3000))`)
	go func() {
		_, _ = p.Run(context.Background(), Job{Key: Key{"a", "s", 1}, Compile: hold, Params: engine.InvokeParams{}})
	}()
	for p.Stats().Busy < 1 {
		time.Sleep(time.Millisecond)
	}
	waitErr := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), Job{Key: Key{"b", "s", 1}, Compile: hold, Params: engine.InvokeParams{}})
		waitErr <- err
	}()
	for p.Stats().Waiting < 1 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, err := p.Run(context.Background(), Job{Key: Key{"c", "s", 1}, Compile: hold, Params: engine.InvokeParams{}}); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("past the queue limit: want ErrOverloaded, got %v", err)
	}
	// Immediate: well before the MaxWait that a queued execution would
	// wait out.
	if d := time.Since(start); d > maxWait/2 {
		t.Fatalf("a refusal past the queue limit must be immediate, took %s", d)
	}
	if err := <-waitErr; !errors.Is(err, ErrOverloaded) {
		t.Fatalf("past MaxWait: want ErrOverloaded, got %v", err)
	}
	if s := p.Stats(); s.Refusals != 2 {
		t.Fatalf("want 2 refusals, got %+v", s)
	}
}

// TestTenantQuota: one tenant never holds more than its concurrent quota.
func TestTenantQuota(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 8, MaxConcurrent: 4, TenantConcurrent: 2, MaxWait: time.Minute})
	var mu sync.Mutex
	peak := 0
	probe := compiler(e, `export default () => new Promise((r) => setTimeout(r, 10))`)
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = p.Run(context.Background(), Job{Key: Key{"a", "s", 1}, Compile: probe, Params: engine.InvokeParams{}})
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		select {
		case <-done:
			if peak > 2 {
				t.Fatalf("tenant ran %d at once, quota 2", peak)
			}
			return
		default:
			mu.Lock()
			if b := p.Stats().Busy; b > peak {
				peak = b
			}
			mu.Unlock()
			time.Sleep(500 * time.Microsecond)
		}
	}
}

// TestRetireAndEviction: a new version retires the old version's VMs, and
// the live-VM cap evicts the least recently used idle VM.
func TestRetireAndEviction(t *testing.T) {
	p, e := setup(t, Config{MaxVMs: 2, MaxConcurrent: 1, TenantVMs: 2})
	src := compiler(e, `export default () => 1`)
	for _, k := range []Key{{"a", "s", 1}, {"a", "t", 1}} {
		if _, err := p.Run(context.Background(), Job{Key: k, Compile: src, Params: engine.InvokeParams{}}); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Idle != 2 {
		t.Fatalf("want 2 idle VMs, got %+v", s)
	}
	p.Retire("a", "s", 2)
	if s := p.Stats(); s.Idle != 1 || s.Live != 1 {
		t.Fatalf("retiring version 1 must drop its VM: %+v", s)
	}
	for _, k := range []Key{{"a", "s", 2}, {"b", "s", 1}} {
		if _, err := p.Run(context.Background(), Job{Key: k, Compile: src, Params: engine.InvokeParams{}}); err != nil {
			t.Fatal(err)
		}
	}
	if s := p.Stats(); s.Live != 2 || s.Evictions < 2 {
		t.Fatalf("the cap of 2 live VMs must evict: %+v", s)
	}
}
