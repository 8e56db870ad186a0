-- Version 3: an idempotency record remembers which request it answered, so the same key
-- sent with another request is refused (422) instead of answered with the first response.
ALTER TABLE idempotency ADD COLUMN request TEXT NOT NULL DEFAULT '';
