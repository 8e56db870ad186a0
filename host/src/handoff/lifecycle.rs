//! A handoff's life after it opens: offer, accept, decline or time out, reply, resolve,
//! hand back; agents' presence; queue promotion. Each step is one conditional write.

use super::desk::{Desk, DeskError};
use super::notice::{self, Notice};
use super::roster;
use crate::config::{NoticeKind, TenantConfig, WebhookEvent};
use crate::store::*;
use baton_plugin_sdk::{Message, Presence, Role};
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
    #[serde(default)]
    pub csat: Option<i64>,
    /// A note for the record.
    #[serde(default)]
    pub note: Option<String>,
}

/// Append a lifecycle event and the webhook deliveries of the tenant's webhooks that want it.
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
    for hook in config.webhooks.iter().filter(|h| h.wants(kind)) {
        w.deliveries.push(NewDelivery {
            event: index,
            url: hook.url.clone(),
            secret_env: hook.secret_env.clone().unwrap_or_default(),
        });
    }
    // SMS replies and notices, agent alerts: through the same outbox.
    crate::channels::outbound::push(w, config, kind, conversation_id, index);
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

/// Offer `h` to the next agent on its route who has not declined it, or queue it.
pub(crate) fn place(
    h: &mut HandoffRow,
    roster: &baton_plugin_sdk::Roster,
    config: &TenantConfig,
    now_ms: i64,
) {
    let next = h.route.iter().find(|id| {
        !h.declined_by.contains(id)
            && roster
                .agents
                .iter()
                .any(|a| &a.id == *id && a.presence != Presence::Offline)
    });
    match next {
        Some(agent) => {
            h.state = HandoffState::Offered;
            h.offered_to = Some(agent.clone());
            h.offer_expires_ms = Some(now_ms + config.limits.offer_timeout_secs as i64 * 1000);
        }
        None => {
            h.state = HandoffState::Queued;
            h.offered_to = None;
            h.offer_expires_ms = None;
        }
    }
}

pub(crate) fn placed_event(h: &HandoffRow) -> (WebhookEvent, serde_json::Value) {
    match h.state {
        HandoffState::Offered => (
            WebhookEvent::HandoffOffered,
            json!({"handoff": h, "agent_id": h.offered_to, "expires_ms": h.offer_expires_ms}),
        ),
        _ => (
            WebhookEvent::HandoffQueued,
            json!({"handoff": h, "queue": h.queue}),
        ),
    }
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
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
    /// get a conflict.
    pub(super) async fn accept_once(
        &self,
        tenant: &str,
        id: &str,
        agent: &str,
    ) -> Result<HandoffRow, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        if config.agent(agent).is_none() {
            return Err(DeskError::Forbidden(format!(
                "`{agent}` is not on the tenant's roster"
            )));
        }
        let current = self.load_handoff(tenant, id).await?;
        if !matches!(current.state, HandoffState::Offered | HandoffState::Queued) {
            return Err(match current.accepted_by {
                Some(who) if current.state == HandoffState::Accepted => {
                    DeskError::Conflict(format!("handoff `{id}` was already accepted by `{who}`"))
                }
                _ => DeskError::Conflict(format!("handoff `{id}` is {}", current.state.as_str())),
            });
        }
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let _guard = lock.lock().await;
        let mut conversation = self
            .conversation_of(tenant, &current.conversation_id)
            .await?;
        let now = now_ms();
        let mut h = current.clone();
        h.state = HandoffState::Accepted;
        h.accepted_by = Some(agent.to_string());
        h.accepted_ms = Some(now);
        h.offered_to = None;
        h.offer_expires_ms = None;
        let notice = notice::render(
            config,
            NoticeKind::Joined,
            Some(agent),
            None,
            jiff::Timestamp::now(),
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
        w.handoff_updates.push(HandoffUpdate {
            id: id.to_string(),
            expect_states: vec![HandoffState::Offered, HandoffState::Queued],
            expect_agent: None,
            row: h.clone(),
        });
        w.conversation = Some(conversation);
        match self.commit(tenant, w).await {
            Ok(_) => {
                self.metrics.waited(config, &h.queue, now - h.opened_ms);
                Ok(h)
            }
            Err(DeskError::Conflict(_)) => {
                let now_row = self.load_handoff(tenant, id).await?;
                Err(DeskError::Conflict(match now_row.accepted_by {
                    Some(who) => format!("handoff `{id}` was already accepted by `{who}`"),
                    None => format!("handoff `{id}` is {}", now_row.state.as_str()),
                }))
            }
            Err(e) => Err(e),
        }
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
        let offered_to_agent =
            current.state == HandoffState::Offered && current.offered_to.as_deref() == Some(agent);
        let queued = current.state == HandoffState::Queued;
        // The agent it is offered to may decline it; anyone may pass on a queued one, but a
        // timeout only ever concerns an offer.
        if !(offered_to_agent || queued && !timed_out) {
            return Err(DeskError::Conflict(format!(
                "handoff `{id}` is not offered to `{agent}`"
            )));
        }
        let (presence, stats) = (
            self.store.presence(tenant).await?,
            self.store.live_stats(tenant).await?,
        );
        let roster = roster::build(config, &presence, &stats);
        let now = now_ms();
        let mut h = current.clone();
        if !h.declined_by.iter().any(|a| a == agent) {
            h.declined_by.push(agent.to_string());
        }
        place(&mut h, &roster, config, now);
        let mut w = WriteSet::default();
        push_event(
            &mut w,
            config,
            WebhookEvent::HandoffDeclined,
            Some(&h),
            &h.conversation_id,
            json!({"handoff": h, "agent_id": agent, "timed_out": timed_out}),
            now,
        );
        let (kind, data) = placed_event(&h);
        push_event(
            &mut w,
            config,
            kind,
            Some(&h),
            &h.conversation_id,
            data,
            now,
        );
        w.handoff_updates.push(HandoffUpdate {
            id: id.to_string(),
            expect_states: vec![current.state],
            expect_agent: current.offered_to.clone().filter(|_| offered_to_agent),
            row: h.clone(),
        });
        self.commit(tenant, w).await?;
        Ok(h)
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
        let now = now_ms();
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
        if current.state != HandoffState::Accepted || current.accepted_by.as_deref() != Some(agent)
        {
            return Err(DeskError::Conflict(format!(
                "handoff `{id}` is not accepted by `{agent}`"
            )));
        }
        let lock = self.conversation_lock(tenant, &current.conversation_id);
        let _guard = lock.lock().await;
        let mut conversation = self
            .conversation_of(tenant, &current.conversation_id)
            .await?;
        let now = now_ms();
        let mut h = current.clone();
        h.closed_ms = Some(now);
        let mut w = WriteSet::default();
        match resolve {
            Some(r) => {
                h.state = HandoffState::Resolved;
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
                h.state = HandoffState::HandedBack;
                h.note = note;
                let notice = notice::render(
                    config,
                    NoticeKind::Handback,
                    Some(agent),
                    None,
                    jiff::Timestamp::now(),
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
        w.handoff_updates.push(HandoffUpdate {
            id: id.to_string(),
            expect_states: vec![HandoffState::Accepted],
            expect_agent: Some(agent.to_string()),
            row: h.clone(),
        });
        w.conversation = Some(conversation);
        self.commit(tenant, w).await?;
        self.promote(tenant).await?;
        Ok(h)
    }

    /// An agent sets their presence (and optionally their capacity).
    pub async fn set_presence(
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
            updated_ms: now_ms(),
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
