-- Kiln's schema for PostgreSQL. Times are TIMESTAMPTZ, JSON is JSONB. IDs
-- are TEXT (time-ordered UUIDv7 strings from the store, but execution IDs
-- come from the server and need not be UUIDs).

-- +goose Up
CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE scripts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    language    TEXT NOT NULL,
    trigger     JSONB NOT NULL, -- kiln.Trigger
    limits      JSONB NOT NULL, -- kiln.Limits
    version     INTEGER NOT NULL, -- the newest script_versions.version_number
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
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
    created_at         TIMESTAMPTZ NOT NULL,
    trigger            JSONB, -- the trigger as saved with this version
    UNIQUE (script_id, version_number)
);

-- Versions are history: a rollback writes a new version, so nothing may
-- rewrite or remove an old one, whatever the application code does.
-- +goose StatementBegin
CREATE FUNCTION script_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'script_versions rows are immutable (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER script_versions_no_update_delete
    BEFORE UPDATE OR DELETE ON script_versions
    FOR EACH ROW EXECUTE FUNCTION script_versions_immutable();

-- Row triggers do not fire on TRUNCATE.
CREATE TRIGGER script_versions_no_truncate
    BEFORE TRUNCATE ON script_versions
    FOR EACH STATEMENT EXECUTE FUNCTION script_versions_immutable();

CREATE TABLE executions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    script_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    trigger        TEXT NOT NULL, -- what started the run: "http", "manual", …
    status         TEXT NOT NULL,
    input          JSONB,
    output         JSONB,
    error          JSONB, -- kiln.ExecutionError
    logs           JSONB, -- []kiln.LogLine
    logs_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    duration_ms    DOUBLE PRECISION NOT NULL DEFAULT 0,
    host_calls     INTEGER NOT NULL DEFAULT 0,
    memory_bytes   BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
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
DROP FUNCTION script_versions_immutable();
DROP TABLE scripts;
DROP TABLE settings;
DROP TABLE api_keys;
DROP TABLE tenants;
