-- Baton's shared store on PostgreSQL, version 1: the embedded store's tables (SQLite's
-- migrations 1 and 2), plus what several hosts need to act as one service. Every table is
-- keyed by tenant first. JSON is kept as text, byte for byte what the SQLite store keeps.

CREATE TABLE conversations (
    tenant        TEXT    NOT NULL,
    id            TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    customer      TEXT    NOT NULL,
    customer_key  TEXT    NOT NULL,
    message_count BIGINT  NOT NULL DEFAULT 0,
    created_ms    BIGINT  NOT NULL,
    updated_ms    BIGINT  NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX conversations_by_created ON conversations (tenant, created_ms);

CREATE TABLE messages (
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    seq             BIGINT  NOT NULL,
    role            TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    at_ms           BIGINT  NOT NULL,
    intent          TEXT,
    confidence      DOUBLE PRECISION,
    agent_id        TEXT,
    PRIMARY KEY (tenant, conversation_id, seq)
);

CREATE TABLE decisions (
    id              BIGSERIAL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    message_seq     BIGINT  NOT NULL,
    policy_version  TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    escalate        BOOLEAN NOT NULL,
    reason          TEXT,
    priority        TEXT    NOT NULL,
    tags            TEXT    NOT NULL,
    explanation     TEXT    NOT NULL,
    fault_kind      TEXT,
    fault_detail    TEXT,
    latency_us      BIGINT  NOT NULL,
    at_ms           BIGINT  NOT NULL
);
CREATE INDEX decisions_by_tenant_time ON decisions (tenant, at_ms);
CREATE INDEX decisions_by_conversation ON decisions (tenant, conversation_id, message_seq);

CREATE TABLE handoffs (
    tenant           TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    conversation_id  TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    is_open          BOOLEAN NOT NULL,
    reason           TEXT    NOT NULL,
    priority         TEXT    NOT NULL,
    priority_rank    BIGINT  NOT NULL,
    queue            TEXT    NOT NULL,
    offered_to       TEXT,
    offer_expires_ms BIGINT,
    accepted_by      TEXT,
    opened_ms        BIGINT  NOT NULL,
    accepted_ms      BIGINT,
    closed_ms        BIGINT,
    customer_key     TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    PRIMARY KEY (tenant, id)
);
-- One open handoff per conversation, enforced by the database across every host.
CREATE UNIQUE INDEX one_open_handoff ON handoffs (tenant, conversation_id) WHERE is_open;
CREATE INDEX handoffs_by_state ON handoffs (tenant, state, priority_rank DESC, opened_ms);
CREATE INDEX handoffs_expiring ON handoffs (offer_expires_ms) WHERE state = 'offered';
CREATE INDEX handoffs_by_customer ON handoffs (tenant, customer_key, closed_ms);

CREATE TABLE presence (
    tenant     TEXT    NOT NULL,
    agent_id   TEXT    NOT NULL,
    presence   TEXT    NOT NULL,
    capacity   BIGINT,
    updated_ms BIGINT  NOT NULL,
    PRIMARY KEY (tenant, agent_id)
);

-- Lifecycle event ids count per tenant and are handed out under the tenant's row lock in
-- `event_ids`, so they commit in id order: a reader polling "id > last seen" on any host
-- never skips an event that commits later with a smaller id.
CREATE TABLE event_ids (
    tenant  TEXT   PRIMARY KEY,
    last_id BIGINT NOT NULL
);

CREATE TABLE events (
    tenant          TEXT    NOT NULL,
    id              BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    handoff_id      TEXT,
    conversation_id TEXT,
    data            TEXT    NOT NULL,
    at_ms           BIGINT  NOT NULL,
    PRIMARY KEY (tenant, id)
);

CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    tenant        TEXT    NOT NULL,
    event_id      BIGINT  NOT NULL,
    url           TEXT    NOT NULL,
    secret_env    TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    attempts      BIGINT  NOT NULL DEFAULT 0,
    next_ms       BIGINT,
    delivered_ms  BIGINT,
    last_error    TEXT
);
CREATE INDEX outbox_due ON outbox (next_ms) WHERE next_ms IS NOT NULL;

CREATE TABLE idempotency (
    tenant  TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    status  INTEGER NOT NULL,
    body    TEXT    NOT NULL,
    at_ms   BIGINT  NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE api_keys (
    id         TEXT    PRIMARY KEY,
    hash       TEXT    NOT NULL UNIQUE,
    tenant     TEXT,
    role       TEXT    NOT NULL,
    agent_id   TEXT,
    created_ms BIGINT  NOT NULL,
    revoked_ms BIGINT
);

-- Background work that must run on one host at a time (offer timeouts, queue promotion,
-- retention): the holder renews its lease; when a host dies, another takes the lease once
-- it has run out. Times are the database's clock, so hosts' clocks need not agree.
CREATE TABLE leases (
    name       TEXT        PRIMARY KEY,
    holder     TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- What each host serves: every host writes its tenants' active versions on a heartbeat,
-- so an operator sees hosts that disagree.
CREATE TABLE host_versions (
    host     TEXT   NOT NULL,
    tenant   TEXT   NOT NULL,
    version  TEXT   NOT NULL,
    seen_ms  BIGINT NOT NULL,
    PRIMARY KEY (host, tenant)
);
