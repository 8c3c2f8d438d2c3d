-- +goose Up
-- Per-tenant overrides set by the operator: retention and limit caps.
ALTER TABLE tenants ADD COLUMN settings JSONB NOT NULL DEFAULT '{"caps":{}}';

-- +goose Down
ALTER TABLE tenants DROP COLUMN settings;
