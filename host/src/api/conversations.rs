//! `POST /v1/conversations/{id}/events` and `GET /v1/conversations/{id}`.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::Path;
use super::AppState;
use crate::channels::sms::is_bridge_conversation;
use crate::handoff::{IngestRequest, IngestResponse};
use crate::store::KeyRole;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
            id.chars().take(40).collect::<String>()
        ),
        field: Some("id".into()),
    }
}

/// Post one message of a conversation; the answer carries the decision, the handoff if one
/// was opened, and what to tell the customer.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/events", tag = "conversations",
    params(("id" = String, Path, description = "The channel's conversation id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried post a no-op: scoped to the calling key and the conversation; the same key with the same body returns the stored answer, with another body 422")),
    request_body = IngestRequest,
    responses((status = 201, body = IngestResponse), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody),
              (status = 503, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn post_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<IngestRequest>,
) -> Result<Response, ApiError> {
    caller.require(&[KeyRole::Channel])?;
    let tenant = caller.tenant()?;
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
                ));
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
        return Err(not_a_texted_number(&id));
    }
    let (status, body) = state.desk.ingest(tenant, &id, body, key).await?;
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
        body,
    )
        .into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// A conversation as channels and agents see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    /// The header.
    pub conversation: crate::store::ConversationRow,
    /// Every message, oldest first (notices to the customer are `system` messages).
    #[schema(value_type = Vec<crate::store::MessageDoc>)]
    pub messages: Vec<crate::store::MessageRow>,
    /// The open handoff, if any.
    pub open_handoff: Option<crate::store::HandoffRow>,
    /// Where the customer stands now while waiting for a person (recomputed on every read).
    pub wait: Option<crate::handoff::WaitEstimate>,
}

/// The conversation, its messages and its open handoff.
#[utoipa::path(
    get, path = "/v1/conversations/{id}", tag = "conversations", operation_id = "get_conversation",
    params(("id" = String, Path, description = "The conversation id")),
    responses((status = 200, body = ConversationView), (status = 401, body = super::error::ErrorBody),
              (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<ConversationView>, ApiError> {
    caller.require(&[KeyRole::Channel, KeyRole::Agent])?;
    let tenant = caller.tenant()?;
    let store = state.desk.store();
    let conversation = store
        .conversation(tenant, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("conversation"))?;
    let messages = store.messages(tenant, &id).await?;
    let open_handoff = store.open_handoff(tenant, &id).await?;
    let wait = match &open_handoff {
        Some(h) => state.desk.current_wait(tenant, h).await?,
        None => None,
    };
    Ok(axum::Json(ConversationView {
        conversation,
        messages,
        open_handoff,
        wait,
    }))
}
