-- Kiln's schema for SQLite. Times are TEXT in a fixed-width RFC 3339 form
-- (UTC, microseconds) so that they compare and sort correctly as strings;
-- JSON is TEXT. IDs are time-ordered UUIDv7 strings.

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE scripts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    language    TEXT NOT NULL,
    trigger     TEXT NOT NULL, -- JSON kiln.Trigger
    limits      TEXT NOT NULL, -- JSON kiln.Limits
    version     INTEGER NOT NULL, -- the newest script_versions.version_number
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- Lets executions reference (tenant_id, id) so that an execution can
    -- never point at another tenant's script.
    UNIQUE (tenant_id, id)
);

CREATE INDEX scripts_tenant_created ON scripts (tenant_id, created_at DESC, id DESC);
CREATE INDEX scripts_type_status ON scripts (type, status);

CREATE TABLE script_versions (
    id                 TEXT PRIMARY KEY,
    script_id          TEXT NOT NULL REFERENCES scripts (id),
    version_number     INTEGER NOT NULL,
    source_code        TEXT NOT NULL,
    change_description TEXT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    trigger            TEXT, -- JSON, the trigger as saved with this version
    UNIQUE (script_id, version_number)
);

-- Versions are history: a rollback writes a new version, so nothing may
-- rewrite or remove an old one, whatever the application code does.
-- +goose StatementBegin
CREATE TRIGGER script_versions_no_update BEFORE UPDATE ON script_versions
BEGIN
    SELECT RAISE(ABORT, 'script_versions rows are immutable');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER script_versions_no_delete BEFORE DELETE ON script_versions
BEGIN
    SELECT RAISE(ABORT, 'script_versions rows are immutable');
END;
-- +goose StatementEnd

CREATE TABLE executions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    script_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    trigger        TEXT NOT NULL, -- what started the run: "http", "manual", …
    status         TEXT NOT NULL,
    input          TEXT, -- JSON
    output         TEXT, -- JSON
    error          TEXT, -- JSON kiln.ExecutionError
    logs           TEXT, -- JSON []kiln.LogLine
    logs_truncated INTEGER NOT NULL DEFAULT 0,
    duration_ms    REAL NOT NULL DEFAULT 0,
    host_calls     INTEGER NOT NULL DEFAULT 0,
    memory_bytes   INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    started_at     TEXT,
    finished_at    TEXT,
    FOREIGN KEY (tenant_id, script_id) REFERENCES scripts (tenant_id, id)
);

CREATE INDEX executions_tenant_created ON executions (tenant_id, created_at DESC, id DESC);
CREATE INDEX executions_script_created ON executions (script_id, created_at DESC, id DESC);
CREATE INDEX executions_tenant_status_created ON executions (tenant_id, status, created_at DESC, id DESC);
-- Retention sweeps across tenants delete by age alone.
CREATE INDEX executions_created ON executions (created_at);

-- +goose Down
DROP TABLE executions;
DROP TABLE script_versions;
DROP TABLE scripts;
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE tenants;
