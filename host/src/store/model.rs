//! The records the store keeps, and the write set that changes them.

use serde::{Deserialize, Serialize};

/// A conversation's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    /// The channel's id for it.
    pub id: String,
    /// `web_chat`, `sms`, ...
    pub channel: String,
    /// The customer profile as last sent (JSON of [`baton_plugin_sdk::Customer`]).
    pub customer: baton_plugin_sdk::Customer,
    /// Phone, email or name: how the customer is recognised across conversations.
    pub customer_key: String,
    /// How many messages it has.
    pub message_count: i64,
    /// Created, ms since the epoch.
    pub created_ms: i64,
    /// Last changed, ms since the epoch.
    pub updated_ms: i64,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRow {
    /// 0-based position in the conversation.
    pub seq: i64,
    /// The message itself.
    #[serde(flatten)]
    pub message: baton_plugin_sdk::Message,
    /// The agent who wrote it (agent messages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

/// Where a handoff is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffState {
    /// Reserved for one agent until the offer times out.
    Offered,
    /// Waiting in a queue for an agent.
    Queued,
    /// An agent has it.
    Accepted,
    /// Closed by an agent with an outcome.
    Resolved,
    /// Returned to the bot.
    HandedBack,
    /// The customer left before anyone accepted.
    Abandoned,
}

impl HandoffState {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffState::Offered => "offered",
            HandoffState::Queued => "queued",
            HandoffState::Accepted => "accepted",
            HandoffState::Resolved => "resolved",
            HandoffState::HandedBack => "handed_back",
            HandoffState::Abandoned => "abandoned",
        }
    }
    /// Parse a stored or requested name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "offered" => HandoffState::Offered,
            "queued" => HandoffState::Queued,
            "accepted" => HandoffState::Accepted,
            "resolved" => HandoffState::Resolved,
            "handed_back" => HandoffState::HandedBack,
            "abandoned" => HandoffState::Abandoned,
            _ => return None,
        })
    }
    /// Whether the handoff still needs or has a person.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            HandoffState::Offered | HandoffState::Queued | HandoffState::Accepted
        )
    }
}

/// One handoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandoffRow {
    /// Its id.
    pub id: String,
    /// The conversation it hands over.
    pub conversation_id: String,
    /// Where it is in its life.
    pub state: HandoffState,
    /// Why it was opened (`snake_case`).
    pub reason: String,
    /// `low` .. `urgent`.
    pub priority: baton_plugin_sdk::Priority,
    /// The decision's tags.
    pub tags: Vec<String>,
    /// The queue it waits in (or would).
    pub queue: String,
    /// Agents to offer to, best first, as routed.
    pub route: Vec<String>,
    /// Agents who declined or let the offer time out.
    pub declined_by: Vec<String>,
    /// The agent it is reserved for now (state `offered`).
    pub offered_to: Option<String>,
    /// When that reservation runs out, ms since the epoch.
    pub offer_expires_ms: Option<i64>,
    /// The agent who accepted it.
    pub accepted_by: Option<String>,
    /// Opened, ms since the epoch.
    pub opened_ms: i64,
    /// Accepted, ms since the epoch.
    pub accepted_ms: Option<i64>,
    /// Closed (resolved, handed back, abandoned), ms since the epoch.
    pub closed_ms: Option<i64>,
    /// The outcome given at resolve time.
    pub outcome: Option<String>,
    /// The customer's satisfaction score, 1 to 5.
    pub csat: Option<i64>,
    /// The agent's note at hand-back or resolve.
    pub note: Option<String>,
    /// The policy version that decided to escalate.
    pub policy_version: String,
    /// The index of the message that triggered it.
    pub trigger_seq: i64,
    /// The decision's explanation.
    pub explanation: String,
    /// Whether it was opened outside business hours.
    pub after_hours: bool,
    /// The routing explanation.
    pub routing_note: String,
}

/// A filter for listing handoffs.
#[derive(Debug, Clone, Default)]
pub struct HandoffFilter {
    /// Only in this state.
    pub state: Option<HandoffState>,
    /// Only in this queue.
    pub queue: Option<String>,
    /// Only open ones (offered, queued, accepted).
    pub open_only: bool,
    /// At most this many.
    pub limit: usize,
}

/// A stored API response, for idempotent retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// One lifecycle event (the SSE stream and webhooks are made of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    /// Monotonic id, the SSE `id:`.
    pub id: i64,
    /// `handoff.opened`, `handoff.accepted`, ...
    pub kind: String,
    /// The handoff it concerns.
    pub handoff_id: Option<String>,
    /// The conversation it concerns.
    pub conversation_id: Option<String>,
    /// The event's JSON payload.
    pub data: serde_json::Value,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// Presence an agent has set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceRow {
    /// The agent.
    pub agent_id: String,
    /// Their presence.
    pub presence: baton_plugin_sdk::Presence,
    /// A capacity they set for themselves, overriding the roster's.
    pub capacity: Option<u32>,
    /// When, ms since the epoch.
    pub updated_ms: i64,
}

/// Figures for routing and the wait estimate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveStats {
    /// Accepted handoffs per agent right now.
    pub load: Vec<(String, u32)>,
    /// Handoffs waiting per queue (queued or offered), with the oldest wait's start.
    pub depth: Vec<(String, u32)>,
    /// Recent handle times (accept to close), ms, newest first.
    pub recent_handle_ms: Vec<i64>,
    /// Recent times to accept (open to accept), ms, newest first.
    pub recent_accept_ms: Vec<i64>,
}

/// A webhook delivery waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    /// Outbox id.
    pub id: i64,
    /// The tenant.
    pub tenant: String,
    /// Where to post.
    pub url: String,
    /// The env var holding the signing secret.
    pub secret_env: String,
    /// The exact body to sign and send.
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// How a delivery attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryResult {
    /// Delivered.
    Delivered {
        /// When.
        at_ms: i64,
    },
    /// Failed; try again at `retry_at_ms`, or never (`None`) after too many attempts.
    Failed {
        /// What went wrong.
        error: String,
        /// When to try again.
        retry_at_ms: Option<i64>,
    },
}

/// A stored API key (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyRow {
    /// Public id.
    pub id: String,
    /// SHA-256 of the secret.
    #[serde(skip)]
    pub hash: String,
    /// Tenant (none for operator keys).
    pub tenant: Option<String>,
    /// Role.
    pub role: super::KeyRole,
    /// Agent (agent keys).
    pub agent_id: Option<String>,
    /// Created, ms since the epoch.
    pub created_ms: i64,
    /// Revoked, ms since the epoch.
    pub revoked_ms: Option<i64>,
}

/// One evaluation for the decision log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    /// The conversation.
    pub conversation_id: String,
    /// The message that prompted it.
    pub message_seq: i64,
    /// The tenant version that made it.
    pub policy_version: String,
    /// `live` or `shadow`.
    pub role: String,
    /// What it decided.
    pub decision: baton_plugin_sdk::Decision,
    /// Fault kind, if the policy faulted.
    pub fault_kind: Option<String>,
    /// Fault detail.
    pub fault_detail: Option<String>,
    /// Wall time of the call, µs.
    pub latency_us: i64,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// A change to a handoff, applied only if its preconditions hold.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffUpdate {
    /// The handoff.
    pub id: String,
    /// It must be in one of these states (empty: any).
    pub expect_states: Vec<HandoffState>,
    /// It must be offered to / accepted by this agent.
    pub expect_agent: Option<String>,
    /// The new row (written whole).
    pub row: HandoffRow,
}

/// Everything one request changes, committed together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteSet {
    /// Create or refresh the conversation header.
    pub conversation: Option<ConversationRow>,
    /// Messages to append (their `seq` must be the next ones: a clash is a conflict).
    pub messages: Vec<MessageRow>,
    /// Decision log entries.
    pub decisions: Vec<DecisionRow>,
    /// New handoffs (at most one open per conversation: a second is a conflict).
    pub new_handoffs: Vec<HandoffRow>,
    /// Conditional handoff changes.
    pub handoff_updates: Vec<HandoffUpdate>,
    /// Presence changes.
    pub presence: Vec<PresenceRow>,
    /// Lifecycle events to append: `(kind, handoff, conversation, data)`.
    pub events: Vec<NewEvent>,
    /// Webhook deliveries to enqueue for those events: `(event index in `events`, url, secret env)`.
    pub deliveries: Vec<NewDelivery>,
    /// The response to keep for an idempotency key.
    pub idempotency: Option<(String, StoredResponse)>,
}

/// A lifecycle event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// `handoff.opened`, ...
    pub kind: String,
    /// The handoff.
    pub handoff_id: Option<String>,
    /// The conversation.
    pub conversation_id: Option<String>,
    /// Payload.
    pub data: serde_json::Value,
    /// When.
    pub at_ms: i64,
}

/// A webhook delivery to enqueue for an event of the same write set.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// Index into [`WriteSet::events`].
    pub event: usize,
    /// Where to post.
    pub url: String,
    /// The env var holding the signing secret.
    pub secret_env: String,
}

/// What applying a write set produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Ids of the appended lifecycle events, in order.
    pub event_ids: Vec<i64>,
}

impl HandoffUpdate {
    /// Whether the update may apply to the handoff as stored now (`current`: its state,
    /// `offered_to` and `accepted_by`, read under the writer's lock); a conflict says why not.
    pub(crate) fn check(
        &self,
        current: Option<(String, Option<String>, Option<String>)>,
    ) -> Result<(), super::StoreError> {
        use super::StoreError;
        let Some((state, offered_to, accepted_by)) = current else {
            return Err(StoreError::Conflict(format!(
                "handoff `{}` does not exist",
                self.id
            )));
        };
        let state = HandoffState::parse(&state)
            .ok_or_else(|| StoreError::Database(format!("unknown stored state `{state}`")))?;
        if !self.expect_states.is_empty() && !self.expect_states.contains(&state) {
            return Err(StoreError::Conflict(format!(
                "handoff `{}` is {}",
                self.id,
                state.as_str()
            )));
        }
        if let Some(agent) = &self.expect_agent {
            let offered = state == HandoffState::Offered;
            let holder = if offered { offered_to } else { accepted_by };
            if holder.as_deref() != Some(agent.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "handoff `{}` is not {} to `{agent}`",
                    self.id,
                    if offered { "offered" } else { "assigned" }
                )));
            }
        }
        Ok(())
    }
}
