//! One-time accept links: the page in an agent's alert (`/inbox/accept#<token>`) reads the
//! offer and accepts it here. The token in the path is the only credential: it names one
//! handoff, one agent and one tenant, works once and for an hour (`outbox::accept_link`);
//! a bearer key means nothing here.

use super::error::ApiError;
use super::extract::Path;
use super::AppState;
use crate::handoff::{LinkAccepted, LinkOffer};
use axum::extract::State;

/// What an accept link stands for: the handoff, the customer's last words, whether it can
/// still be accepted. Reading it does not use the link.
#[utoipa::path(
    get, path = "/v1/accept-links/{token}", tag = "handoffs", operation_id = "get_accept_link",
    params(("token" = String, Path, description = "The link's token: what follows `#` in the alert's link")),
    responses((status = 200, body = LinkOffer),
              (status = 404, body = super::error::ErrorBody, description = "No such link"),
              (status = 410, body = super::error::ErrorBody, description = "The link was used or has expired"),
              (status = 503, body = super::error::ErrorBody))
)]
pub async fn get(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<axum::Json<LinkOffer>, ApiError> {
    Ok(axum::Json(state.desk.link_offer(&token).await?))
}

/// Accept the handoff as the agent the link was sent to, exactly as the inbox would (the
/// same accept rule); the link is used up with it. A second agent (or a second tap) loses
/// with 409 or 410.
#[utoipa::path(
    post, path = "/v1/accept-links/{token}/accept", tag = "handoffs", operation_id = "accept_by_link",
    params(("token" = String, Path, description = "The link's token")),
    responses((status = 200, body = LinkAccepted),
              (status = 403, body = super::error::ErrorBody, description = "The agent is no longer on the roster, or is offline while it waits in the queue"),
              (status = 404, body = super::error::ErrorBody, description = "No such link"),
              (status = 409, body = super::error::ErrorBody, description = "Someone else accepted it, it is closed, it is offered to someone else now, or the agent has no room"),
              (status = 410, body = super::error::ErrorBody, description = "The link was used or has expired"),
              (status = 503, body = super::error::ErrorBody))
)]
pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<axum::Json<LinkAccepted>, ApiError> {
    Ok(axum::Json(state.desk.accept_by_link(&token).await?))
}
