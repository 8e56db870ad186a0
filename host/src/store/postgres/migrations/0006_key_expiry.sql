-- Version 6: a key may expire (`expires_ms`, ms since the epoch; NULL: never). Keys made by
-- API (`/v1/admin/keys`, `/v1/keys`) or `baton keys create --expires-in` carry one.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS expires_ms BIGINT;
