-- The storage behind the iota SDK: iota.db documents, iota.cache entries
-- and iota.secrets. Every table is keyed by tenant first, so that every
-- statement the store runs starts with tenant_id = $1 and walks only that
-- tenant's part of an index.
--
-- Keys use COLLATE "C" so that they compare byte by byte, as SQLite's
-- BINARY collation does: a page of documents ordered by id, or a tie broken
-- by id, comes out in the same order from both databases.

-- +goose Up
-- One row per document. A collection is only a name: it exists while it
-- has documents, so creating one takes no DDL.
CREATE TABLE documents (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    collection TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    data       JSONB NOT NULL, -- object, its "id" member equal to id
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, collection, id)
);

-- Queries without orderBy return documents oldest first; this index
-- serves them and the tie-break of every other order.
CREATE INDEX documents_created ON documents (tenant_id, collection, created_at, id);

CREATE TABLE cache_entries (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    value      JSONB NOT NULL,
    size       BIGINT NOT NULL, -- bytes charged to the tenant's quota
    expires_at TIMESTAMPTZ, -- NULL: never
    PRIMARY KEY (tenant_id, key)
);

CREATE INDEX cache_entries_expires ON cache_entries (tenant_id, expires_at);

-- The bytes each tenant's cache entries hold, expired or not until swept.
-- Writers lock the tenant's row first, which serializes one tenant's cache
-- writes and keeps the sum exact without scanning the entries.
CREATE TABLE cache_usage (
    tenant_id TEXT COLLATE "C" PRIMARY KEY,
    bytes     BIGINT NOT NULL
);

CREATE TABLE secrets (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    ciphertext BYTEA NOT NULL, -- AES-256-GCM, bound to tenant_id and name
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE cache_usage;
DROP TABLE cache_entries;
DROP TABLE documents;
