-- +goose Up
-- (Version 7 is a Go migration: store/internal/sqlstore/migrations.go.)
-- Durable tasks (docs/tasks.md, "Storage"). A task's row is its index
-- entry and nothing more: the journal and the inbox live in their own
-- tables, so a hibernated task costs one lean row plus its index entries.
-- Every JSON column is TEXT, never a parsed form: replay must see the
-- bytes the script saw, key order included, and JSONB reorders keys.
CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    script_id     TEXT NOT NULL,
    version       INTEGER NOT NULL, -- the pinned script_versions.version_number
    version_id    TEXT NOT NULL,
    parent_id     TEXT,
    state         TEXT NOT NULL,
    params        TEXT,
    result        TEXT,
    error         TEXT, -- JSON kilntype.ExecutionError
    owner         TEXT NOT NULL,
    epoch         BIGINT NOT NULL, -- fencing token, raised by every claim
    generation    INTEGER NOT NULL,
    journal_len   BIGINT NOT NULL,
    journal_bytes BIGINT NOT NULL,
    inbox_depth   INTEGER NOT NULL,
    last_seq      BIGINT NOT NULL, -- the Seq last given to an inbox event
    wake_at       TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    FOREIGN KEY (tenant_id, script_id) REFERENCES scripts (tenant_id, id)
);
CREATE INDEX tasks_tenant_created ON tasks (tenant_id, created_at DESC, id DESC);
CREATE INDEX tasks_tenant_state ON tasks (tenant_id, state, created_at DESC, id DESC);
CREATE INDEX tasks_parent ON tasks (parent_id, created_at DESC, id DESC) WHERE parent_id IS NOT NULL;
-- The timers to fire: only tasks that wait with a wake time are in it.
CREATE INDEX tasks_due ON tasks (wake_at, id) WHERE wake_at IS NOT NULL AND state IN ('waiting', 'hibernated');

CREATE TABLE task_journal (
    task_id    TEXT NOT NULL REFERENCES tasks (id),
    generation INTEGER NOT NULL,
    idx        BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    request    TEXT,
    value      TEXT,
    error      TEXT, -- JSON kilntype.ExecutionError
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (task_id, generation, idx)
);

CREATE TABLE task_inbox (
    task_id TEXT NOT NULL REFERENCES tasks (id),
    seq     BIGINT NOT NULL,
    type    TEXT NOT NULL,
    payload TEXT,
    sender  TEXT NOT NULL, -- the sending task, '' from outside
    at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (task_id, seq)
);

-- Each tenant's tasks that are not terminal, kept by every write that
-- starts or ends a task: the cap check reads one row, not a count, and
-- locking the row serializes the tenant's creates on PostgreSQL.
CREATE TABLE task_usage (
    tenant_id TEXT PRIMARY KEY,
    live      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE task_usage;
DROP TABLE task_inbox;
DROP TABLE task_journal;
DROP TABLE tasks;
