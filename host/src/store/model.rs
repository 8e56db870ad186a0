//! The records the store keeps, and the write set that changes them.

use serde::{Deserialize, Serialize};

/// A conversation's header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Conversation)]
pub struct ConversationRow {
    /// The channel's id for it.
    pub id: String,
    /// `web_chat`, `sms`, ...
    pub channel: String,
    /// The customer profile as last sent (JSON of [`baton_plugin_sdk::Customer`]).
    #[schema(value_type = super::doc::CustomerDoc)]
    pub customer: baton_plugin_sdk::Customer,
    /// Phone, email or name: how the customer is recognised across conversations.
    pub customer_key: String,
    /// How many messages it has.
    #[schema(minimum = 0)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Handoff)]
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
    #[schema(value_type = super::doc::PriorityDoc)]
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
    /// How many messages the conversation had when it closed: messages from this seq on came
    /// after it (where the trigger policy's next segment starts).
    #[serde(default)]
    pub closed_seq: Option<i64>,
    /// The outcome given at resolve time.
    pub outcome: Option<String>,
    /// The customer's satisfaction score, 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
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
    /// A fingerprint of the request that was answered (empty for internal records): a key
    /// replayed with another request is refused instead of answered with this response.
    pub request: String,
}

/// One lifecycle event (the SSE stream and webhooks are made of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Event)]
pub struct EventRow {
    /// Monotonic id, the SSE `id:`.
    pub id: i64,
    /// `handoff.opened`, `handoff.accepted`, ...
    pub kind: String,
    /// The handoff it concerns.
    pub handoff_id: Option<String>,
    /// The conversation it concerns.
    pub conversation_id: Option<String>,
    /// The event's JSON payload (its fields depend on `kind`: see the README's events).
    #[schema(value_type = Object)]
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
    /// Where it goes.
    pub to: Destination,
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
    /// When it stops working, ms since the epoch (none: never).
    pub expires_ms: Option<i64>,
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
    /// The agent it goes to must have room: fewer than `capacity` other handoffs offered to
    /// or accepted by them, counted in the same transaction (and, on a shared store, with
    /// that agent's offers serialised), so two hosts promoting at once never fill one seat
    /// twice.
    pub room: Option<Room>,
    /// The new row (written whole).
    pub row: HandoffRow,
}

/// The seat an update takes: an agent and how many handoffs they may hold at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// The agent.
    pub agent: String,
    /// Their capacity now.
    pub capacity: u32,
}

impl Room {
    /// Whether `held` other handoffs leave room for this one; a conflict says why not.
    pub(crate) fn check(&self, handoff: &str, held: i64) -> Result<(), super::StoreError> {
        if held < i64::from(self.capacity) {
            return Ok(());
        }
        Err(super::StoreError::Conflict(format!(
            "agent `{}` has no room for handoff `{handoff}`: {held} held, capacity {}",
            self.agent, self.capacity
        )))
    }
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
    /// Where it goes.
    pub to: Destination,
}

/// Where an outbox row goes. Its kind is the row's `kind` column and its address the `url`
/// column, read and written only here ([`Destination::kind`], [`Destination::from_columns`]);
/// a new channel is a new variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A tenant's webhook, signed with the secret in the variable `secret_env` when set.
    Webhook {
        /// Where to post.
        url: String,
        /// The env var holding the signing secret (empty: unsigned).
        secret_env: String,
    },
    /// A customer's phone: an SMS bridge conversation's replies and notices.
    CustomerSms {
        /// E.164 number.
        number: String,
    },
    /// An offer alert to an agent's phone.
    AgentSms {
        /// E.164 number.
        phone: String,
    },
    /// An offer alert to an agent's email.
    AgentEmail {
        /// The address.
        address: String,
    },
}

impl Destination {
    /// Every kind, as the `kind` column and the outbox counts name them.
    pub const KINDS: [&'static str; 4] = ["webhook", "sms", "alert_sms", "alert_email"];

    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Webhook { .. } => "webhook",
            Destination::CustomerSms { .. } => "sms",
            Destination::AgentSms { .. } => "alert_sms",
            Destination::AgentEmail { .. } => "alert_email",
        }
    }

    /// The `url` column: the URL, number or address.
    pub fn address(&self) -> &str {
        match self {
            Destination::Webhook { url, .. } => url,
            Destination::CustomerSms { number } => number,
            Destination::AgentSms { phone } => phone,
            Destination::AgentEmail { address } => address,
        }
    }

    /// The `secret_env` column (empty but for a signed webhook).
    pub fn secret_env(&self) -> &str {
        match self {
            Destination::Webhook { secret_env, .. } => secret_env,
            _ => "",
        }
    }

    /// A row's destination from its `kind`, `url` and `secret_env` columns.
    pub fn from_columns(kind: &str, address: String, secret_env: String) -> Result<Self, String> {
        Ok(match kind {
            "webhook" => Destination::Webhook {
                url: address,
                secret_env,
            },
            "sms" => Destination::CustomerSms { number: address },
            "alert_sms" => Destination::AgentSms { phone: address },
            "alert_email" => Destination::AgentEmail { address },
            other => return Err(format!("unknown outbox kind `{other}`")),
        })
    }
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
