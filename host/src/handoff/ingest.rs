//! A conversation event from a channel: store it, ask the trigger policy, and when it says
//! so, route and open the handoff and tell the customer what happens next.

use super::desk::{Desk, DeskError};
use super::lifecycle::{push_event, push_notice_message};
use super::notice::{self, Notice};
use super::reroute::pages_offline;
use super::roster;
use super::segments;
use super::transitions::{place, placed_event};
use crate::config::{Language, WebhookEvent};
use crate::engine::Fault;
use crate::store::*;
use baton_plugin_sdk::{
    Conversation, Customer, Message, Role, RouteRequest, SegmentMarker, SEGMENT_MARKER,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Longest message text accepted, in bytes.
pub const MAX_TEXT: usize = 8_000;

/// `POST /v1/conversations/{id}/events`: one message in the shape of the fixture format.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestRequest {
    /// `customer`, `bot` or `system` (agents write through their handoff).
    #[schema(pattern = "^(customer|bot|system)$")]
    pub role: String,
    /// The message text (not blank; at most 8,000 bytes).
    #[schema(pattern = "\\S", max_length = 8000)]
    pub text: String,
    /// When it was written (RFC 3339); default: when it arrives.
    #[serde(default)]
    pub at: Option<String>,
    /// The bot's intent label (bot messages only).
    #[serde(default)]
    pub intent: Option<String>,
    /// The bot's confidence, 0.0 to 1.0 (bot messages only).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f32>,
    /// The customer profile (first event, or to update it).
    #[serde(default)]
    #[schema(value_type = Option<crate::store::CustomerDoc>)]
    pub customer: Option<Customer>,
    /// The channel, e.g. `web_chat`, `sms` (first event).
    #[serde(default)]
    pub channel: Option<String>,
}

/// A decision as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    /// Whether the conversation passes to a person.
    pub escalate: bool,
    /// Why (`snake_case`).
    pub reason: Option<String>,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// Labels.
    pub tags: Vec<String>,
    /// One or two sentences.
    pub explanation: String,
    /// The tenant version that decided.
    pub policy_version: String,
    /// The policy fault, when the safe decision was taken instead.
    #[schema(value_type = Option<Object>)]
    pub fault: Option<Fault>,
}

/// The customer notice as the API shows it.
pub type NoticeView = Notice;

/// The answer to an event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IngestResponse {
    /// The conversation.
    pub conversation_id: String,
    /// The stored message's position in it.
    pub seq: i64,
    /// The trigger decision, when the event was evaluated (customer messages while the bot
    /// has the conversation).
    pub decision: Option<DecisionView>,
    /// The open handoff (just opened, or already open).
    pub handoff: Option<HandoffRow>,
    /// What to tell the customer, when a handoff was opened by this event.
    pub notice: Option<NoticeView>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> DeskError {
    DeskError::Invalid {
        field,
        message: message.into(),
    }
}

/// What identifies a request under its idempotency key: the SHA-256 of its canonical JSON.
fn request_fingerprint(req: &IngestRequest) -> String {
    hash_key(&serde_json::to_string(req).unwrap_or_default())
}

/// The stored answer of a replayed key, or 422 when the key answered another request: a
/// reused key must never swallow a new message.
fn replay(stored: StoredResponse, fingerprint: &str) -> Result<(u16, String), DeskError> {
    if !stored.request.is_empty() && stored.request != fingerprint {
        return Err(invalid(
            "Idempotency-Key",
            "this key was already used for a different message in this conversation; \
             send a new key for a new message",
        ));
    }
    Ok((stored.status, stored.body))
}

/// The first text field of an event holding a NUL character: PostgreSQL cannot store one
/// and SQLite can, so the desk refuses it on both (the API already refuses it in any body;
/// this covers every other way in, e.g. `baton replay` and the SMS bridge).
fn nul_field(req: &IngestRequest) -> Option<&'static str> {
    let has = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
    let c = req.customer.as_ref();
    [
        ("role", req.role.contains('\0')),
        ("text", req.text.contains('\0')),
        ("at", has(&req.at)),
        ("intent", has(&req.intent)),
        ("channel", has(&req.channel)),
        ("customer.name", c.is_some_and(|c| c.name.contains('\0'))),
        ("customer.phone", c.is_some_and(|c| has(&c.phone))),
        ("customer.email", c.is_some_and(|c| has(&c.email))),
        ("customer.address", c.is_some_and(|c| has(&c.address))),
        (
            "customer.tags",
            c.is_some_and(|c| c.tags.iter().any(|t| t.contains('\0'))),
        ),
    ]
    .into_iter()
    .find_map(|(field, nul)| nul.then_some(field))
}

/// Check an event and turn it into a message.
fn message_of(req: &IngestRequest, now: jiff::Timestamp) -> Result<Message, DeskError> {
    if let Some(field) = nul_field(req) {
        return Err(invalid(
            field,
            "contains a NUL character (\\u0000), which Baton does not store",
        ));
    }
    let role = match req.role.as_str() {
        "customer" => Role::Customer,
        "bot" => Role::Bot,
        "system" => Role::System,
        "agent" => {
            return Err(invalid(
                "role",
                "agents write through `POST /v1/handoffs/{id}/messages`",
            ))
        }
        other => {
            return Err(invalid(
                "role",
                format!(
                    "`{}` is not a role: use `customer`, `bot` or `system`",
                    clip(other)
                ),
            ))
        }
    };
    if req.text.trim().is_empty() {
        return Err(invalid("text", "the text is empty"));
    }
    if req.text.len() > MAX_TEXT {
        return Err(invalid(
            "text",
            format!("the text is {} bytes; at most {MAX_TEXT}", req.text.len()),
        ));
    }
    let at = match &req.at {
        None => now,
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| invalid("at", format!("`{}` is not an RFC 3339 time: {e}", clip(s))))?,
    };
    if role != Role::Bot && (req.intent.is_some() || req.confidence.is_some()) {
        return Err(invalid(
            if req.intent.is_some() {
                "intent"
            } else {
                "confidence"
            },
            "only bot messages carry an intent and a confidence",
        ));
    }
    if let Some(c) = req.confidence {
        if !(0.0..=1.0).contains(&c) || c.is_nan() {
            return Err(invalid("confidence", format!("{c} is outside 0.0 to 1.0")));
        }
    }
    if let Some(i) = &req.intent {
        if i.len() > 100 {
            return Err(invalid("intent", "the intent is longer than 100 bytes"));
        }
    }
    let message = Message {
        role,
        text: req.text.clone(),
        at_ms: at.as_millisecond(),
        intent: req.intent.clone(),
        confidence: req.confidence,
    };
    if SegmentMarker::parse(&message).is_some() {
        return Err(invalid(
            "text",
            format!(
                "a system message may not begin with `{SEGMENT_MARKER}`: the host marks \
                 conversation segments with it"
            ),
        ));
    }
    Ok(message)
}

/// A text over the tenant's `[limits] max_message_bytes` is refused whole (never cut).
fn over_length(req: &IngestRequest, limits: &crate::config::Limits) -> Result<(), DeskError> {
    let max = limits.max_message_bytes as usize;
    if req.text.len() > max {
        return Err(invalid(
            "text",
            format!(
                "the text is {} bytes; this business takes at most {max}",
                req.text.len()
            ),
        ));
    }
    Ok(())
}

/// A conversation holding `[limits] max_conversation_messages` takes no more from a
/// channel; refused before anything is stored.
fn full(conversation: &ConversationRow, limits: &crate::config::Limits) -> Result<(), DeskError> {
    let max = i64::from(limits.max_conversation_messages);
    if conversation.message_count >= max {
        return Err(invalid(
            "id",
            format!(
                "this conversation holds {} messages, the most this business keeps in one; \
                 start a new conversation",
                conversation.message_count
            ),
        ));
    }
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

fn customer_key(c: &Customer, conversation: &str) -> String {
    match (&c.phone, &c.email) {
        (Some(phone), _) => phone.clone(),
        (None, Some(email)) => email.clone(),
        // An anonymous visitor is only ever the same customer as themselves.
        _ if c.name == super::ANONYMOUS_CUSTOMER => format!("visitor:{conversation}"),
        _ => format!("name:{}", c.name.to_lowercase()),
    }
}

/// Whether `id` is acceptable as a conversation id.
pub fn valid_conversation_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@+".contains(&b))
}

impl Desk {
    /// Ingest one event of conversation `id`.
    pub(super) async fn ingest_once(
        &self,
        tenant: &str,
        id: &str,
        req: IngestRequest,
        idempotency_key: Option<String>,
    ) -> Result<(u16, String), DeskError> {
        if !valid_conversation_id(id) {
            return Err(invalid(
                "id",
                "a conversation id is 1 to 128 letters, digits or `-_.:@+`",
            ));
        }
        let fingerprint = request_fingerprint(&req);
        if let Some(key) = &idempotency_key {
            if let Some(stored) = self.store.idempotent_response(tenant, key).await? {
                return replay(stored, &fingerprint);
            }
        }
        let now = self.clock.now();
        let message = message_of(&req, now)?;
        if let Some(channel) = &req.channel {
            if channel.is_empty() || channel.len() > 40 {
                return Err(invalid("channel", "a channel name is 1 to 40 bytes"));
            }
        }
        if let Some(c) = &req.customer {
            if c.name.trim().is_empty() {
                return Err(invalid("customer.name", "the customer needs a name"));
            }
        }
        let version = self.version(tenant)?;
        let config = version.config.clone();
        over_length(&req, &config.limits)?;
        let lock = self.conversation_lock(tenant, id);
        let _guard = lock.lock().await;
        // A retry that raced the first attempt finds its answer now.
        if let Some(key) = &idempotency_key {
            if let Some(stored) = self.store.idempotent_response(tenant, key).await? {
                return replay(stored, &fingerprint);
            }
        }
        let existing = self.store.conversation(tenant, id).await?;
        let mut conversation = match existing {
            Some(mut c) => {
                if let Some(customer) = req.customer.clone() {
                    c.customer_key = customer_key(&customer, id);
                    c.customer = customer;
                }
                if let Some(channel) = req.channel.clone() {
                    c.channel = channel;
                }
                c
            }
            None => {
                let customer = req.customer.clone().unwrap_or_else(|| Customer {
                    name: "Customer".into(),
                    ..Customer::default()
                });
                ConversationRow {
                    id: id.to_string(),
                    channel: req.channel.clone().unwrap_or_else(|| "web_chat".into()),
                    customer_key: customer_key(&customer, id),
                    customer,
                    message_count: 0,
                    created_ms: now.as_millisecond(),
                    updated_ms: now.as_millisecond(),
                }
            }
        };
        full(&conversation, &config.limits)?;
        let now_ms = now.as_millisecond();
        let seq = conversation.message_count;
        let row = MessageRow {
            seq,
            message: message.clone(),
            agent_id: None,
        };
        conversation.message_count += 1;
        conversation.updated_ms = now_ms;
        // Every handoff of the conversation: the open one, if any, and the closed ones that
        // cut it into segments for the trigger policy.
        let handoffs = self.store.conversation_handoffs(tenant, id).await?;
        let open = handoffs.iter().find(|h| h.state.is_open()).cloned();
        let mut w = WriteSet {
            messages: vec![row.clone()],
            ..WriteSet::default()
        };
        let mut response = IngestResponse {
            conversation_id: id.to_string(),
            seq,
            decision: None,
            handoff: open.clone(),
            notice: None,
        };

        if let Some(h) = &open {
            // A person has (or is getting) the conversation: no second handoff; the agent sees
            // the customer's words live.
            push_event(
                &mut w,
                &config,
                WebhookEvent::HandoffMessage,
                Some(h),
                id,
                json!({"message": row}),
                now_ms,
            );
        } else if message.role == Role::Customer {
            // No handoff is open: the customer's message starts or continues the segment
            // after the last closed one.
            // The trigger sees a bounded window of the conversation (`[limits]`
            // policy_window_*), read as such; the store keeps every message.
            let l = &config.limits;
            let stored = self
                .store
                .messages_tail(tenant, id, None, Some(l.policy_window_messages))
                .await?;
            let messages = segments::window(
                &stored,
                &handoffs,
                message.clone(),
                l.policy_window_messages as usize,
                l.policy_window_bytes as usize,
            );
            let clock = config.clock_at(now);
            let input = Conversation {
                id: id.to_string(),
                channel: conversation.channel.clone(),
                customer: conversation.customer.clone(),
                messages,
                clock,
            };
            let shadow = async {
                match &version.shadow {
                    Some(s) => Some(s.evaluate(&input).await),
                    None => None,
                }
            };
            let (live, shadow) = tokio::join!(version.trigger.evaluate(&input), shadow);
            for (role, e) in
                std::iter::once(("live", &live)).chain(shadow.as_ref().map(|s| ("shadow", s)))
            {
                self.metrics.decision(tenant, role, &e.decision, e.elapsed);
                w.decisions.push(DecisionRow {
                    conversation_id: id.to_string(),
                    message_seq: seq,
                    policy_version: version.id.clone(),
                    role: role.to_string(),
                    decision: e.decision.clone(),
                    fault_kind: e.fault.as_ref().map(|f| f.kind.as_str().to_string()),
                    fault_detail: e.fault.as_ref().map(|f| f.detail.clone()),
                    latency_us: e.elapsed.as_micros() as i64,
                    at_ms: now_ms,
                });
                if let Some(f) = &e.fault {
                    self.tenants.record_fault(tenant, f);
                    push_event(
                        &mut w,
                        &config,
                        WebhookEvent::PolicyFault,
                        None,
                        id,
                        json!({"plugin": role, "fault": f, "policy_version": version.id}),
                        now_ms,
                    );
                }
            }
            let d = &live.decision;
            response.decision = Some(DecisionView {
                escalate: d.escalate,
                reason: d.reason.as_ref().map(|r| r.as_str().to_string()),
                priority: d.priority.as_str().to_string(),
                tags: d.tags.clone(),
                explanation: d.explanation.clone(),
                policy_version: version.id.clone(),
                fault: live.fault.clone(),
            });
            if d.escalate {
                let reason = d
                    .reason
                    .clone()
                    .unwrap_or(baton_plugin_sdk::Reason::Custom("policy_fault".into()));
                let (presence, stats) = (
                    self.store.presence(tenant).await?,
                    self.store.live_stats(tenant).await?,
                );
                let previous_agent = self
                    .store
                    .previous_agent(tenant, &conversation.customer_key)
                    .await?;
                let roster = roster::build(&config, &presence, &stats);
                let request = RouteRequest {
                    conversation_id: id.to_string(),
                    channel: conversation.channel.clone(),
                    reason: reason.clone(),
                    priority: d.priority,
                    tags: d.tags.clone(),
                    intent: input.messages.iter().rev().find_map(|m| m.intent.clone()),
                    customer: conversation.customer.clone(),
                    previous_agent,
                    declined_by: Vec::new(),
                    clock,
                };
                // A faulted trigger goes straight to the fallback queue.
                let choice = if live.fault.is_some() {
                    baton_plugin_sdk::RouteChoice {
                        agents: vec![],
                        queue: config.fallback_queue.clone(),
                        explanation: "the trigger policy faulted; fallback queue".into(),
                    }
                } else {
                    let routed = version.routing.route(&request, &roster).await;
                    if let Some(f) = &routed.fault {
                        self.tenants.record_fault(tenant, f);
                        push_event(
                            &mut w,
                            &config,
                            WebhookEvent::PolicyFault,
                            None,
                            id,
                            json!({"plugin": "routing", "fault": f, "policy_version": version.id}),
                            now_ms,
                        );
                    }
                    routed.choice
                };
                let mut h = HandoffRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    conversation_id: id.to_string(),
                    state: HandoffState::Queued,
                    reason: reason.as_str().to_string(),
                    priority: d.priority,
                    tags: d.tags.clone(),
                    queue: choice.queue.clone(),
                    route: choice.agents.clone(),
                    declined_by: Vec::new(),
                    offered_to: None,
                    offer_expires_ms: None,
                    accepted_by: None,
                    opened_ms: now_ms,
                    accepted_ms: None,
                    closed_ms: None,
                    closed_seq: None,
                    outcome: None,
                    csat: None,
                    note: None,
                    policy_version: version.id.clone(),
                    trigger_seq: seq,
                    explanation: d.explanation.clone(),
                    after_hours: !clock.open,
                    routing_note: choice.explanation.clone(),
                };
                let page = pages_offline(&h);
                place(&mut h, &roster, &config, page, now_ms);
                let estimate = self.wait_for(tenant, &h, &roster, &stats).await?;
                let kind = notice::kind_for(&h, &roster, clock.open);
                let notice = notice::render(
                    &config,
                    kind,
                    Language::of_tags(&h.tags),
                    h.offered_to.as_deref(),
                    Some(estimate),
                    now,
                );
                w.conversation = Some(conversation.clone());
                push_notice_message(&mut w, &mut conversation, &notice, now_ms);
                push_event(
                    &mut w,
                    &config,
                    WebhookEvent::HandoffOpened,
                    Some(&h),
                    id,
                    json!({"handoff": h, "notice": notice}),
                    now_ms,
                );
                let (kind, data) = placed_event(&h);
                push_event(&mut w, &config, kind, Some(&h), id, data, now_ms);
                w.new_handoffs.push(h.clone());
                response.handoff = Some(h);
                response.notice = Some(notice);
            }
        }
        w.conversation = Some(conversation);
        let body = serde_json::to_string(&response)
            .map_err(|e| DeskError::Unavailable(format!("cannot encode the response: {e}")))?;
        if let Some(key) = idempotency_key {
            w.idempotency = Some((
                key,
                StoredResponse {
                    status: 201,
                    body: body.clone(),
                    request: fingerprint,
                },
            ));
        }
        self.commit(tenant, w).await?;
        Ok((201, body))
    }
}
