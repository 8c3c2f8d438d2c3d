-- +goose Up
-- Fewer, smaller indexes on executions, the table every run writes to: each
-- index is a b-tree insert per record, and on a busy server they were most
-- of the cost of recording (docs/benchmarks.md).
-- Retention deletes per tenant through executions_tenant_created.
DROP INDEX executions_created;
-- Lists filtered by status look for runs that did not complete (failed,
-- timeout, running, …), a small share of the table; a completed-status
-- filter walks executions_tenant_created instead.
DROP INDEX executions_tenant_status_created;
CREATE INDEX executions_tenant_status_created ON executions (tenant_id, status, created_at DESC, id DESC)
    WHERE status <> 'completed';

-- +goose Down
DROP INDEX executions_tenant_status_created;
CREATE INDEX executions_tenant_status_created ON executions (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX executions_created ON executions (created_at);
