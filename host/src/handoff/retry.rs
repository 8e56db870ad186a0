//! Operations that read, decide and write a conversation, run again when another host wrote
//! the same conversation first.
//!
//! On one host a per-conversation lock keeps those operations in order. Several hosts on one
//! database cannot share that lock, so the database settles it: a write set that lost a race
//! (its message number or idempotency key was taken a moment earlier) changes nothing and
//! reports [`DeskError::Raced`]; the operation then starts over on fresh reads, which see the
//! winner's write: the retried ingest returns the stored answer of its idempotency key, the
//! losing accept reports who accepted.

use super::desk::{Desk, DeskError};
use super::ingest::{IngestRequest, IngestResponse, Ingested};
use super::lifecycle::ResolveRequest;
use super::transitions::AbandonedBy;
use crate::store::{HandoffRow, MessageRow};
use std::future::Future;
use std::time::Duration;

/// Attempts before a lost race is reported as a conflict.
const ATTEMPTS: u32 = 5;

impl Desk {
    pub(super) async fn retry_raced<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T, DeskError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, DeskError>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(DeskError::Raced(m)) if attempt < ATTEMPTS => {
                    tracing::debug!(operation = what, attempt, reason = %m, "lost a write race; running again");
                    // A little spread, so two hosts that collided do not collide again.
                    let jitter = rand::random_range(0..5u64 << attempt);
                    tokio::time::sleep(Duration::from_millis(jitter)).await;
                    attempt += 1;
                }
                Err(DeskError::Raced(m)) => return Err(DeskError::Conflict(m)),
                other => return other,
            }
        }
    }

    /// Ingest one event of conversation `id`. With an idempotency key, an event the key
    /// already answered is answered the same way again ([`Ingested::Replayed`]).
    pub async fn ingest(
        &self,
        tenant: &str,
        id: &str,
        req: IngestRequest,
        idempotency_key: Option<String>,
    ) -> Result<Ingested, DeskError> {
        let key = idempotency_key.as_deref();
        self.retry_raced("ingest", || self.ingest_once(tenant, id, &req, key))
            .await
    }

    /// Ingest one event that carries no idempotency key (the widget, simulations): it is
    /// always stored now, so the answer is the event's own.
    pub async fn ingest_unkeyed(
        &self,
        tenant: &str,
        id: &str,
        req: IngestRequest,
    ) -> Result<IngestResponse, DeskError> {
        self.retry_raced("ingest", || self.ingest_unkeyed_once(tenant, id, &req))
            .await
    }

    /// An agent accepts a handoff. Exactly one of several racing agents wins, whichever
    /// host each asked; the others get a conflict naming the winner.
    pub async fn accept(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
    ) -> Result<HandoffRow, DeskError> {
        self.retry_raced("accept", || self.accept_once(tenant, id, agent, None))
            .await
    }

    /// An agent declines an offer (or it timed out): offer to the next on the route, or queue.
    pub async fn decline(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        timed_out: bool,
    ) -> Result<HandoffRow, DeskError> {
        self.retry_raced("decline", || {
            self.decline_once(tenant, id, agent, timed_out)
        })
        .await
    }

    /// The accepting agent writes to the customer.
    pub async fn agent_message(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        text: &str,
    ) -> Result<MessageRow, DeskError> {
        self.retry_raced("agent_message", || {
            self.agent_message_once(tenant, id, agent, text)
        })
        .await
    }

    /// Close a handoff: resolved with an outcome, or handed back to the bot with a note.
    pub async fn close(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        resolve: Option<ResolveRequest>,
        note: Option<String>,
    ) -> Result<HandoffRow, DeskError> {
        self.retry_raced("close", || {
            self.close_once(tenant, id, agent, resolve.clone(), note.clone())
        })
        .await
    }

    /// Close a handoff nobody accepted (queued or offered) as abandoned: the customer left,
    /// an agent clears a stale one, or the abandon limit ran out (`idle_ms`: how long the
    /// customer was silent). `reason` becomes its note. Abandoning an abandoned handoff
    /// answers it as it is; an accepted or closed one is a conflict naming its state.
    pub async fn abandon(
        &self,
        tenant: &str,
        id: &str,
        by: AbandonedBy<'_>,
        reason: Option<&str>,
        idle_ms: Option<i64>,
    ) -> Result<HandoffRow, DeskError> {
        self.retry_raced("abandon", || {
            self.abandon_once(tenant, id, by, reason, idle_ms)
        })
        .await
    }
}
