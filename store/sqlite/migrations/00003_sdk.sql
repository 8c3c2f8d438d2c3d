-- The storage behind the iota SDK: iota.db documents, iota.cache entries
-- and iota.secrets. Every table is keyed by tenant first, so that every
-- statement the store runs starts with tenant_id = $1 and walks only that
-- tenant's part of an index.

-- +goose Up
-- One row per document. A collection is only a name: it exists while it
-- has documents, so creating one takes no DDL.
CREATE TABLE documents (
    tenant_id  TEXT NOT NULL,
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL, -- JSON object, its "id" member equal to id
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, collection, id)
);

-- Queries without orderBy return documents oldest first; this index
-- serves them and the tie-break of every other order.
CREATE INDEX documents_created ON documents (tenant_id, collection, created_at, id);

CREATE TABLE cache_entries (
    tenant_id  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL, -- JSON
    size       INTEGER NOT NULL, -- bytes charged to the tenant's quota
    expires_at TEXT, -- NULL: never
    PRIMARY KEY (tenant_id, key)
);

CREATE INDEX cache_entries_expires ON cache_entries (tenant_id, expires_at);

-- The bytes each tenant's cache entries hold, expired or not until swept.
-- Writers lock the tenant's row first, which serializes one tenant's cache
-- writes and keeps the sum exact without scanning the entries.
CREATE TABLE cache_usage (
    tenant_id TEXT PRIMARY KEY,
    bytes     INTEGER NOT NULL
);

CREATE TABLE secrets (
    tenant_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    ciphertext BLOB NOT NULL, -- AES-256-GCM, bound to tenant_id and name
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE cache_usage;
DROP TABLE cache_entries;
DROP TABLE documents;
