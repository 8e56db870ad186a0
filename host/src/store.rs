//! Durable state behind one interface: conversations and their messages, handoffs, the
//! decision log, the lifecycle event log (for SSE and webhooks), the webhook outbox,
//! idempotency records, agent presence and API keys.
//!
//! Writes are *write sets* applied atomically: everything one request changes commits
//! together or not at all, and nothing is acknowledged before it is durable. Every read and
//! write is scoped by tenant. The SQLite backend is embedded, for one host; the PostgreSQL
//! backend is shared by several hosts acting as one service.

mod commits;
mod doc;
mod encode;
/// API keys, and the rules for creating, listing and revoking them (`keys::create`, ...).
pub mod keys;
pub use doc::{CustomerDoc, MessageDoc, PriorityDoc, RoleDoc};
mod model;
mod outbox;
mod postgres;
mod reporting;
mod sqlite;

pub use commits::{touched, CommitFeed, ConversationWatch};
pub use encode::webhook_body;
pub use keys::{hash_key, new_key, KeyRole, KeySpec, KeyState, NewKey};
pub use model::*;
pub use outbox::OutboxCount;
pub use postgres::{is_url as is_database_url, redact as redact_url, PgStore};
pub use reporting::*;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use std::sync::Arc;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A precondition of the write set did not hold (someone else changed the row first).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot take writes now (disk full, read-only, database down).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// Another host wrote the same rows at the same moment and this write set lost; it
    /// changed nothing, and running the request again (on fresh reads) is safe.
    #[error("a concurrent write won: {0}")]
    Raced(String),
    /// Anything else the database said.
    #[error("store error: {0}")]
    Database(String),
}

/// One host's active version of one tenant, as it last reported it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HostVersion {
    /// The host (`hostname:pid`).
    pub host: String,
    /// The tenant.
    #[serde(skip)]
    pub tenant: String,
    /// The version it serves.
    pub version: String,
    /// When it last said so, ms since the epoch.
    pub seen_ms: i64,
}

/// The store interface.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Apply a write set atomically and durably; returns the ids of the lifecycle events it
    /// appended, in order.
    async fn apply(&self, tenant: &str, writes: WriteSet) -> Result<Applied, StoreError>;

    /// A conversation's header.
    async fn conversation(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConversationRow>, StoreError>;
    /// A conversation's messages, oldest first.
    async fn messages(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Vec<MessageRow>, StoreError>;
    /// A conversation's messages from position `from_seq` on, oldest first: what a live
    /// stream has not sent yet.
    async fn messages_from(
        &self,
        tenant: &str,
        conversation: &str,
        from_seq: i64,
    ) -> Result<Vec<MessageRow>, StoreError>;
    /// The last `limit` messages (all, without one) of a conversation whose seq is below
    /// `before` (any, without one), oldest first: a bounded read for the trigger's window
    /// and for paging a transcript.
    async fn messages_tail(
        &self,
        tenant: &str,
        conversation: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<MessageRow>, StoreError>;
    /// One handoff.
    async fn handoff(&self, tenant: &str, id: &str) -> Result<Option<HandoffRow>, StoreError>;
    /// The open handoff of a conversation, if any.
    async fn open_handoff(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Option<HandoffRow>, StoreError>;
    /// Every handoff of a conversation, open and closed, oldest first (by when it opened).
    async fn conversation_handoffs(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Vec<HandoffRow>, StoreError>;
    /// Handoffs matching a filter, newest first.
    async fn handoffs(
        &self,
        tenant: &str,
        filter: &HandoffFilter,
    ) -> Result<Vec<HandoffRow>, StoreError>;
    /// The stored response of an earlier request with this idempotency key.
    async fn idempotent_response(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError>;
    /// Lifecycle events after `after_id`, oldest first.
    async fn events_after(
        &self,
        tenant: &str,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError>;
    /// The agents' presence as they set it.
    async fn presence(&self, tenant: &str) -> Result<Vec<PresenceRow>, StoreError>;
    /// Statistics for routing and wait estimates.
    async fn live_stats(&self, tenant: &str) -> Result<LiveStats, StoreError>;
    /// The agent who last served the customer with this key, if any.
    async fn previous_agent(
        &self,
        tenant: &str,
        customer_key: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Offers whose reservation ran out before `now_ms`, across tenants: `(tenant, handoff)`.
    async fn expired_offers(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, HandoffRow)>, StoreError>;
    /// Handoffs of `tenant` waiting for an agent (queued or offered) that opened before
    /// `before_ms` and whose customer has written nothing since: each with when the customer
    /// was last heard from (the later of the opening and their last message), longest idle
    /// first, at most `limit`. The abandon limit's candidates.
    async fn idle_handoffs(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(HandoffRow, i64)>, StoreError>;
    /// Webhook deliveries due at `now_ms`, across tenants. A shared backend *claims* them:
    /// no other host is handed the same rows until [`CLAIM_MS`] has passed, so each row is
    /// attempted by one host, and a host that dies mid-delivery leaves them to another.
    async fn due_deliveries(&self, now_ms: i64, limit: usize)
        -> Result<Vec<OutboxRow>, StoreError>;
    /// Record a delivery attempt's outcome.
    async fn delivery_result(&self, id: i64, result: DeliveryResult) -> Result<(), StoreError>;
    /// Outbox rows per tenant and kind (webhook, SMS, alert), for the operator's status.
    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>, StoreError>;

    /// Store a new key's hash.
    async fn insert_key(&self, key: KeyRow) -> Result<(), StoreError>;
    /// The key with this hash, revoked or expired ones too (see [`KeyRow::state`]).
    async fn key_by_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError>;
    /// The key with this id, revoked or expired ones too.
    async fn key_by_id(&self, id: &str) -> Result<Option<KeyRow>, StoreError>;
    /// Revoke a key by id at `now_ms`; `false` if there was no such unrevoked key.
    async fn revoke_key(&self, id: &str, now_ms: i64) -> Result<bool, StoreError>;
    /// Every key (without secrets), optionally of one tenant.
    async fn keys(&self, tenant: Option<&str>) -> Result<Vec<KeyRow>, StoreError>;

    // Reports, export and decision-log retention (`sqlite/report.rs`).

    /// The conversations that started in `[from_ms, to_ms)` (at most `limit`, oldest first)
    /// with their messages, handoffs and decision-log rows, and the customers' contacts up
    /// to `follow_ms` after the window.
    async fn recorded_window(
        &self,
        tenant: &str,
        from_ms: i64,
        to_ms: i64,
        follow_ms: i64,
        limit: usize,
    ) -> Result<RecordedWindow, StoreError>;
    /// Delete the tenant's decision-log rows older than `before_ms`, then its oldest rows
    /// beyond `keep_at_most`; returns how many were deleted.
    async fn prune_decisions(
        &self,
        tenant: &str,
        before_ms: i64,
        keep_at_most: u64,
    ) -> Result<u64, StoreError>;
    /// Every tenant with rows in the decision log.
    async fn decision_log_tenants(&self) -> Result<Vec<String>, StoreError>;

    // Several hosts on one store.

    /// Take or renew the lease `name` for `holder` for `ttl_ms`; `true` if `holder` has it.
    /// A lease whose holder stopped renewing it is free once it has run out. The embedded
    /// store serves one host, which always holds every lease.
    async fn lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool, StoreError> {
        let _ = (name, holder, ttl_ms);
        Ok(true)
    }
    /// Give up `holder`'s leases (a host shutting down), so another host takes over at once.
    async fn release_leases(&self, holder: &str) -> Result<(), StoreError> {
        let _ = holder;
        Ok(())
    }
    /// Record the versions `host` serves now: `(tenant, version)`.
    async fn report_versions(
        &self,
        host: &str,
        versions: &[(String, String)],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let _ = (host, versions, now_ms);
        Ok(())
    }
    /// What every host reported since `since_ms`. The embedded store has only this host,
    /// which the caller knows: empty.
    async fn host_versions(&self, since_ms: i64) -> Result<Vec<HostVersion>, StoreError> {
        let _ = since_ms;
        Ok(Vec::new())
    }
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Who watches which conversation on this host; `apply` tells it what each commit
    /// touched, once durable.
    fn commits(&self) -> &CommitFeed;
}

/// How long a claimed outbox row is left to the host that claimed it.
pub const CLAIM_MS: i64 = 30_000;

/// A shared handle to whichever backend serves this host.
pub type SharedStore = Arc<dyn Store>;

/// Open the store named by `--data`: a `postgres://` URL (shared by several hosts) or a
/// folder path (SQLite inside it, one host).
pub async fn open(data: &str) -> Result<SharedStore, StoreError> {
    if postgres::is_url(data) {
        return Ok(Arc::new(PgStore::open(data).await?));
    }
    Ok(Arc::new(SqliteStore::open(std::path::Path::new(data))?))
}
