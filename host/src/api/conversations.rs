//! `POST /v1/conversations/{id}/events` and `GET /v1/conversations/{id}`.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::Path;
use super::AppState;
use crate::handoff::{IngestRequest, IngestResponse};
use crate::store::KeyRole;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Post one message of a conversation; the answer carries the decision, the handoff if one
/// was opened, and what to tell the customer.
#[utoipa::path(
    post, path = "/v1/conversations/{id}/events", tag = "conversations",
    params(("id" = String, Path, description = "The channel's conversation id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried post a no-op")),
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
            Some(k.to_string())
        }
    };
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
    #[schema(value_type = Object)]
    pub conversation: crate::store::ConversationRow,
    /// Every message, oldest first (notices to the customer are `system` messages).
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<crate::store::MessageRow>,
    /// The open handoff, if any.
    #[schema(value_type = Option<Object>)]
    pub open_handoff: Option<crate::store::HandoffRow>,
    /// Where the customer stands now while waiting for a person (recomputed on every read).
    pub wait: Option<crate::handoff::WaitEstimate>,
}

/// The conversation, its messages and its open handoff.
#[utoipa::path(
    get, path = "/v1/conversations/{id}", tag = "conversations",
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
