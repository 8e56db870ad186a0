//! `POST /v1/widget/conversations/{id}/leave`: the visitor ends the chat while waiting for a
//! person. The lead is recorded as one that left (`abandoned`, by the customer), not one still
//! waiting, and nobody is offered it any more; a handoff a person has already accepted stays
//! theirs to resolve.

use super::session_tenant;
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::api::extract::Path;
use crate::api::AppState;
use crate::handoff::{AbandonedBy, DeskError};
use crate::store::{HandoffRow, HandoffState};
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

/// What leaving did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WidgetLeft {
    /// The handoff closed as abandoned; none when nothing was waiting for a person (or a
    /// person already has it).
    pub abandoned: Option<HandoffRow>,
}

/// End the chat: a handoff still waiting for a person (queued or offered) closes as
/// `abandoned` by the customer. Nothing waiting, or a person already on it: nothing changes.
#[utoipa::path(
    post, path = "/v1/widget/conversations/{id}/leave", tag = "widget",
    params(("id" = String, Path), ("X-Baton-Session" = String, Header, description = "The session token")),
    responses((status = 200, body = WidgetLeft), (status = 401, body = crate::api::error::ErrorBody),
              (status = 403, body = crate::api::error::ErrorBody), (status = 503, body = crate::api::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<axum::Json<WidgetLeft>, ApiError> {
    let tenant = session_tenant(&state, &caller, &id, &headers).await?;
    let waiting = state
        .desk
        .store()
        .open_handoff(tenant, &id)
        .await?
        .filter(|h| matches!(h.state, HandoffState::Queued | HandoffState::Offered));
    let Some(h) = waiting else {
        return Ok(axum::Json(WidgetLeft { abandoned: None }));
    };
    let reason = Some("the visitor ended the chat");
    let abandoned = match state
        .desk
        .abandon(tenant, &h.id, AbandonedBy::Customer, reason, None)
        .await
    {
        Ok(h) => Some(h),
        // A person accepted it meanwhile: theirs now.
        Err(DeskError::Conflict(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(axum::Json(WidgetLeft { abandoned }))
}
