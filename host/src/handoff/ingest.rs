//! A conversation event from a channel: store it, ask the trigger policy, and when it says
//! so, route and open the handoff and tell the customer what happens next.

use super::desk::{Desk, DeskError};
use super::lifecycle::{push_event, push_notice_message};
use super::notice::{self, Notice};
use super::reroute::pages_offline;
use super::roster;
use super::segments;
use super::transitions::{place, placed_event};
use crate::config::{Language, TenantConfig, WebhookEvent};
use crate::engine::{Fault, TriggerEvaluation};
use crate::store::{
    ConversationRow, DecisionRow, HandoffRow, HandoffState, MessageRow, StoredResponse, WriteSet,
};
use crate::tenants::TenantVersion;
use baton_plugin_sdk::{
    Conversation, Customer, Decision, Message, Reason, Role, Roster, RouteChoice, RouteRequest,
};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

mod request;

use request::{
    check_id, customer_key, full, invalid, message_of, over_length, replayed, request_fingerprint,
};
pub use request::{valid_conversation_id, IngestRequest, MAX_TEXT};

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

/// What an event came to.
#[derive(Debug, Clone)]
pub enum Ingested {
    /// The event was stored now; this is its answer.
    Created(Box<IngestResponse>),
    /// Its idempotency key already answered this same event: that answer's JSON, exactly as
    /// it was first sent, so a retry reads the same bytes.
    Replayed(String),
}

impl Ingested {
    fn created(answer: IngestResponse) -> Self {
        Ingested::Created(Box::new(answer))
    }
}

/// The status kept beside an ingest's answer in its idempotency record (the record's
/// format, shared with Baton's other records, holds one): the API's `201 Created`, with
/// which it answers an event and its replays alike.
const RECORDED_STATUS: u16 = 201;

/// An idempotency key and the fingerprint of the event it is presented with.
struct Claim<'a> {
    key: &'a str,
    fingerprint: String,
}

/// An event that passed the checks, with the tenant version that decides it.
struct Admitted<'a> {
    tenant: &'a str,
    id: &'a str,
    version: Arc<TenantVersion>,
    now: jiff::Timestamp,
    message: Message,
}

impl Admitted<'_> {
    fn config(&self) -> &TenantConfig {
        &self.version.config
    }

    fn now_ms(&self) -> i64 {
        self.now.as_millisecond()
    }
}

/// The decision as the API shows it.
fn decision_view(live: &TriggerEvaluation, policy_version: &str) -> DecisionView {
    let d = &live.decision;
    DecisionView {
        escalate: d.escalate,
        reason: d.reason.as_ref().map(|r| r.as_str().to_string()),
        priority: d.priority.as_str().to_string(),
        tags: d.tags.clone(),
        explanation: d.explanation.clone(),
        policy_version: policy_version.to_string(),
        fault: live.fault.clone(),
    }
}

/// The handoff the trigger's decision opens, before it is placed.
fn new_handoff(
    e: &Admitted<'_>,
    d: &Decision,
    reason: &Reason,
    choice: RouteChoice,
    trigger_seq: i64,
    open: bool,
) -> HandoffRow {
    HandoffRow {
        id: uuid::Uuid::now_v7().to_string(),
        conversation_id: e.id.to_string(),
        state: HandoffState::Queued,
        reason: reason.as_str().to_string(),
        priority: d.priority,
        tags: d.tags.clone(),
        queue: choice.queue,
        route: choice.agents,
        declined_by: Vec::new(),
        offered_to: None,
        offer_expires_ms: None,
        accepted_by: None,
        opened_ms: e.now_ms(),
        accepted_ms: None,
        closed_ms: None,
        closed_seq: None,
        outcome: None,
        csat: None,
        note: None,
        policy_version: e.version.id.clone(),
        trigger_seq,
        explanation: d.explanation.clone(),
        after_hours: !open,
        routing_note: choice.explanation,
    }
}

impl Desk {
    /// Ingest one event of conversation `id`. With an idempotency key, the key's stored
    /// answer is returned instead when it already answered this event.
    pub(super) async fn ingest_once(
        &self,
        tenant: &str,
        id: &str,
        req: &IngestRequest,
        idempotency_key: Option<&str>,
    ) -> Result<Ingested, DeskError> {
        let Some(key) = idempotency_key else {
            return self
                .ingest_unkeyed_once(tenant, id, req)
                .await
                .map(Ingested::created);
        };
        check_id(id)?;
        let claim = Claim {
            key,
            fingerprint: request_fingerprint(req),
        };
        if let Some(body) = self.stored_answer(tenant, &claim).await? {
            return Ok(Ingested::Replayed(body));
        }
        let event = self.admit(tenant, id, req)?;
        let lock = self.conversation_lock(tenant, id);
        let _guard = lock.lock().await;
        // A retry that raced the first attempt finds its answer now.
        if let Some(body) = self.stored_answer(tenant, &claim).await? {
            return Ok(Ingested::Replayed(body));
        }
        self.apply(event, req, Some(claim))
            .await
            .map(Ingested::created)
    }

    /// Ingest one event that carries no idempotency key: it is always stored now.
    pub(super) async fn ingest_unkeyed_once(
        &self,
        tenant: &str,
        id: &str,
        req: &IngestRequest,
    ) -> Result<IngestResponse, DeskError> {
        check_id(id)?;
        let event = self.admit(tenant, id, req)?;
        let lock = self.conversation_lock(tenant, id);
        let _guard = lock.lock().await;
        self.apply(event, req, None).await
    }

    /// The answer the claimed key already gave, if it gave one (422 if for another event).
    async fn stored_answer(
        &self,
        tenant: &str,
        claim: &Claim<'_>,
    ) -> Result<Option<String>, DeskError> {
        match self.store.idempotent_response(tenant, claim.key).await? {
            Some(stored) => replayed(stored, &claim.fingerprint).map(Some),
            None => Ok(None),
        }
    }

    /// Check the event, take the tenant's serving version and hold the text to its limits.
    fn admit<'a>(
        &self,
        tenant: &'a str,
        id: &'a str,
        req: &IngestRequest,
    ) -> Result<Admitted<'a>, DeskError> {
        let now = self.clock.now();
        let message = message_of(req, now)?;
        if let Some(channel) = &req.channel {
            if channel.is_empty() || channel.chars().count() > 40 {
                return Err(invalid("channel", "a channel name is 1 to 40 characters"));
            }
        }
        if let Some(c) = &req.customer {
            if c.name.trim().is_empty() {
                return Err(invalid("customer.name", "the customer needs a name"));
            }
            if c.lifetime_value_usd
                .is_some_and(|v| !(v >= 0.0 && v.is_finite()))
            {
                return Err(invalid(
                    "customer.lifetime_value_usd",
                    "a lifetime value is a number of dollars, 0 or more",
                ));
            }
        }
        let version = self.version(tenant)?;
        over_length(req, &version.config.limits)?;
        Ok(Admitted {
            tenant,
            id,
            version,
            now,
            message,
        })
    }

    /// Append the message; while no handoff is open, let the trigger decide on a customer's
    /// message and open the handoff it asks for; commit it all as one write.
    async fn apply(
        &self,
        e: Admitted<'_>,
        req: &IngestRequest,
        claim: Option<Claim<'_>>,
    ) -> Result<IngestResponse, DeskError> {
        let mut conversation = self.conversation_for(&e, req).await?;
        full(&conversation, &e.config().limits)?;
        let seq = conversation.message_count;
        let row = MessageRow {
            seq,
            message: e.message.clone(),
            agent_id: None,
        };
        conversation.message_count += 1;
        conversation.updated_ms = e.now_ms();
        // Every handoff of the conversation: the open one, if any, and the closed ones that
        // cut it into segments for the trigger policy.
        let handoffs = self.store.conversation_handoffs(e.tenant, e.id).await?;
        let open = handoffs.iter().find(|h| h.state.is_open()).cloned();
        let mut w = WriteSet {
            messages: vec![row.clone()],
            ..WriteSet::default()
        };
        let mut response = IngestResponse {
            conversation_id: e.id.to_string(),
            seq,
            decision: None,
            handoff: open.clone(),
            notice: None,
        };
        if let Some(h) = &open {
            // A person has (or is getting) the conversation: no second handoff; the agent sees
            // the customer's words live.
            let data = json!({"message": row});
            let kind = WebhookEvent::HandoffMessage;
            push_event(&mut w, e.config(), kind, Some(h), e.id, data, e.now_ms());
        } else if e.message.role == Role::Customer {
            // No handoff is open: the customer's message starts or continues the segment
            // after the last closed one.
            let input = self.trigger_input(&e, &conversation, &handoffs).await?;
            let live = self.evaluate(&e, &input, seq, &mut w).await;
            response.decision = Some(decision_view(&live, &e.version.id));
            if live.decision.escalate {
                let opened = self.open_handoff(&e, &input, &live, seq, &mut conversation, &mut w);
                let (h, notice) = opened.await?;
                response.handoff = Some(h);
                response.notice = Some(notice);
            }
        }
        w.conversation = Some(conversation);
        self.record(e.tenant, w, response, claim).await
    }

    /// The conversation the event joins, as it will be stored: the one on file (with the
    /// event's customer and channel, when it names them), or a new one.
    async fn conversation_for(
        &self,
        e: &Admitted<'_>,
        req: &IngestRequest,
    ) -> Result<ConversationRow, DeskError> {
        let Some(mut c) = self.store.conversation(e.tenant, e.id).await? else {
            let customer = req.customer.clone().unwrap_or_else(|| Customer {
                name: "Customer".into(),
                ..Customer::default()
            });
            return Ok(ConversationRow {
                id: e.id.to_string(),
                channel: req.channel.clone().unwrap_or_else(|| "web_chat".into()),
                customer_key: customer_key(&customer, e.id),
                customer,
                message_count: 0,
                created_ms: e.now_ms(),
                updated_ms: e.now_ms(),
            });
        };
        if let Some(customer) = req.customer.clone() {
            c.customer_key = customer_key(&customer, e.id);
            c.customer = customer;
        }
        if let Some(channel) = req.channel.clone() {
            c.channel = channel;
        }
        Ok(c)
    }

    /// What the trigger reads: a bounded window of the conversation (`[limits]`
    /// policy_window_*) ending with the new message, read as such; the store keeps every
    /// message.
    async fn trigger_input(
        &self,
        e: &Admitted<'_>,
        conversation: &ConversationRow,
        handoffs: &[HandoffRow],
    ) -> Result<Conversation, DeskError> {
        let l = &e.config().limits;
        let stored = self
            .store
            .messages_tail(e.tenant, e.id, None, Some(l.policy_window_messages))
            .await?;
        let messages = segments::window(
            &stored,
            handoffs,
            e.message.clone(),
            l.policy_window_messages as usize,
            l.policy_window_bytes as usize,
        );
        Ok(Conversation {
            id: e.id.to_string(),
            channel: conversation.channel.clone(),
            customer: conversation.customer.clone(),
            messages,
            clock: e.config().clock_at(e.now),
        })
    }

    /// Ask the live trigger, and the shadow beside it; log both decisions (and any fault)
    /// into `w`. The live evaluation is the one acted on.
    async fn evaluate(
        &self,
        e: &Admitted<'_>,
        input: &Conversation,
        seq: i64,
        w: &mut WriteSet,
    ) -> TriggerEvaluation {
        let version = &e.version;
        let shadow = async {
            match &version.shadow {
                Some(s) => Some(s.evaluate(input).await),
                None => None,
            }
        };
        let (live, shadow) = tokio::join!(version.trigger.evaluate(input), shadow);
        for (role, ev) in
            std::iter::once(("live", &live)).chain(shadow.as_ref().map(|s| ("shadow", s)))
        {
            self.log_decision(e, role, ev, seq, w);
        }
        live
    }

    /// One trigger's decision into the metrics and the decision log; its fault, if any,
    /// into the tenant's health and a `policy.fault` event.
    fn log_decision(
        &self,
        e: &Admitted<'_>,
        role: &str,
        ev: &TriggerEvaluation,
        seq: i64,
        w: &mut WriteSet,
    ) {
        self.metrics
            .decision(e.tenant, role, &ev.decision, ev.elapsed);
        w.decisions.push(DecisionRow {
            conversation_id: e.id.to_string(),
            message_seq: seq,
            policy_version: e.version.id.clone(),
            role: role.to_string(),
            decision: ev.decision.clone(),
            fault_kind: ev.fault.as_ref().map(|f| f.kind.as_str().to_string()),
            fault_detail: ev.fault.as_ref().map(|f| f.detail.clone()),
            latency_us: ev.elapsed.as_micros() as i64,
            at_ms: e.now_ms(),
        });
        if let Some(f) = &ev.fault {
            self.tenants.record_fault(e.tenant, f);
            let data = json!({"plugin": role, "fault": f, "policy_version": e.version.id});
            let kind = WebhookEvent::PolicyFault;
            push_event(w, e.config(), kind, None, e.id, data, e.now_ms());
        }
    }

    /// Open the handoff the live decision asks for: route it, place it (offered or
    /// queued), and write the customer's notice and the lifecycle events into `w`.
    async fn open_handoff(
        &self,
        e: &Admitted<'_>,
        input: &Conversation,
        live: &TriggerEvaluation,
        seq: i64,
        conversation: &mut ConversationRow,
        w: &mut WriteSet,
    ) -> Result<(HandoffRow, Notice), DeskError> {
        let d = &live.decision;
        let reason = (d.reason.clone()).unwrap_or(Reason::Custom("policy_fault".into()));
        let (presence, stats) = (
            self.store.presence(e.tenant).await?,
            self.store.live_stats(e.tenant).await?,
        );
        let previous_agent = (self.store)
            .previous_agent(e.tenant, &conversation.customer_key)
            .await?;
        let roster = roster::build(e.config(), &presence, &stats);
        let request = RouteRequest {
            conversation_id: e.id.to_string(),
            channel: conversation.channel.clone(),
            reason: reason.clone(),
            priority: d.priority,
            tags: d.tags.clone(),
            intent: input.messages.iter().rev().find_map(|m| m.intent.clone()),
            customer: conversation.customer.clone(),
            previous_agent,
            declined_by: Vec::new(),
            clock: input.clock,
        };
        let choice = self.route(e, live, &request, &roster, w).await;
        let mut h = new_handoff(e, d, &reason, choice, seq, input.clock.open);
        let page = pages_offline(&h);
        place(&mut h, &roster, e.config(), page, e.now_ms());
        let estimate = self.wait_for(e.tenant, &h, &roster, &stats).await?;
        let kind = notice::kind_for(&h, &roster, input.clock.open);
        let language = Language::of_tags(&h.tags);
        let agent = h.offered_to.as_deref();
        let notice = notice::render(e.config(), kind, language, agent, Some(estimate), e.now);
        push_notice_message(w, conversation, &notice, e.now_ms());
        let data = json!({"handoff": h, "notice": notice});
        let opened = WebhookEvent::HandoffOpened;
        push_event(w, e.config(), opened, Some(&h), e.id, data, e.now_ms());
        let (kind, data) = placed_event(&h);
        push_event(w, e.config(), kind, Some(&h), e.id, data, e.now_ms());
        w.new_handoffs.push(h.clone());
        Ok((h, notice))
    }

    /// Where the handoff goes: the routing policy's choice (its fault, if any, logged into
    /// `w`), or straight to the fallback queue when the trigger faulted.
    async fn route(
        &self,
        e: &Admitted<'_>,
        live: &TriggerEvaluation,
        request: &RouteRequest,
        roster: &Roster,
        w: &mut WriteSet,
    ) -> RouteChoice {
        if live.fault.is_some() {
            return RouteChoice {
                agents: vec![],
                queue: e.config().fallback_queue.clone(),
                explanation: "the trigger policy faulted; fallback queue".into(),
            };
        }
        let routed = e.version.routing.route(request, roster).await;
        if let Some(f) = &routed.fault {
            self.tenants.record_fault(e.tenant, f);
            let data = json!({"plugin": "routing", "fault": f, "policy_version": e.version.id});
            let kind = WebhookEvent::PolicyFault;
            push_event(w, e.config(), kind, None, e.id, data, e.now_ms());
        }
        routed.choice
    }

    /// Keep the answer under the claimed idempotency key, if any, in the same write, and
    /// commit it: nothing is answered before it is durable.
    async fn record(
        &self,
        tenant: &str,
        mut w: WriteSet,
        response: IngestResponse,
        claim: Option<Claim<'_>>,
    ) -> Result<IngestResponse, DeskError> {
        if let Some(claim) = claim {
            let body = serde_json::to_string(&response)
                .map_err(|e| DeskError::Unavailable(format!("cannot encode the answer: {e}")))?;
            let stored = StoredResponse {
                status: RECORDED_STATUS,
                body,
                request: claim.fingerprint,
            };
            w.idempotency = Some((claim.key.to_string(), stored));
        }
        self.commit(tenant, w).await?;
        Ok(response)
    }
}
