//! A handoff's life after it opens: offer, accept, decline or time out, reply, resolve,
//! hand back; agents' presence; queue promotion. Each step is one conditional write.

use super::desk::{Desk, DeskError};
use super::notice::{self, Notice};
use super::reroute;
use super::roster;
use super::transitions::{self, placed_event, NotTheirs};
use crate::config::{Language, NoticeKind, TenantConfig, WebhookEvent};
use crate::store::{
    Applied, ConversationRow, HandoffRow, HandoffState, LiveStats, MessageRow, NewEvent,
    PresenceRow, Room, StoredResponse, WriteSet,
};
use baton_plugin_sdk::{Message, Presence, Role, Roster};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How a handoff ended, as the agent reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A job was booked.
    Booked,
    /// The customer's question or problem was resolved.
    Resolved,
    /// It was not resolved.
    NotResolved,
    /// The customer stopped answering.
    NoResponse,
    /// Spam or not a customer.
    Spam,
}

impl Outcome {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Booked => "booked",
            Outcome::Resolved => "resolved",
            Outcome::NotResolved => "not_resolved",
            Outcome::NoResponse => "no_response",
            Outcome::Spam => "spam",
        }
    }
}

/// `POST /v1/handoffs/{id}/resolve`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// How it ended.
    pub outcome: Outcome,
    /// The customer's satisfaction, 1 to 5, if they gave one.
    #[serde(default, deserialize_with = "super::whole::option")]
    #[schema(minimum = 1, maximum = 5)]
    pub csat: Option<i64>,
    /// A note for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// A handoff that moved without a person taking it: before and after, with the roster and
/// the live figures the move was decided on (for the notice's agent and wait).
#[derive(Clone, Copy)]
pub(super) struct Moved<'a> {
    pub before: &'a HandoffRow,
    pub after: &'a HandoffRow,
    pub roster: &'a Roster,
    pub stats: &'a LiveStats,
}

/// Append a lifecycle event and the outbox deliveries it calls for.
pub(crate) fn push_event(
    w: &mut WriteSet,
    config: &TenantConfig,
    kind: WebhookEvent,
    handoff: Option<&HandoffRow>,
    conversation_id: &str,
    data: serde_json::Value,
    at_ms: i64,
) {
    let index = w.events.len();
    w.events.push(NewEvent {
        kind: kind.as_str().to_string(),
        handoff_id: handoff.map(|h| h.id.clone()),
        conversation_id: Some(conversation_id.to_string()),
        data,
        at_ms,
    });
    // Webhooks, SMS replies and notices, agent alerts: the outbox rows it calls for.
    crate::outbox::push(w, config, kind, conversation_id, index);
}

/// Append a system message (a notice the customer is shown) to the conversation.
pub(crate) fn push_notice_message(
    w: &mut WriteSet,
    conversation: &mut ConversationRow,
    notice: &Notice,
    now_ms: i64,
) {
    w.messages.push(MessageRow {
        seq: conversation.message_count,
        message: Message {
            role: Role::System,
            text: notice.text.clone(),
            at_ms: now_ms,
            intent: Some(format!("notice.{}", notice.kind)),
            confidence: None,
        },
        agent_id: None,
    });
    conversation.message_count += 1;
    conversation.updated_ms = now_ms;
}

impl Desk {
    /// The conversation a handoff belongs to (call with its lock held when writing).
    async fn conversation_of(&self, tenant: &str, id: &str) -> Result<ConversationRow, DeskError> {
        self.store
            .conversation(tenant, id)
            .await?
            .ok_or(DeskError::NotFound("conversation"))
    }

    async fn load_handoff(&self, tenant: &str, id: &str) -> Result<HandoffRow, DeskError> {
        self.store
            .handoff(tenant, id)
            .await?
            .ok_or(DeskError::NotFound("handoff"))
    }

    pub(crate) async fn commit(&self, tenant: &str, w: WriteSet) -> Result<Applied, DeskError> {
        let applied = self.store.apply(tenant, w).await?;
        self.notify();
        Ok(applied)
    }

    /// An agent accepts a handoff. Exactly one of several racing agents wins; the others
    /// get a conflict. `record` is written in the same transaction (an accept link marked
    /// used: it commits with the accept or not at all).
    pub(super) async fn accept_once(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        record: Option<(String, StoredResponse)>,
    ) -> Result<HandoffRow, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        if config.agent(agent).is_none() {
            return Err(DeskError::Forbidden(format!(
                "`{agent}` is not on the tenant's roster"
            )));
        }
        let current = self.load_handoff(tenant, id).await?;
        let mut h = current.clone();
        let now = self.clock.now_ms();
        transitions::accept(&mut h, agent, now).map_err(|r| DeskError::Conflict(r.0))?;
        let room = self.accept_rule(tenant, config, &current, agent).await?;
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let _guard = lock.lock().await;
        let mut conversation = self
            .conversation_of(tenant, &current.conversation_id)
            .await?;
        let notice = notice::render(
            config,
            NoticeKind::Joined,
            Language::of_tags(&h.tags),
            Some(agent),
            None,
            self.clock.now(),
        );
        let mut w = WriteSet::default();
        push_notice_message(&mut w, &mut conversation, &notice, now);
        push_event(
            &mut w,
            config,
            WebhookEvent::HandoffAccepted,
            Some(&h),
            &h.conversation_id,
            json!({"handoff": h, "agent_id": agent, "notice": notice}),
            now,
        );
        let mut update = transitions::update(&current, None, &h);
        // Picked from the queue: the seat must still be free when the accept commits.
        update.room = room;
        w.handoff_updates.push(update);
        w.conversation = Some(conversation);
        w.idempotency = record;
        match self.commit(tenant, w).await {
            Ok(_) => {
                self.metrics.waited(config, &h.queue, now - h.opened_ms);
                Ok(h)
            }
            Err(DeskError::Conflict(m)) => {
                let now_row = self.load_handoff(tenant, id).await?;
                Err(DeskError::Conflict(match now_row.accepted_by {
                    Some(who) => format!("handoff `{id}` was already accepted by `{who}`"),
                    // Unchanged: the seat was filled meanwhile (the store says so).
                    None if now_row.state == current.state
                        && now_row.offered_to == current.offered_to =>
                    {
                        m
                    }
                    None => format!("handoff `{id}` is {}", now_row.state.as_str()),
                }))
            }
            Err(e) => Err(e),
        }
    }

    /// Whether `agent` may accept `h` now by the accept rule (`transitions::may_accept`),
    /// with their presence and load as they are: the seat the accept takes, or 403 (offline)
    /// / 409 (offered to someone else, no room) saying why.
    pub(super) async fn accept_rule(
        &self,
        tenant: &str,
        config: &TenantConfig,
        h: &HandoffRow,
        agent: &str,
    ) -> Result<Option<Room>, DeskError> {
        let (presence, stats) = (
            self.store.presence(tenant).await?,
            self.store.live_stats(tenant).await?,
        );
        let roster = roster::build(config, &presence, &stats);
        let Some(a) = roster.agents.iter().find(|a| a.id == agent) else {
            return Err(DeskError::Forbidden(format!(
                "`{agent}` is not on the tenant's roster"
            )));
        };
        transitions::may_accept(h, a).map_err(|r| match r {
            NotTheirs::Offline(m) => DeskError::Forbidden(m),
            NotTheirs::OfferedToOther(m) | NotTheirs::Full(m) => DeskError::Conflict(m),
        })
    }

    /// An agent declines an offer (or it timed out): offer to the next on the route, or queue.
    pub(super) async fn decline_once(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        timed_out: bool,
    ) -> Result<HandoffRow, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        let current = self.load_handoff(tenant, id).await?;
        let mut h = current.clone();
        transitions::decline(&mut h, agent, timed_out).map_err(|r| DeskError::Conflict(r.0))?;
        let (presence, stats) = (
            self.store.presence(tenant).await?,
            self.store.live_stats(tenant).await?,
        );
        let roster = roster::build(config, &presence, &stats);
        let now = self.clock.now_ms();
        let mut w = WriteSet::default();
        // Re-route on the roster as it is now: the policy decides the next offer.
        self.reroute(tenant, &version, &mut h, &roster, &mut w)
            .await?;
        let page = reroute::pages_offline(&h);
        transitions::place(&mut h, &roster, config, page, now);
        push_event(
            &mut w,
            config,
            WebhookEvent::HandoffDeclined,
            Some(&h),
            &h.conversation_id,
            json!({"handoff": h, "agent_id": agent, "timed_out": timed_out}),
            now,
        );
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let guard = lock.lock().await;
        let moved = Moved {
            before: &current,
            after: &h,
            roster: &roster,
            stats: &stats,
        };
        self.push_placed(tenant, config, moved, &mut w, now).await?;
        let by = current.offered_to.as_deref().filter(|a| *a == agent);
        w.handoff_updates
            .push(transitions::update(&current, by, &h));
        self.commit(tenant, w).await?;
        drop(guard);
        self.promote(tenant).await?;
        Ok(h)
    }

    /// Tell the customer where their handoff went (a decline, a timed-out offer, a promotion
    /// from the queue): the notice for its new place ([`notice::moved_kind`]) in their
    /// language, with the new agent's first name and the wait, as a message of the
    /// conversation; the caller puts it on the `handoff.offered` / `handoff.queued` event of
    /// the same write (an SMS customer gets it from there, once). `None` when nothing the
    /// customer would care about changed, or the words are the ones they were just told
    /// (`emergency` again for another agent), except that an emergency nobody was reached for
    /// is always told (with the emergency phone). Call with the conversation's lock held.
    /// Where a moved handoff was placed (`handoff.offered` / `handoff.queued`), with what the
    /// customer is told of it (see [`Desk::tell_moved`]), into `w`. Call with the
    /// conversation's lock held.
    pub(super) async fn push_placed(
        &self,
        tenant: &str,
        config: &TenantConfig,
        moved: Moved<'_>,
        w: &mut WriteSet,
        now: i64,
    ) -> Result<(), DeskError> {
        let h = moved.after;
        let (kind, mut data) = placed_event(h);
        if let Some(notice) = self.tell_moved(tenant, config, moved, w, now).await? {
            data["notice"] = json!(notice);
        }
        push_event(w, config, kind, Some(h), &h.conversation_id, data, now);
        Ok(())
    }

    async fn tell_moved(
        &self,
        tenant: &str,
        config: &TenantConfig,
        moved: Moved<'_>,
        w: &mut WriteSet,
        now: i64,
    ) -> Result<Option<Notice>, DeskError> {
        let Moved {
            before,
            after,
            roster,
            stats,
        } = moved;
        let open = config.clock_at(self.clock.now()).open;
        let Some(kind) = notice::moved_kind(before, after, roster, open) else {
            return Ok(None);
        };
        let wait = self.wait_for(tenant, after, roster, stats).await?;
        let notice = notice::render(
            config,
            kind,
            Language::of_tags(&after.tags),
            after.offered_to.as_deref(),
            Some(wait),
            self.clock.now(),
        );
        let messages = self.store.messages(tenant, &after.conversation_id).await?;
        let last_told = messages.iter().rev().find(|m| {
            m.message.role == Role::System
                && m.message
                    .intent
                    .as_deref()
                    .is_some_and(|i| i.starts_with("notice."))
        });
        let repeated = last_told.is_some_and(|m| m.message.text == notice.text);
        if repeated && !reroute::nobody_reached(before, after) {
            return Ok(None);
        }
        let mut conversation = match w.conversation.take() {
            Some(c) => c,
            None => self.conversation_of(tenant, &after.conversation_id).await?,
        };
        push_notice_message(w, &mut conversation, &notice, now);
        w.conversation = Some(conversation);
        Ok(Some(notice))
    }

    /// The accepting agent writes to the customer.
    pub(super) async fn agent_message_once(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        text: &str,
    ) -> Result<MessageRow, DeskError> {
        let version = self.version(tenant)?;
        let h = self.load_handoff(tenant, id).await?;
        if h.state != HandoffState::Accepted || h.accepted_by.as_deref() != Some(agent) {
            return Err(DeskError::Conflict(format!(
                "handoff `{id}` is not accepted by `{agent}`"
            )));
        }
        let lock = self.conversation_lock(tenant, &h.conversation_id);
        let _guard = lock.lock().await;
        let mut conversation = self.conversation_of(tenant, &h.conversation_id).await?;
        let now = self.clock.now_ms();
        let row = MessageRow {
            seq: conversation.message_count,
            message: Message {
                role: Role::Agent,
                text: text.to_string(),
                at_ms: now,
                intent: None,
                confidence: None,
            },
            agent_id: Some(agent.to_string()),
        };
        conversation.message_count += 1;
        conversation.updated_ms = now;
        let mut w = WriteSet::default();
        push_event(
            &mut w,
            &version.config,
            WebhookEvent::HandoffMessage,
            Some(&h),
            &h.conversation_id,
            json!({"message": row}),
            now,
        );
        w.messages.push(row.clone());
        w.conversation = Some(conversation);
        self.commit(tenant, w).await?;
        Ok(row)
    }

    /// Close a handoff: resolved with an outcome, or handed back to the bot with a note.
    pub(super) async fn close_once(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
        resolve: Option<ResolveRequest>,
        note: Option<String>,
    ) -> Result<HandoffRow, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        let current = self.load_handoff(tenant, id).await?;
        let now = self.clock.now_ms();
        let mut h = current.clone();
        let to = match resolve {
            Some(_) => HandoffState::Resolved,
            None => HandoffState::HandedBack,
        };
        transitions::close(&mut h, agent, to, now).map_err(|r| DeskError::Conflict(r.0))?;
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let guard = lock.lock().await;
        let mut conversation = self
            .conversation_of(tenant, &current.conversation_id)
            .await?;
        let mut w = WriteSet::default();
        match resolve {
            Some(r) => {
                h.outcome = Some(r.outcome.as_str().to_string());
                h.csat = r.csat;
                h.note = r.note;
                push_event(
                    &mut w,
                    config,
                    WebhookEvent::HandoffResolved,
                    Some(&h),
                    &h.conversation_id,
                    json!({"handoff": h}),
                    now,
                );
            }
            None => {
                h.note = note;
                let notice = notice::render(
                    config,
                    NoticeKind::Handback,
                    Language::of_tags(&h.tags),
                    Some(agent),
                    None,
                    self.clock.now(),
                );
                push_notice_message(&mut w, &mut conversation, &notice, now);
                push_event(
                    &mut w,
                    config,
                    WebhookEvent::HandoffHandedBack,
                    Some(&h),
                    &h.conversation_id,
                    json!({"handoff": h, "notice": notice}),
                    now,
                );
            }
        }
        // The trigger's next segment starts with the next message.
        h.closed_seq = Some(conversation.message_count);
        w.handoff_updates
            .push(transitions::update(&current, Some(agent), &h));
        w.conversation = Some(conversation);
        self.commit(tenant, w).await?;
        // Promotion locks the conversations it tells: never while holding this one.
        drop(guard);
        self.promote(tenant).await?;
        Ok(h)
    }

    /// The work of [`Desk::set_presence`] (see `operations.rs`).
    pub(super) async fn set_presence_of(
        &self,
        tenant: &str,
        agent: &str,
        presence: Presence,
        capacity: Option<u32>,
    ) -> Result<PresenceRow, DeskError> {
        let version = self.version(tenant)?;
        if version.config.agent(agent).is_none() {
            return Err(DeskError::NotFound("agent"));
        }
        let row = PresenceRow {
            agent_id: agent.to_string(),
            presence,
            capacity,
            updated_ms: self.clock.now_ms(),
        };
        self.commit(
            tenant,
            WriteSet {
                presence: vec![row.clone()],
                ..WriteSet::default()
            },
        )
        .await?;
        self.promote(tenant).await?;
        Ok(row)
    }
}
