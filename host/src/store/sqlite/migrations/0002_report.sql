-- Version 2: reports select conversations by when they started.
CREATE INDEX conversations_by_created ON conversations (tenant, created_ms);
