//! `POST /v1/conversations/{id}/events` and `GET /v1/conversations/{id}`.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::{Path, Query};
use super::limits::{Limits, Refused, Scope};
use super::AppState;
use crate::channels::sms::is_bridge_conversation;
use crate::handoff::{DeskError, IngestRequest, IngestResponse, Ingested};
use crate::store::KeyRole;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Where a client's `Idempotency-Key` is kept: scoped to the calling key and the
/// conversation (the same key in another conversation is another message), and under
/// `client/`, a namespace apart from Baton's own records (`widget-session:`, `twilio:`),
/// which a client can therefore neither read nor pre-claim. Neither a key id nor a
/// conversation id holds a `/`, so the parts cannot run into each other.
fn client_idempotency_key(key_id: &str, conversation: &str, key: &str) -> String {
    format!("client/{key_id}/{conversation}/{key}")
}

/// A channel key may not open an `sms:` conversation: agents' replies and notices in it are
/// texted from the tenant's number to the number in its id, so opening one would let the key
/// text any phone. Only a number that texted in (through the SMS bridge) has one.
fn not_a_texted_number(id: &str) -> ApiError {
    ApiError {
        status: StatusCode::FORBIDDEN,
        code: "forbidden",
        message: format!(
            "`{}` is the SMS bridge's: only a number that texted this tenant opens an `sms:` \
             conversation; use another id for your own channel",
            baton_plugin_sdk::text::clip(id, 40)
        ),
        field: Some("id".into()),
    }
}

/// Post one message of a conversation; the answer carries the decision, the handoff if one
/// was opened, and what to tell the customer.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/events", tag = "conversations",
    params(("id" = String, Path, description = "The channel's conversation id"),
           ("Idempotency-Key" = Option<String>, Header, pattern = "^[\\x21-\\x7E]([\\x20-\\x7E]{0,198}[\\x21-\\x7E])?$", description = "Makes a retried post a no-op (1 to 200 visible ASCII characters): scoped to the calling key and the conversation; the same key with the same body returns the stored answer, with another body 422")),
    request_body = IngestRequest,
    responses((status = 201, body = IngestResponse), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody),
              (status = 422, description = "A field is invalid (named in `error.field`): e.g. `text` longer than the tenant's `[limits] max_message_bytes`, or `id` when the conversation already holds `max_conversation_messages`", body = super::error::ErrorBody),
              (status = 429, description = "The key posted more than the tenant's `[limits] messages_per_minute`; nothing was stored", body = super::error::ErrorBody,
               headers(("Retry-After" = u64, description = "Seconds until the key may post again"))),
              (status = 503, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn post_event(
    State(state): State<AppState>,
    axum::Extension(limits): Limits,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<IngestRequest>,
) -> Result<Response, Refused> {
    caller.require(&[KeyRole::Channel])?;
    let tenant = caller.tenant()?;
    let per_minute = state
        .desk
        .version(tenant)?
        .config
        .limits
        .messages_per_minute;
    limits.check(Scope::Key, per_minute, tenant, &caller.key_id)?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| ApiError::invalid("Idempotency-Key", "the key is not text"))?;
            if k.is_empty() || k.len() > MAX_IDEMPOTENCY_KEY {
                return Err(ApiError::invalid(
                    "Idempotency-Key",
                    format!("the key must be 1 to {MAX_IDEMPOTENCY_KEY} bytes"),
                )
                .into());
            }
            Some(client_idempotency_key(&caller.key_id, &id, k))
        }
    };
    if is_bridge_conversation(&id)
        && state
            .desk
            .store()
            .conversation(tenant, &id)
            .await?
            .is_none()
    {
        return Err(not_a_texted_number(&id).into());
    }
    let ingested = state.desk.ingest(tenant, &id, body, key).await?;
    Ok(created(ingested)?)
}

/// The one HTTP mapping of an ingest: `201 Created` with the answer's JSON, for an event
/// stored now and for a replay of its idempotency key alike (a replay's bytes are the first
/// answer's, as the desk recorded them).
fn created(ingested: Ingested) -> Result<Response, ApiError> {
    let body = match ingested {
        Ingested::Created(answer) => serde_json::to_string(&answer)
            .map_err(|e| DeskError::Unavailable(format!("cannot encode the response: {e}")))?,
        Ingested::Replayed(body) => body,
    };
    let mut response = (StatusCode::CREATED, body).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Most messages one page of a conversation holds.
const MAX_PAGE: u32 = 1000;

/// Which messages of `GET /v1/conversations/{id}`: without either, all of them (as before);
/// an inbox asks for the last `limit`, then for older pages with `before`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// At most this many messages, the newest ones (1 to 1000; default: all).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// Only messages whose `seq` is below this (the first `seq` of the page before).
    before: Option<i64>,
}

/// A conversation as channels and agents see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    /// The header.
    pub conversation: crate::store::ConversationRow,
    /// The messages asked for (all of them by default), oldest first (notices to the
    /// customer are `system` messages).
    #[schema(value_type = Vec<crate::store::MessageDoc>)]
    pub messages: Vec<crate::store::MessageRow>,
    /// Whether older messages than these exist: ask again with `before` set to the first
    /// message's `seq`.
    pub older: bool,
    /// The open handoff, if any.
    pub open_handoff: Option<crate::store::HandoffRow>,
    /// Where the customer stands now while waiting for a person (recomputed on every read).
    pub wait: Option<crate::handoff::WaitEstimate>,
}

/// The conversation, its messages (or a page of them) and its open handoff.
#[utoipa::path(
    get, path = "/v1/conversations/{id}", tag = "conversations", operation_id = "get_conversation",
    params(("id" = String, Path, description = "The conversation id"), PageQuery),
    responses((status = 200, body = ConversationView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<axum::Json<ConversationView>, ApiError> {
    caller.require(&[KeyRole::Channel, KeyRole::Agent])?;
    let tenant = caller.tenant()?;
    if page.limit.is_some_and(|l| !(1..=MAX_PAGE).contains(&l)) {
        return Err(ApiError::invalid(
            "limit",
            format!("`limit` is 1 to {MAX_PAGE}"),
        ));
    }
    let store = state.desk.store();
    let conversation = store
        .conversation(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    // One more than asked for says whether there are older ones.
    let mut messages = store
        .messages_tail(tenant, &id, page.before, page.limit.map(|l| l + 1))
        .await?;
    let older = page.limit.is_some_and(|l| messages.len() > l as usize);
    if older {
        messages.remove(0);
    }
    let open_handoff = store.open_handoff(tenant, &id).await?;
    let wait = match &open_handoff {
        Some(h) => state.desk.current_wait(tenant, h).await?,
        None => None,
    };
    Ok(axum::Json(ConversationView {
        conversation,
        messages,
        older,
        open_handoff,
        wait,
    }))
}
