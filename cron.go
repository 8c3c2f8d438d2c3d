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
func (a *App) startCron(ctx context.Context) error {
	lease, err := schedule.NewKVLease(ctx, a.queue.JetStream(), schedule.KVLeaseConfig{Bucket: a.queue.Prefix() + "_CRON", Logger: a.log})
	if err != nil {
		return err
	}
	a.cron, err = schedule.New(schedule.Config{Lease: lease, Skipped: a.cronSkipped, Logger: a.log, MissedRuns: a.cfg.MissedRuns})
	if err != nil {
		return err
	}
	if err := a.reloadCron(ctx); err != nil {
		return err
	}
	if err := a.cron.Start(ctx, a.cronFire); err != nil {
		return err
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		t := time.NewTicker(cronReload)
		defer t.Stop()
		for {
			select {
			case <-a.bgStop:
				return
			case <-t.C:
				if err := a.reloadCron(context.Background()); err != nil {
					a.log.Warn("reload scheduled scripts", "err", err)
				}
			}
		}
	}()
	return nil
}

// reloadCron gives the scheduler the active scheduled scripts.
func (a *App) reloadCron(ctx context.Context) error {
	scripts, err := a.store.ScriptListByStatus(ctx, kilntype.TypeScheduled, kilntype.StatusActive)
	if err != nil {
		return err
	}
	jobs := make([]schedule.Job, 0, len(scripts))
	for _, s := range scripts {
		c := s.Trigger.Cron
		if c == nil {
			continue
		}
		spec, err := schedule.Parse(c.Expression, c.Timezone)
		if err != nil {
			a.log.Error("a scheduled script's cron expression no longer parses; not scheduled", "script", s.ID, "err", err)
			continue
		}
		jobs = append(jobs, schedule.Job{ID: s.ID, Tenant: s.TenantID, Spec: spec, Version: s.Version})
	}
	return a.cron.Set(jobs)
}

// cronFire runs a scheduled script for scheduledAt and returns when the run
// ends (so the scheduler can skip overlapping runs).
func (a *App) cronFire(ctx context.Context, job schedule.Job, scheduledAt time.Time) error {
	s, v, err := a.catalog.current(ctx, job.Tenant, job.ID)
	if err != nil {
		return err
	}
	if s.Status != kilntype.StatusActive || s.Type != kilntype.TypeScheduled {
		return nil
	}
	tenant, err := a.catalog.tenantByID(ctx, s.TenantID)
	if err != nil {
		return err
	}
	input, _ := json.Marshal(map[string]time.Time{"scheduledAt": scheduledAt})
	req := runRequest{Script: s, Version: v, Trigger: "cron", Input: input, Caps: tenant.Settings.Caps, Durable: true}
	exec, err := a.runner.start(req)
	if err != nil {
		return err
	}
	_, err = a.runner.run(ctx, req, exec)
	return err
}

// cronSkipped records a run that did not start because the previous one
// was still going.
func (a *App) cronSkipped(ctx context.Context, job schedule.Job, scheduledAt time.Time) {
	input, _ := json.Marshal(map[string]time.Time{"scheduledAt": scheduledAt})
	now := time.Now().UTC()
	exec := kilntype.Execution{ID: newID(), TenantID: job.Tenant, ScriptID: job.ID, Version: job.Version, Trigger: "cron",
		Status: kilntype.ExecSkipped, Input: input, CreatedAt: now, FinishedAt: &now,
		Error: &kilntype.ExecutionError{Code: "SKIPPED", Message: "the run due at " + scheduledAt.Format(time.RFC3339) + " was skipped: the previous run was still going"}}
	a.recorder.record(&exec, false, true)
}
