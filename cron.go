package kiln

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kiln-run/kiln/kilntype"
	"github.com/kiln-run/kiln/schedule"
)

// cronReload is how often a node re-reads the scheduled scripts, so that
// changes made through another node reach its schedule.
const cronReload = 10 * time.Second

// startCron starts the scheduler for active scheduled scripts, with its
// lease in the queue's JetStream so each run fires on one node only.
func (c *Client) startCron(ctx context.Context) error {
	lease, err := schedule.NewKVLease(ctx, c.queue.JetStream(), schedule.KVLeaseConfig{Bucket: c.queue.Prefix() + "_CRON", Logger: c.log})
	if err != nil {
		return err
	}
	c.cron, err = schedule.New(schedule.Config{Lease: lease, Skipped: c.cronSkipped, Logger: c.log, MissedRuns: c.cfg.MissedRuns})
	if err != nil {
		return err
	}
	if err := c.reloadCron(ctx); err != nil {
		return err
	}
	if err := c.cron.Start(ctx, c.cronFire); err != nil {
		return err
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		t := time.NewTicker(cronReload)
		defer t.Stop()
		for {
			select {
			case <-c.bgStop:
				return
			case <-t.C:
				if err := c.reloadCron(context.Background()); err != nil {
					c.log.Warn("reload scheduled scripts", "err", err)
				}
			}
		}
	}()
	return nil
}

// reloadCron gives the scheduler the active scheduled scripts.
func (c *Client) reloadCron(ctx context.Context) error {
	scripts, err := c.store.ScriptListByStatus(ctx, kilntype.TypeScheduled, kilntype.StatusActive)
	if err != nil {
		return err
	}
	jobs := make([]schedule.Job, 0, len(scripts))
	for _, s := range scripts {
		cron := s.Trigger.Cron
		if cron == nil {
			continue
		}
		spec, err := schedule.Parse(cron.Expression, cron.Timezone)
		if err != nil {
			c.log.Error("a scheduled script's cron expression no longer parses; not scheduled", "script", s.ID, "err", err)
			continue
		}
		jobs = append(jobs, schedule.Job{ID: s.ID, Tenant: s.TenantID, Spec: spec, Version: s.Version})
	}
	return c.cron.Set(jobs)
}

// cronFire runs a scheduled script for scheduledAt and returns when the run
// ends (so the scheduler can skip overlapping runs). A script that may no
// longer run on its schedule (paused, archived since the last reload) is
// not run.
func (c *Client) cronFire(ctx context.Context, job schedule.Job, scheduledAt time.Time) error {
	tenant, err := c.catalog.tenantByID(ctx, job.Tenant)
	if err != nil {
		return err
	}
	input, _ := json.Marshal(map[string]time.Time{"scheduledAt": scheduledAt})
	_, err = c.run(ctx, runRequest{Tenant: tenant, ScriptID: job.ID, Trigger: kilntype.TriggerCron, Input: input, Durable: true})
	if kilntype.ErrorCode(err) == kilntype.EConflict {
		c.log.Info("a scheduled run was not started", "script", job.ID, "reason", err)
		return nil
	}
	return err
}

// cronSkipped records a run that did not start because the previous one
// was still going.
func (c *Client) cronSkipped(ctx context.Context, job schedule.Job, scheduledAt time.Time) {
	input, _ := json.Marshal(map[string]time.Time{"scheduledAt": scheduledAt})
	now := time.Now().UTC()
	exec := kilntype.Execution{ID: kilntype.NewID(time.Now()), TenantID: job.Tenant, ScriptID: job.ID, Version: job.Version, Trigger: kilntype.TriggerCron,
		Status: kilntype.ExecSkipped, Input: input, CreatedAt: now, FinishedAt: &now,
		Error: &kilntype.ExecutionError{Code: kilntype.ESkipped, Message: "the run due at " + scheduledAt.Format(time.RFC3339) + " was skipped: the previous run was still going"}}
	c.recorder.record(&exec, false, true)
}
