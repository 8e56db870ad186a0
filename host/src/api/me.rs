//! `GET /v1/me`: who the caller's key says they are, so a tool (the inbox) can show the
//! agent's name and business and knows which agent id to set presence for.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use axum::extract::State;
use serde::Serialize;

/// The caller as their key identifies them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The key's tenant (none for an operator key).
    pub tenant: Option<String>,
    /// `channel`, `agent`, `widget`, `manager` or `operator`.
    pub role: String,
    /// The agent, for agent keys.
    pub agent_id: Option<String>,
    /// The agent's display name from the tenant file (agent keys).
    pub agent_name: Option<String>,
    /// The business's name from the tenant file (tenant keys, while the tenant is loaded).
    pub business: Option<String>,
    /// The agent's current presence (`available`, `busy` or `offline`; agent keys).
    #[schema(value_type = Option<String>)]
    pub presence: Option<baton_plugin_sdk::Presence>,
}

/// The caller's tenant, role and agent, with the names a person reads.
#[utoipa::path(
    get, path = "/v1/me", tag = "agents",
    responses((status = 200, body = Me), (status = 401, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<axum::Json<Me>, ApiError> {
    let version = caller
        .tenant
        .as_deref()
        .and_then(|t| state.desk.tenants().get(t));
    let agent_name = match (&version, caller.agent_id.as_deref()) {
        (Some(v), Some(id)) => v.config.agent(id).map(|a| a.name.clone()),
        _ => None,
    };
    let presence = match (caller.tenant.as_deref(), caller.agent_id.as_deref()) {
        (Some(tenant), Some(id)) => Some(
            state
                .desk
                .store()
                .presence(tenant)
                .await?
                .into_iter()
                .find(|p| p.agent_id == id)
                .map(|p| p.presence)
                .unwrap_or_default(),
        ),
        _ => None,
    };
    Ok(axum::Json(Me {
        business: version.map(|v| v.config.name.clone()),
        tenant: caller.tenant,
        role: caller.role.as_str().to_string(),
        agent_id: caller.agent_id,
        agent_name,
        presence,
    }))
}
