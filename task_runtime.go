package kiln

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/kiln-run/kiln/engine"
	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// taskRuntime runs this node's durable tasks: each resident task has a VM
// of its own (engine.NewTaskVM) on a goroutine of its own; a task that
// waits long enough hibernates and its VM is dropped; the poller claims
// tasks whose timer or mail came due and resumes them by replay.
type taskRuntime struct {
	c    *Client
	node string // the owner ID this process claims tasks under

	ctx    context.Context // ends at shutdown
	cancel context.CancelFunc
	wg     sync.WaitGroup
	poke   chan struct{}
	// replays holds a slot for each task being resumed by replay: the
	// poller claims no more due tasks than there are free slots, so a
	// burst of timers queues in the store (where another node may take
	// them) instead of replaying on this one all at once.
	replays chan struct{}
	// appends queue the tasks' journal steps for the group committer,
	// which runs until commitStop closes (after the tasks have ended).
	appends    chan *appendReq
	commitStop chan struct{}
	commitDone chan struct{}

	journals *journalCache

	mu       sync.Mutex
	resident map[string]*engine.TaskHandle
	stopping bool
}

func newTaskRuntime(c *Client) *taskRuntime {
	ctx, cancel := context.WithCancel(context.Background())
	r := &taskRuntime{c: c, node: "node_" + kilntype.NewID(time.Now()), ctx: ctx, cancel: cancel,
		poke: make(chan struct{}, 1), resident: map[string]*engine.TaskHandle{},
		replays: make(chan struct{}, 4*runtime.GOMAXPROCS(0)), appends: make(chan *appendReq, 1024),
		commitStop: make(chan struct{}), commitDone: make(chan struct{}), journals: newJournalCache(c.cfg.Tasks.JournalCacheBytes)}
	go r.commitLoop()
	return r
}

// start resumes the tasks a previous process left running (this node is
// the only one: docs/tasks.md, "One node") and starts the poller.
func (r *taskRuntime) start(ctx context.Context) error {
	tenants, err := r.c.store.TenantList(ctx)
	if err != nil {
		return err
	}
	var orphans []kilntype.Task
	for _, tenant := range tenants {
		for _, state := range []kilntype.TaskState{kilntype.TaskRunning, kilntype.TaskWaiting} {
			cursor := ""
			for {
				page, next, err := r.c.store.TaskList(ctx, store.TaskListParams{TenantID: tenant.ID, State: state, Limit: 200, Cursor: cursor})
				if err != nil {
					return err
				}
				for _, t := range page {
					if t.Owner != r.node {
						orphans = append(orphans, t)
					}
				}
				if next == "" {
					break
				}
				cursor = next
			}
		}
	}
	// Resumed in the background, a replay slot at a time.
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		for _, t := range orphans {
			if !r.takeSlot() {
				return
			}
			claimed, err := r.c.store.TaskClaim(r.ctx, t.TenantID, t.ID, r.node)
			if err != nil {
				r.releaseSlot()
				if r.ctx.Err() == nil && kilntype.ErrorCode(err) != kilntype.EConflict {
					r.c.log.Warn("resume task", "task", t.ID, "err", err)
				}
				continue
			}
			r.launchReplay(claimed)
		}
	}()
	go r.pollLoop()
	return nil
}

// appendReq is a task's step waiting for the group committer.
type appendReq struct {
	p    store.TaskAppendParams
	done chan error
}

// maxBatch caps the appends one transaction writes.
const maxBatch = 256

// appendStep writes one task's step through the group committer: the
// steps of every task that arrive while a batch commits go together in
// the next transaction (store.TaskAppendBatch), so that many tasks'
// journaled effects cost one write where each would cost its own.
func (r *taskRuntime) appendStep(p store.TaskAppendParams) error {
	req := &appendReq{p: p, done: make(chan error, 1)}
	select {
	case r.appends <- req:
	case <-r.commitDone:
		return kilntype.Errorf(kilntype.EUnavailable, "the server has stopped")
	}
	return <-req.done
}

// commitLoop is the group committer: it takes what is queued, writes it
// as one batch, answers each step, and starts again.
func (r *taskRuntime) commitLoop() {
	defer close(r.commitDone)
	batch := make([]*appendReq, 0, maxBatch)
	ps := make([]store.TaskAppendParams, 0, maxBatch)
	for {
		var first *appendReq
		select {
		case first = <-r.appends:
		case <-r.commitStop:
			return
		}
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxBatch {
			select {
			case req := <-r.appends:
				batch = append(batch, req)
			default:
				break more
			}
		}
		ps = ps[:0]
		for _, req := range batch {
			ps = append(ps, req.p)
		}
		// Not r.ctx: a batch taken is written, even while stopping.
		res := r.c.store.TaskAppendBatch(context.Background(), ps)
		for i, req := range batch {
			req.done <- res[i].Err
		}
		clear(batch)
	}
}

// takeSlot waits for a replay slot; false at shutdown.
func (r *taskRuntime) takeSlot() bool {
	select {
	case r.replays <- struct{}{}:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *taskRuntime) releaseSlot() { <-r.replays }

// launchReplay launches a claimed task that holds a replay slot, and gives
// the slot back once its replay is done (or its run ends first).
func (r *taskRuntime) launchReplay(t *kilntype.Task) {
	var once sync.Once
	release := func() { once.Do(r.releaseSlot) }
	if !r.launchWith(t, release) {
		release()
	}
}

// stop hibernates the resident tasks that wait, stops the others (they
// resume by replay at the next start) and waits for their goroutines.
func (r *taskRuntime) stop(ctx context.Context) {
	r.mu.Lock()
	r.stopping = true
	handles := make([]*engine.TaskHandle, 0, len(r.resident))
	for _, h := range r.resident {
		handles = append(handles, h)
	}
	r.mu.Unlock()
	for _, h := range handles {
		h.Evict()
	}
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		r.cancel()
		r.stopCommits()
		return
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	r.mu.Lock()
	for _, h := range r.resident {
		h.Stop()
	}
	r.mu.Unlock()
	r.cancel()
	<-done
	r.stopCommits()
}

// stopCommits ends the group committer once no task can append.
func (r *taskRuntime) stopCommits() {
	select {
	case <-r.commitStop:
	default:
		close(r.commitStop)
	}
	<-r.commitDone
}

// launch runs t on this node, in the background.
func (r *taskRuntime) launch(t *kilntype.Task) { r.launchWith(t, nil) }

// launchWith is launch; replayed, if not nil, is called once the task's
// journal is replayed, or its first run ends. It reports whether the task
// was launched (not while stopping).
func (r *taskRuntime) launchWith(t *kilntype.Task, replayed func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t = r.activate(t, replayed)
		if replayed != nil {
			replayed()
		}
		for t != nil {
			t = r.activate(t, nil)
		}
	}()
	return true
}

// notify tells a resident task its inbox changed, or wakes the poller for
// a hibernated one (the store made it due).
func (r *taskRuntime) notify(taskID string) {
	r.mu.Lock()
	h := r.resident[taskID]
	r.mu.Unlock()
	if h != nil {
		h.Notify()
		return
	}
	r.wake()
}

func (r *taskRuntime) wake() {
	select {
	case r.poke <- struct{}{}:
	default:
	}
}

// pollLoop claims due tasks — timers that fired, hibernated tasks with
// mail — and resumes them.
func (r *taskRuntime) pollLoop() {
	defer r.wg.Done()
	tick := time.NewTicker(r.c.cfg.Tasks.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.c.bgStop:
			return
		case <-tick.C:
		case <-r.poke:
		}
		for {
			free := cap(r.replays) - len(r.replays)
			if free == 0 {
				break // the next tick or poke claims more
			}
			due, err := r.c.store.TasksDue(r.ctx, time.Now(), r.node, free)
			if err != nil {
				if r.ctx.Err() == nil {
					r.c.log.Warn("claim due tasks", "err", err)
				}
				break
			}
			for i := range due {
				r.replays <- struct{}{} // free, unless a retry took it meanwhile: then wait for one
				r.launchReplay(&due[i])
			}
			if len(due) < free {
				break
			}
		}
	}
}

// activate runs one life of a task's VM: load its pinned version and its
// journal, replay, go on live until the task ends, hibernates or is
// stopped. It returns the task to run next (continueAsNew) or nil.
func (r *taskRuntime) activate(t *kilntype.Task, replayed func()) *kilntype.Task {
	ctx := r.ctx
	s, err := r.c.store.ScriptGet(ctx, t.TenantID, t.ScriptID)
	if err != nil {
		r.retry(t, err)
		return nil
	}
	v, err := r.c.store.VersionGet(ctx, t.TenantID, t.ScriptID, t.Version)
	if err != nil {
		r.retry(t, err)
		return nil
	}
	journal, err := r.loadJournal(ctx, t)
	if err != nil {
		r.retry(t, err)
		return nil
	}
	host := &taskHost{r: r, task: t, epoch: t.Epoch, length: int64(len(journal)), entries: journal}
	prog, err := r.c.runner.compile(ctx, s, v.SourceCode)
	var vm *engine.VM
	var h *engine.TaskHandle
	if err == nil {
		vm, h, err = r.c.engine.NewTaskVM(ctx, prog, engine.Task{ID: t.ID, ParentID: t.ParentID, Host: host, Journal: journal,
			Started: t.CreatedAt, HibernateAfter: r.c.cfg.Tasks.HibernateAfter, ActivationTimeout: r.timeout(s),
			NewID: func() string { return kilntype.NewID(time.Now()) }, OnLive: replayed})
	}
	if err != nil {
		ee := &engine.Error{}
		if !errors.As(err, &ee) {
			ee = engine.Errorf(kilntype.EInternal, "the task could not start: %v", err)
		}
		if host.lost(ee) {
			return nil
		}
		r.end(host, kilntype.TaskFailed, nil, ee)
		return nil
	}
	if !r.register(t.ID, h) {
		return nil
	}
	limits := s.Limits
	res := h.Run(ctx, vm, t.Params, engine.Meta{TenantID: t.TenantID, ScriptID: t.ScriptID, Version: t.Version, ExecutionID: t.ID, Attempt: 1},
		effective(limits.MemoryBytes, r.c.cfg.MemoryBytes, r.c.cfg.MemoryBytes))
	r.unregister(t.ID)
	out := h.Outcome()
	host.length = out.JournalLen
	switch {
	case out.Lost != nil:
		if !errors.Is(out.Lost, store.ErrFenced) {
			r.retry(t, out.Lost)
		}
		return nil
	case out.Hibernated:
		_, err := r.c.store.TaskAppend(context.Background(), store.TaskAppendParams{TenantID: t.TenantID, TaskID: t.ID, Epoch: host.epoch,
			First: host.length, Update: &store.TaskUpdate{State: kilntype.TaskHibernated, WakeAt: out.WakeAt}})
		if err != nil && !errors.Is(err, store.ErrFenced) {
			r.retry(t, err)
		}
		if err == nil && int64(len(host.entries)) == host.length {
			r.journals.put(t.ID, t.Generation, host.entries)
		}
		return nil
	case out.ContinueAsNew != nil:
		next, err := r.c.store.TaskContinueAsNew(context.Background(), t.TenantID, t.ID, host.epoch, out.ContinueAsNew)
		if err != nil {
			if !errors.Is(err, store.ErrFenced) {
				r.retry(t, err)
			}
			return nil
		}
		return next
	case r.ctx.Err() != nil || (res.Err != nil && res.Err.Code == kilntype.ECancelled && r.isStopping()):
		return nil // shutdown: the task resumes by replay at the next start
	case res.Err != nil:
		r.end(host, kilntype.TaskFailed, nil, res.Err)
	default:
		r.end(host, kilntype.TaskCompleted, res.Value, nil)
	}
	return nil
}

// timeout is how long a task's script may run between waits.
func (r *taskRuntime) timeout(s *kilntype.Script) time.Duration {
	return time.Duration(effective(s.Limits.TimeoutMs, 0, r.c.cfg.Timeout.Milliseconds())) * time.Millisecond
}

func (r *taskRuntime) isStopping() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopping
}

func (r *taskRuntime) register(id string, h *engine.TaskHandle) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		h.Stop()
	}
	r.resident[id] = h
	return true
}

func (r *taskRuntime) unregister(id string) {
	r.mu.Lock()
	delete(r.resident, id)
	r.mu.Unlock()
}

// loadJournal reads the task's current journal whole: what the cache
// holds of it, then the rest from the store.
func (r *taskRuntime) loadJournal(ctx context.Context, t *kilntype.Task) ([]kilntype.JournalEntry, error) {
	cached := r.journals.get(t.ID, t.Generation)
	if int64(len(cached)) > t.JournalLen {
		cached = nil // cannot be: a journal only grows
	}
	if int64(len(cached)) == t.JournalLen {
		return cached, nil
	}
	all := make([]kilntype.JournalEntry, len(cached), t.JournalLen)
	copy(all, cached)
	for {
		page, err := r.c.store.TaskJournal(ctx, t.TenantID, t.ID, t.Generation, int64(len(all)), 1000)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < 1000 {
			return all, nil
		}
	}
}

// end writes a task's terminal state.
func (r *taskRuntime) end(h *taskHost, state kilntype.TaskState, result []byte, e *engine.Error) {
	r.journals.drop(h.task.ID)
	u := &store.TaskUpdate{State: state, Result: result}
	if e != nil {
		u.Error = &kilntype.ExecutionError{Code: e.Code, Message: e.Message, Position: e.Position, Stack: e.Stack}
	}
	_, err := r.c.store.TaskAppend(context.Background(), store.TaskAppendParams{TenantID: h.task.TenantID, TaskID: h.task.ID,
		Epoch: h.epoch, First: h.length, Update: u})
	if err != nil && !errors.Is(err, store.ErrFenced) && kilntype.ErrorCode(err) != kilntype.EConflict {
		r.retry(h.task, err)
	}
}

// retry resumes a task whose run failed outside its script (the store
// was down): claimed again after a pause, it replays from its last
// durable step.
func (r *taskRuntime) retry(t *kilntype.Task, err error) {
	r.c.log.Warn("task stopped outside its script; resuming it shortly", "task", t.ID, "err", err)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(time.Second):
		}
		if !r.takeSlot() {
			return
		}
		claimed, err := r.c.store.TaskClaim(r.ctx, t.TenantID, t.ID, r.node)
		if err != nil {
			r.releaseSlot()
			if kilntype.ErrorCode(err) != kilntype.EConflict && kilntype.ErrorCode(err) != kilntype.ENotFound {
				r.retry(t, err)
			}
			return
		}
		r.launchReplay(claimed)
	}()
}

// cancelAfter stops a task that has not ended grace after its cancel.
func (r *taskRuntime) cancelAfter(tenantID, id string, grace time.Duration) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(grace):
		}
		claimed, err := r.c.store.TaskClaim(r.ctx, tenantID, id, r.node)
		if err != nil {
			return // ended meanwhile, or gone
		}
		r.mu.Lock()
		h := r.resident[id]
		r.mu.Unlock()
		if h != nil {
			h.Stop() // its next write is fenced
		}
		_, _ = r.c.store.TaskAppend(r.ctx, store.TaskAppendParams{TenantID: tenantID, TaskID: id, Epoch: claimed.Epoch, First: claimed.JournalLen,
			Update: &store.TaskUpdate{State: kilntype.TaskCancelled,
				Error: &kilntype.ExecutionError{Code: kilntype.ECancelled, Message: "the task was cancelled and did not end within its grace period"}}})
	}()
}

// taskHost is a task's engine.TaskHost: its journal and inbox in the
// store, under its epoch.
type taskHost struct {
	r      *taskRuntime
	task   *kilntype.Task
	epoch  int64
	length int64 // the journal's durable length
	// entries are the journal as replayed and written since (for the
	// journal cache); they are never changed, only appended to.
	entries []kilntype.JournalEntry
}

// lost reports whether err means the task is no longer this node's.
func (h *taskHost) lost(err error) bool { return errors.Is(err, store.ErrFenced) }

func (h *taskHost) Append(ctx context.Context, step *engine.TaskStep) error {
	r, t := h.r, h.task
	cfg := r.c.cfg.Tasks
	p := store.TaskAppendParams{TenantID: t.TenantID, TaskID: t.ID, Epoch: h.epoch, First: h.length, Entries: step.Entries,
		Receive: step.Receive, MaxJournalEntries: cfg.MaxJournalEntries, MaxJournalBytes: cfg.MaxJournalBytes, MaxInboxDepth: cfg.MaxInboxDepth}
	for _, m := range step.Sends {
		if len(m.Payload) > cfg.MaxPayloadBytes {
			return &engine.TaskEffectError{Err: kilntype.Errorf(kilntype.EValueTooLarge, "the payload is %d bytes of JSON, more than the cap of %d", len(m.Payload), cfg.MaxPayloadBytes)}
		}
		p.Sends = append(p.Sends, store.TaskMessage{To: m.To, Type: m.Type, Payload: m.Payload})
	}
	for _, sp := range step.Spawns {
		if len(sp.Params) > cfg.MaxPayloadBytes {
			return &engine.TaskEffectError{Err: kilntype.Errorf(kilntype.EValueTooLarge, "the params are %d bytes of JSON, more than the cap of %d", len(sp.Params), cfg.MaxPayloadBytes)}
		}
		s, err := r.c.store.ScriptGetByName(ctx, t.TenantID, sp.Script)
		if err == nil {
			err = kilntype.MayRun(s, kilntype.TriggerTask)
		}
		if err != nil {
			if ke := (*kilntype.Error)(nil); errors.As(err, &ke) && (ke.Code == kilntype.ENotFound || ke.Code == kilntype.EConflict) {
				return &engine.TaskEffectError{Err: ke}
			}
			return err
		}
		p.Spawns = append(p.Spawns, store.TaskCreateParams{ID: sp.ID, ScriptID: s.ID, Params: sp.Params, Owner: r.node, MaxLiveTasks: cfg.MaxLivePerTenant})
	}
	if err := r.appendStep(p); err != nil {
		return h.classify(err, len(p.Sends)+len(p.Spawns) > 0)
	}
	h.length += int64(len(step.Entries))
	h.entries = append(h.entries, step.Entries...)
	for _, m := range step.Sends {
		r.notify(m.To)
	}
	for _, sp := range step.Spawns {
		child, err := r.c.store.TaskGet(context.Background(), t.TenantID, sp.ID)
		if err == nil {
			r.launch(child)
		}
	}
	return nil
}

// classify tells a refused send or spawn, which the script is told of,
// from a failure of the task's own write, which stops it.
func (h *taskHost) classify(err error, effects bool) error {
	var ke *kilntype.Error
	if !effects || errors.Is(err, store.ErrFenced) || !errors.As(err, &ke) || strings.Contains(ke.Message, "journal") {
		return err
	}
	switch ke.Code {
	case kilntype.ENotFound, kilntype.EConflict, kilntype.EQuotaExceeded, kilntype.EInvalidArgument:
		return &engine.TaskEffectError{Err: ke}
	}
	return err
}

func (h *taskHost) NextEvent(ctx context.Context, types []string) (*kilntype.TaskEvent, error) {
	evs, err := h.r.c.store.TaskInbox(ctx, h.task.TenantID, h.task.ID, types, 1)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return &evs[0], nil
}
