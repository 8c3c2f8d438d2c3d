-- +goose Up
-- Finished execution records written once (most runs: an HTTP request, an
-- event delivery's first run) are stored in batches: one row per script
-- per recorder flush, the records encoded and compressed together
-- (store/internal/sqlstore/batchcodec.go). A row per record cost a b-tree
-- insert into the table and each index per run, most of a busy server's
-- recording cost; a batch row costs them once for hundreds of records.
-- Records that change after their first write (a long run's pending
-- record, a retried event attempt) stay in executions, which wins over a
-- batch holding the same id.
--
-- Every record of a batch shares the first 9 characters of its id (the
-- time prefix of Kiln's ids), so a lookup by id reads the batches whose
-- min_id lies between that prefix and the id; and its created_at values
-- lie within a bounded span, so a page of a list starts its scan near the
-- cursor.
CREATE TABLE execution_batches (
    id           INTEGER PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    script_id    TEXT NOT NULL,
    min_id       TEXT NOT NULL,
    max_id       TEXT NOT NULL,
    min_created  TEXT NOT NULL,
    max_created  TEXT NOT NULL,
    statuses     INTEGER NOT NULL, -- bit set of the records' statuses
    triggers     INTEGER NOT NULL, -- bit set of the records' triggers
    record_count INTEGER NOT NULL,
    records      BLOB NOT NULL,
    FOREIGN KEY (tenant_id, script_id) REFERENCES scripts (tenant_id, id)
);
CREATE INDEX execution_batches_tenant ON execution_batches (tenant_id, max_created);
CREATE INDEX execution_batches_script ON execution_batches (script_id, max_created);
CREATE INDEX execution_batches_ids ON execution_batches (tenant_id, min_id, max_id);

-- +goose Down
DROP TABLE execution_batches;
