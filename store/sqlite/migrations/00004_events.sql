-- +goose Up
-- Event deliveries: each run's attempt number, and the dead-letter queue.
ALTER TABLE executions ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;

CREATE TABLE dead_letters (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    delivery_id        TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    payload            TEXT,
    occurred_at        TEXT NOT NULL,
    script_id          TEXT NOT NULL,
    version            INTEGER NOT NULL,
    attempts           TEXT NOT NULL, -- JSON []kiln.DeliveryAttempt
    status             TEXT NOT NULL,
    replay_delivery_id TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (tenant_id, delivery_id)
);
CREATE INDEX dead_letters_by_tenant ON dead_letters (tenant_id, created_at DESC, id DESC);

-- +goose Down
DROP TABLE dead_letters;
ALTER TABLE executions DROP COLUMN attempt;
