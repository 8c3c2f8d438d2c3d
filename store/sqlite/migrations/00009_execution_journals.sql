-- +goose Up
-- The journals kept of ordinary executions (docs/tasks.md, "Record and
-- replay for every execution"): every value that entered the script, for
-- kiln replay. Kept for failed executions and for scripts that set
-- limits.record; deleted with their execution by retention. The journal is
-- TEXT, the JSON the engine wrote, byte for byte.
CREATE TABLE execution_journals (
    execution_id TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    journal      TEXT NOT NULL
);
CREATE INDEX execution_journals_tenant_created ON execution_journals (tenant_id, created_at);

-- +goose Down
DROP TABLE execution_journals;
