//! `PUT /v1/agents/{id}/presence`.

use super::auth::Caller;
use super::error::{ApiError, Json};
use super::extract::Path;
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use baton_plugin_sdk::Presence;
use serde::Deserialize;

/// An agent's presence.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// `available`, `busy` or `offline`.
    #[schema(value_type = String, pattern = "^(available|busy|offline)$")]
    pub presence: Presence,
    /// How many handoffs the agent will hold at once now (1 to 50); default: the roster's.
    #[serde(default, deserialize_with = "crate::handoff::whole::option")]
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: Option<u32>,
}

/// An agent sets their own presence; queued handoffs are offered to them when they have room.
#[utoipa::path(
    put, path = "/v1/agents/{id}/presence", tag = "agents", params(("id" = String, Path, description = "The agent id")),
    request_body = PresenceRequest,
    responses((status = 200, body = Object), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn put_presence(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<PresenceRequest>,
) -> Result<axum::Json<crate::store::PresenceRow>, ApiError> {
    let me = caller.agent()?;
    let tenant = caller.tenant()?;
    // Someone not on this tenant's roster is, for this caller, nobody: 404, not 403.
    let on_roster = state
        .desk
        .tenants()
        .get(tenant)
        .is_some_and(|v| v.config.agent(&id).is_some());
    if !on_roster {
        return Err(ApiError::not_found("agent"));
    }
    if me != id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("an agent key for `{me}` cannot set another agent's presence"),
        ));
    }
    if let Some(c) = body.capacity {
        if !(1..=50).contains(&c) {
            return Err(ApiError::invalid(
                "capacity",
                format!("{c} is outside 1 to 50"),
            ));
        }
    }
    Ok(axum::Json(
        state
            .desk
            .set_presence(caller.tenant()?, &id, body.presence, body.capacity)
            .await?,
    ))
}
