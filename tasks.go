package kiln

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/store"
)

// TaskConfig tunes durable tasks (docs/tasks.md).
type TaskConfig struct {
	// HibernateAfter is how long a task may wait with nothing in flight
	// before it is dropped from memory (resumed by replay when an event or
	// its timer comes). Default 5s; negative: never.
	HibernateAfter time.Duration `json:"hibernateAfter"`
	// PollInterval is how often due timers are looked for. Default 100ms.
	PollInterval time.Duration `json:"pollInterval"`
	// MaxLivePerTenant caps a tenant's tasks that have not ended. Default
	// 100,000.
	MaxLivePerTenant int `json:"maxLivePerTenant"`
	// MaxJournalEntries and MaxJournalBytes cap one journal (continueAsNew
	// starts a fresh one). Defaults 100,000 entries and 64 MiB.
	MaxJournalEntries int64 `json:"maxJournalEntries"`
	MaxJournalBytes   int64 `json:"maxJournalBytes"`
	// MaxInboxDepth caps the events waiting in one task's inbox. Default
	// 10,000.
	MaxInboxDepth int `json:"maxInboxDepth"`
	// MaxPayloadBytes caps a task's params and an event's payload.
	// Default 256 KiB.
	MaxPayloadBytes int `json:"maxPayloadBytes"`
	// CancelGrace is how long a cancelled task may handle its "cancelled"
	// event before it is stopped. Default 30s.
	CancelGrace time.Duration `json:"cancelGrace"`
	// JournalCacheBytes bounds the journals of recently hibernated tasks
	// kept in memory, so that a task woken soon replays without reading
	// its journal back. Default 64 MiB; negative: none.
	JournalCacheBytes int64 `json:"journalCacheBytes"`
}

func (c TaskConfig) withDefaults() TaskConfig {
	if c.HibernateAfter == 0 {
		c.HibernateAfter = 5 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.MaxLivePerTenant == 0 {
		c.MaxLivePerTenant = 100_000
	}
	if c.MaxJournalEntries == 0 {
		c.MaxJournalEntries = store.DefaultMaxJournalEntries
	}
	if c.MaxJournalBytes == 0 {
		c.MaxJournalBytes = store.DefaultMaxJournalBytes
	}
	if c.MaxInboxDepth == 0 {
		c.MaxInboxDepth = store.DefaultMaxInboxDepth
	}
	if c.MaxPayloadBytes == 0 {
		c.MaxPayloadBytes = 256 << 10
	}
	if c.CancelGrace == 0 {
		c.CancelGrace = 30 * time.Second
	}
	if c.JournalCacheBytes == 0 {
		c.JournalCacheBytes = 64 << 20
	}
	return c
}

func (c TaskConfig) validate() error {
	switch {
	case c.PollInterval < time.Millisecond:
		return fmt.Errorf("tasks.pollInterval %s is too short: use at least 1ms", c.PollInterval)
	case c.MaxLivePerTenant < 1 || c.MaxJournalEntries < 100 || c.MaxJournalBytes < 1<<20 || c.MaxInboxDepth < 1:
		return fmt.Errorf("tasks caps are too small: at least 1 live task, 100 journal entries, 1 MiB of journal and 1 inbox event")
	case c.MaxPayloadBytes < 1024:
		return fmt.Errorf("tasks.maxPayloadBytes %d is too small: use at least 1024", c.MaxPayloadBytes)
	case c.CancelGrace < 0:
		return fmt.Errorf("tasks.cancelGrace must not be negative")
	}
	return nil
}

// SpawnParams starts a durable task.
type SpawnParams struct {
	// TenantID or TenantSlug names the tenant; the ID wins.
	TenantID, TenantSlug string
	// ScriptID or ScriptName names a task script; the ID wins. The task
	// runs the script's current version to its end.
	ScriptID, ScriptName string
	// Params are the handler's first argument, as JSON; empty means null.
	Params json.RawMessage
}

// Spawn starts a durable task running a task script's current version and
// returns it, durable and running. INVALID_ARGUMENT for bad params,
// NOT_FOUND for an unknown tenant or script, CONFLICT for a script that is
// not a task script or may not run, QUOTA_EXCEEDED past the tenant's live
// tasks.
func (c *Client) Spawn(ctx context.Context, p SpawnParams) (*kilntype.Task, error) {
	tenant, err := c.resolveTenant(ctx, p.TenantID, p.TenantSlug)
	if err != nil {
		return nil, err
	}
	params, err := c.tasks.checkPayload(p.Params, "params")
	if err != nil {
		return nil, err
	}
	var s *kilntype.Script
	switch {
	case p.ScriptID != "":
		s, err = c.store.ScriptGet(ctx, tenant.ID, p.ScriptID)
	case p.ScriptName != "":
		s, err = c.store.ScriptGetByName(ctx, tenant.ID, p.ScriptName)
	default:
		return nil, invalid("name the task script: a script ID or a script name")
	}
	if err != nil {
		return nil, err
	}
	if err := kilntype.MayRun(s, kilntype.TriggerTask); err != nil {
		return nil, err
	}
	t, err := c.store.TaskCreate(ctx, store.TaskCreateParams{TenantID: tenant.ID, ScriptID: s.ID, Params: params,
		Owner: c.tasks.node, MaxLiveTasks: c.cfg.Tasks.MaxLivePerTenant})
	if err != nil {
		return nil, err
	}
	c.tasks.launch(t)
	return t, nil
}

// Send stores an event in a task's inbox and returns its sequence number;
// the event is durable when Send returns, and the task receives it when
// it next asks (a hibernated task is resumed). NOT_FOUND for an unknown
// task, CONFLICT for one that has ended, QUOTA_EXCEEDED for a full inbox,
// INVALID_ARGUMENT for an empty type or a payload that is not JSON or is
// too large.
func (c *Client) Send(ctx context.Context, tenantID, taskID, typ string, payload json.RawMessage) (int64, error) {
	if typ == "" || len(typ) > 128 {
		return 0, invalid("the event type must be 1 to 128 characters")
	}
	payload, err := c.tasks.checkPayload(payload, "payload")
	if err != nil {
		return 0, err
	}
	seq, err := c.store.TaskSend(ctx, tenantID, taskID, kilntype.TaskEvent{Type: typ, Payload: payload}, c.cfg.Tasks.MaxInboxDepth)
	if err != nil {
		return 0, err
	}
	c.tasks.notify(taskID)
	return seq, nil
}

// Task returns a tenant's task, or NOT_FOUND.
func (c *Client) Task(ctx context.Context, tenantID, id string) (*kilntype.Task, error) {
	return c.store.TaskGet(ctx, tenantID, id)
}

// Tasks lists a tenant's tasks, newest first, filtered by state, script or
// parent, and returns the next page's cursor ("" on the last).
func (c *Client) Tasks(ctx context.Context, p store.TaskListParams) ([]kilntype.Task, string, error) {
	if p.State != "" && !p.State.Valid() {
		return nil, "", invalid("state %q must be one of running, waiting, hibernated, completed, failed, cancelled", p.State)
	}
	if p.Limit < 0 || p.Limit > 200 {
		return nil, "", invalid("limit %d must be from 1 to 200", p.Limit)
	}
	return c.store.TaskList(ctx, p)
}

// TaskJournal returns up to limit (1..1000) entries of a task's current
// journal from index from on.
func (c *Client) TaskJournal(ctx context.Context, tenantID, id string, from int64, limit int) ([]kilntype.JournalEntry, error) {
	if from < 0 {
		return nil, invalid("from %d must not be negative", from)
	}
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 1000 {
		return nil, invalid("limit %d must be from 1 to 1000", limit)
	}
	t, err := c.store.TaskGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	entries, err := c.store.TaskJournal(ctx, tenantID, id, t.Generation, from, limit)
	// The values of secrets the task read stay in the store, for its own
	// replay, and out of every answer.
	return redactJournal(entries, nil), err
}

// ExecutionJournal returns the journal kept of a tenant's execution (of a
// failed one, or of any run of a script with limits.record), with the
// secrets it read cut out; NOT_FOUND when none was kept.
func (c *Client) ExecutionJournal(ctx context.Context, tenantID, id string) ([]kilntype.JournalEntry, error) {
	raw, err := c.store.ExecutionJournalGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	var journal []kilntype.JournalEntry
	if err := json.Unmarshal(raw, &journal); err != nil {
		return nil, kilntype.Errorf(kilntype.EInternal, "the journal of execution %s could not be read", id)
	}
	return journal, nil
}

// CancelTask cancels a task: it gets a "cancelled" event, which its
// script may handle (clean up, say goodbye) within Tasks.CancelGrace;
// past that the task is stopped and marked cancelled. It returns the task
// as it is now. CONFLICT for a task that has ended.
func (c *Client) CancelTask(ctx context.Context, tenantID, id string) (*kilntype.Task, error) {
	if _, err := c.store.TaskSend(ctx, tenantID, id, kilntype.TaskEvent{Type: "cancelled", Payload: json.RawMessage("null")}, 0); err != nil {
		return nil, err
	}
	c.tasks.notify(id)
	c.tasks.cancelAfter(tenantID, id, c.cfg.Tasks.CancelGrace)
	return c.store.TaskGet(ctx, tenantID, id)
}

// checkPayload validates a task's params or an event's payload; empty is
// null.
func (r *taskRuntime) checkPayload(v json.RawMessage, what string) (json.RawMessage, error) {
	switch {
	case len(v) == 0:
		return json.RawMessage("null"), nil
	case len(v) > r.c.cfg.Tasks.MaxPayloadBytes:
		return nil, kilntype.Errorf(kilntype.EValueTooLarge, "the %s are %d bytes of JSON, more than the cap of %d", what, len(v), r.c.cfg.Tasks.MaxPayloadBytes)
	case !json.Valid(v):
		return nil, invalid("the %s are not valid JSON", what)
	}
	return v, nil
}
