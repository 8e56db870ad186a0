//! Handoffs: list, the context packet, accept, decline, reply, resolve, hand back, abandon.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::{Path, Query};
use super::AppState;
use crate::handoff::{build_brief, AbandonedBy, Brief, ResolveRequest};
use crate::store::{HandoffFilter, HandoffRow, HandoffState, KeyRole, MessageRow};
use axum::extract::State;
use serde::{Deserialize, Serialize};

/// Filters of `GET /v1/handoffs`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `offered`, `queued`, `accepted`, `resolved`, `handed_back`, `abandoned`, or `open`.
    #[param(pattern = "^(offered|queued|accepted|resolved|handed_back|abandoned|open)$")]
    state: Option<String>,
    /// A queue name.
    queue: Option<String>,
    /// At most this many (1 to 1000; default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Handoffs of the caller's tenant, open ones first, most urgent first.
#[utoipa::path(
    get, path = "/v1/handoffs", tag = "handoffs", params(ListQuery),
    responses((status = 200, body = Vec<HandoffRow>), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["agent", "channel", "manager"]))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Vec<HandoffRow>>, ApiError> {
    caller.require(&[KeyRole::Agent, KeyRole::Channel, KeyRole::Manager])?;
    let tenant = caller.tenant()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "`limit` is 1 to 1000"));
    }
    let mut filter = HandoffFilter {
        queue: q.queue,
        limit: limit as usize,
        ..HandoffFilter::default()
    };
    match q.state.as_deref() {
        None => {}
        Some("open") => filter.open_only = true,
        Some(s) => {
            filter.state = Some(HandoffState::parse(s).ok_or_else(|| {
                ApiError::invalid("state", format!("`{s}` is not a state: use offered, queued, accepted, resolved, handed_back, abandoned or open"))
            })?)
        }
    }
    Ok(axum::Json(
        state.desk.store().handoffs(tenant, &filter).await?,
    ))
}

/// The context packet an agent reads before picking up.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Packet {
    /// The handoff.
    pub handoff: HandoffRow,
    /// The SBAR brief.
    pub brief: Brief,
    /// The transcript's last messages (at most 100), oldest first (bot turns with intent
    /// and confidence): an inbox downloads a bounded packet however long the conversation.
    #[schema(value_type = Vec<crate::store::MessageDoc>)]
    pub transcript: Vec<MessageRow>,
    /// Whether earlier messages exist: page back with `GET /v1/conversations/{id}` and
    /// `before` set to the first message's `seq`.
    pub transcript_older: bool,
    /// The customer message that escalated it (also when it is older than `transcript`).
    #[schema(value_type = Option<crate::store::MessageDoc>)]
    pub trigger: Option<MessageRow>,
    /// The customer.
    #[schema(value_type = crate::store::CustomerDoc)]
    pub customer: baton_plugin_sdk::Customer,
    /// The channel.
    pub channel: String,
    /// The decision that opened it.
    pub decision: PacketDecision,
}

/// The decision in a packet.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PacketDecision {
    /// Why.
    pub reason: String,
    /// How urgently.
    pub priority: String,
    /// Labels.
    pub tags: Vec<String>,
    /// The policy's words.
    pub explanation: String,
    /// The tenant version that decided.
    pub policy_version: String,
    /// How it was routed.
    pub routing: String,
}

/// One handoff with its brief, transcript, customer and decision.
#[utoipa::path(
    get, path = "/v1/handoffs/{id}", tag = "handoffs", operation_id = "get_handoff", params(("id" = String, Path, description = "The handoff id")),
    responses((status = 200, body = Packet), (status = 401, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = ["agent", "manager"]))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Packet>, ApiError> {
    caller.require(&[KeyRole::Agent, KeyRole::Manager])?;
    let tenant = caller.tenant()?;
    let store = state.desk.store();
    let handoff = store
        .handoff(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("handoff"))?;
    let conversation = store
        .conversation(tenant, &handoff.conversation_id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    // The brief reads the whole conversation (how it began, what the bot promised); the
    // packet carries its last page.
    let mut transcript = store.messages(tenant, &handoff.conversation_id).await?;
    let previous = store
        .previous_agent(tenant, &conversation.customer_key)
        .await?;
    let previous = previous.filter(|p| Some(p) != handoff.accepted_by.as_ref());
    let brief = build_brief(&handoff, &conversation, &transcript, previous.as_deref());
    let trigger = transcript
        .iter()
        .find(|m| m.seq == handoff.trigger_seq)
        .cloned();
    let older = transcript.len().saturating_sub(TRANSCRIPT_PAGE);
    transcript.drain(..older);
    Ok(axum::Json(Packet {
        decision: PacketDecision {
            reason: handoff.reason.clone(),
            priority: handoff.priority.as_str().to_string(),
            tags: handoff.tags.clone(),
            explanation: handoff.explanation.clone(),
            policy_version: handoff.policy_version.clone(),
            routing: handoff.routing_note.clone(),
        },
        customer: conversation.customer.clone(),
        channel: conversation.channel.clone(),
        brief,
        transcript,
        transcript_older: older > 0,
        trigger,
        handoff,
    }))
}

/// Most messages a packet's transcript carries.
const TRANSCRIPT_PAGE: usize = 100;

/// Accept a handoff; a second agent gets 409. An offer is the offered agent's; a queued
/// handoff is any signed-in agent's with room; an emergency is anyone's on the roster.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/accept", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    responses((status = 200, body = HandoffRow), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody, description = "Not on the roster, or offline while the handoff waits in the queue"),
              (status = 404, body = super::error::ErrorBody),
              (status = 409, body = super::error::ErrorBody, description = "Accepted by someone else, closed, offered to someone else, or no room (capacity)"),
              (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<HandoffRow>, ApiError> {
    let agent = caller.agent()?;
    Ok(axum::Json(
        state.desk.accept(caller.tenant()?, &id, agent).await?,
    ))
}

/// Decline an offer: it goes to the next choice or waits in the queue.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/decline", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    responses((status = 200, body = HandoffRow), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<HandoffRow>, ApiError> {
    let agent = caller.agent()?;
    Ok(axum::Json(
        state
            .desk
            .decline(caller.tenant()?, &id, agent, false)
            .await?,
    ))
}

/// `POST /v1/handoffs/{id}/messages`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// What to send the customer (not blank; at most 8,000 bytes).
    #[schema(pattern = "\\S", max_length = 8000)]
    pub text: String,
}

/// The accepting agent writes to the customer.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/messages", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    request_body = ReplyRequest,
    responses((status = 201, body = crate::store::MessageDoc), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ReplyRequest>,
) -> Result<(axum::http::StatusCode, axum::Json<MessageRow>), ApiError> {
    let agent = caller.agent()?;
    if body.text.trim().is_empty() {
        return Err(ApiError::invalid("text", "the text is empty"));
    }
    if body.text.len() > crate::handoff::MAX_TEXT {
        return Err(ApiError::invalid(
            "text",
            format!("the text is longer than {} bytes", crate::handoff::MAX_TEXT),
        ));
    }
    let row = state
        .desk
        .agent_message(caller.tenant()?, &id, agent, &body.text)
        .await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(row)))
}

/// Resolve with an outcome and an optional CSAT score.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/resolve", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    request_body = ResolveRequest,
    responses((status = 200, body = HandoffRow), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<ResolveRequest>,
) -> Result<axum::Json<HandoffRow>, ApiError> {
    let agent = caller.agent()?;
    if let Some(c) = body.csat {
        if !(1..=5).contains(&c) {
            return Err(ApiError::invalid("csat", format!("{c} is outside 1 to 5")));
        }
    }
    if body.note.as_ref().is_some_and(|n| n.len() > 2000) {
        return Err(ApiError::invalid(
            "note",
            "the note is longer than 2,000 bytes",
        ));
    }
    Ok(axum::Json(
        state
            .desk
            .close(caller.tenant()?, &id, agent, Some(body), None)
            .await?,
    ))
}

/// `POST /v1/handoffs/{id}/handback`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandbackRequest {
    /// A note for the bot's side (and the record).
    #[serde(default)]
    pub note: Option<String>,
}

/// Hand the conversation back to the bot; later events are evaluated again.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/handback", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    request_body = HandbackRequest,
    responses((status = 200, body = HandoffRow), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn handback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<HandbackRequest>,
) -> Result<axum::Json<HandoffRow>, ApiError> {
    let agent = caller.agent()?;
    if body.note.as_ref().is_some_and(|n| n.len() > 2000) {
        return Err(ApiError::invalid(
            "note",
            "the note is longer than 2,000 bytes",
        ));
    }
    Ok(axum::Json(
        state
            .desk
            .close(caller.tenant()?, &id, agent, None, body.note)
            .await?,
    ))
}

/// `POST /v1/handoffs/{id}/abandon`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbandonRequest {
    /// Why it is closed, kept as the handoff's note: optional for a channel (the customer
    /// left), required for an agent clearing a stale one. Not blank; at most 2,000 bytes.
    #[serde(default)]
    #[schema(pattern = "\\S", max_length = 2000)]
    pub reason: Option<String>,
}

/// Close a handoff nobody has accepted (queued or offered) as `abandoned`: a channel key
/// when the customer left (reason optional), an agent key to clear a stale one (reason
/// required). Abandoning it again answers the abandoned handoff; an accepted handoff is the
/// agent's to resolve, so it (like a closed one) answers 409 naming its state.
#[utoipa::path(
    post, path = "/v1/handoffs/{id}/abandon", tag = "handoffs", params(("id" = String, Path, description = "The handoff id")),
    request_body = AbandonRequest,
    responses((status = 200, body = HandoffRow), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn abandon(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<AbandonRequest>,
) -> Result<axum::Json<HandoffRow>, ApiError> {
    caller.require(&[KeyRole::Channel, KeyRole::Agent])?;
    let by = match caller.role {
        KeyRole::Agent => AbandonedBy::Agent(caller.agent()?),
        _ => AbandonedBy::Customer,
    };
    match body.reason.as_deref() {
        Some(r) if r.trim().is_empty() => {
            return Err(ApiError::invalid("reason", "the reason is empty"))
        }
        Some(r) if r.len() > 2000 => {
            return Err(ApiError::invalid(
                "reason",
                "the reason is longer than 2,000 bytes",
            ))
        }
        None if matches!(by, AbandonedBy::Agent(_)) => return Err(ApiError::invalid(
            "reason",
            "an agent closing a handoff nobody accepted says why (e.g. \"customer left the chat\")",
        )),
        _ => {}
    }
    Ok(axum::Json(
        state
            .desk
            .abandon(caller.tenant()?, &id, by, body.reason.as_deref(), None)
            .await?,
    ))
}
