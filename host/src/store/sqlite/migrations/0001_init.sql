-- Baton's embedded store, version 1. Every table is keyed by tenant first.

CREATE TABLE conversations (
    tenant        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    customer      TEXT    NOT NULL,          -- JSON
    customer_key  TEXT    NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

CREATE TABLE messages (
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    role            TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    at_ms           INTEGER NOT NULL,
    intent          TEXT,
    confidence      REAL,
    agent_id        TEXT,
    PRIMARY KEY (tenant, conversation_id, seq)
) WITHOUT ROWID;

CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    message_seq     INTEGER NOT NULL,
    policy_version  TEXT    NOT NULL,
    role            TEXT    NOT NULL,      -- live | shadow
    escalate        INTEGER NOT NULL,
    reason          TEXT,
    priority        TEXT    NOT NULL,
    tags            TEXT    NOT NULL,      -- JSON array
    explanation     TEXT    NOT NULL,
    fault_kind      TEXT,
    fault_detail    TEXT,
    latency_us      INTEGER NOT NULL,
    at_ms           INTEGER NOT NULL
);
CREATE INDEX decisions_by_tenant_time ON decisions (tenant, at_ms);
CREATE INDEX decisions_by_conversation ON decisions (tenant, conversation_id, message_seq);

CREATE TABLE handoffs (
    tenant          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    is_open         INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    priority_rank   INTEGER NOT NULL,
    queue           TEXT    NOT NULL,
    offered_to      TEXT,
    offer_expires_ms INTEGER,
    accepted_by     TEXT,
    opened_ms       INTEGER NOT NULL,
    accepted_ms     INTEGER,
    closed_ms       INTEGER,
    customer_key    TEXT    NOT NULL,
    body            TEXT    NOT NULL,      -- JSON of the whole row
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
-- One open handoff per conversation, enforced by the database.
CREATE UNIQUE INDEX one_open_handoff ON handoffs (tenant, conversation_id) WHERE is_open = 1;
CREATE INDEX handoffs_by_state ON handoffs (tenant, state, priority_rank DESC, opened_ms);
CREATE INDEX handoffs_expiring ON handoffs (offer_expires_ms) WHERE state = 'offered';
CREATE INDEX handoffs_by_customer ON handoffs (tenant, customer_key, closed_ms);

CREATE TABLE presence (
    tenant     TEXT    NOT NULL,
    agent_id   TEXT    NOT NULL,
    presence   TEXT    NOT NULL,
    capacity   INTEGER,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (tenant, agent_id)
) WITHOUT ROWID;

CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant          TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    handoff_id      TEXT,
    conversation_id TEXT,
    data            TEXT    NOT NULL,
    at_ms           INTEGER NOT NULL
);
CREATE INDEX events_by_tenant ON events (tenant, id);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    tenant        TEXT    NOT NULL,
    event_id      INTEGER NOT NULL,
    url           TEXT    NOT NULL,
    secret_env    TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_ms       INTEGER,                 -- NULL once delivered or given up
    delivered_ms  INTEGER,
    last_error    TEXT
);
CREATE INDEX outbox_due ON outbox (next_ms) WHERE next_ms IS NOT NULL;

CREATE TABLE idempotency (
    tenant  TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    status  INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    id         TEXT    PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    tenant     TEXT,
    role       TEXT    NOT NULL,
    agent_id   TEXT,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);
