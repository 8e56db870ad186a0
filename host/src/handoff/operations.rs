//! What the desk does for its callers: every public operation, in one file, so a reader sees
//! the whole service at once (the work of each lives in the module of its concern).
//!
//! Operations that read, decide and write a conversation run again when another host wrote
//! the same conversation first.
//!
//! On one host a per-conversation lock keeps those operations in order. Several hosts on one
//! database cannot share that lock, so the database settles it: a write set that lost a race
//! (its message number or idempotency key was taken a moment earlier) changes nothing and
//! reports [`DeskError::Raced`]; the operation then starts over on fresh reads, which see the
//! winner's write: the retried ingest returns the stored answer of its idempotency key, the
//! losing accept reports who accepted.

use super::accept_link::{LinkAccepted, LinkOffer};
use super::desk::{Desk, DeskError};
use super::ingest::{IngestRequest, IngestResponse, Ingested};
use super::lifecycle::ResolveRequest;
use super::transitions::AbandonedBy;
use super::wait::WaitEstimate;
use super::widget_turn::{TurnTaken, WidgetTurn};
use crate::store::{HandoffRow, MessageRow, PresenceRow};
use baton_plugin_sdk::Presence;
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

    /// Accept the link's handoff as the link's agent, once. A link used meanwhile (a second
    /// tap, another host) answers 410; a handoff someone else took answers 409 naming them.
    pub async fn accept_by_link(&self, token: &str) -> Result<LinkAccepted, DeskError> {
        self.retry_raced("accept link", || self.accept_by_link_once(token))
            .await
    }

    /// What the link stands for, for its page (reading it does not use it).
    pub async fn link_offer(&self, token: &str) -> Result<LinkOffer, DeskError> {
        self.link_offer_of(token).await
    }

    /// One widget turn on conversation `id`: store and decide on the visitor's message, then,
    /// while no handoff is open, ask the tenant's bot and store its answer. A bot that fails
    /// or answers over the tenant's limits loses only its own turn: the customer's message is
    /// already stored and decided on.
    pub async fn widget_turn(
        &self,
        tenant: &str,
        id: &str,
        turn: WidgetTurn,
    ) -> Result<TurnTaken, DeskError> {
        self.widget_turn_once(tenant, id, turn).await
    }

    /// An agent sets their presence (and optionally their capacity).
    pub async fn set_presence(
        &self,
        tenant: &str,
        agent: &str,
        presence: Presence,
        capacity: Option<u32>,
    ) -> Result<PresenceRow, DeskError> {
        self.set_presence_of(tenant, agent, presence, capacity)
            .await
    }

    /// Where an open handoff's customer stands now: recomputed from the live queue, so the
    /// estimate moves as the queue does. `None` once a person has accepted.
    pub async fn current_wait(
        &self,
        tenant: &str,
        h: &HandoffRow,
    ) -> Result<Option<WaitEstimate>, DeskError> {
        self.current_wait_of(tenant, h).await
    }

    // The background rounds (the server's jobs run them).

    /// Offer queued handoffs to agents who have room, most urgent and oldest first.
    pub async fn promote(&self, tenant: &str) -> Result<usize, DeskError> {
        self.promote_queued(tenant).await
    }

    /// Time out every offer whose reservation ran out: re-route each to the next choice.
    pub async fn expire_offers(&self) -> Result<usize, DeskError> {
        self.expire_offers_due().await
    }

    /// One round of the abandon limit over every tenant that sets one: close each handoff
    /// waiting for an agent whose customer wrote nothing for `abandon_after_secs` of the
    /// business's open hours. Returns how many it closed.
    pub async fn abandon_idle(&self) -> Result<usize, DeskError> {
        self.abandon_idle_all().await
    }
}
