//! `GET /v1/admin/tenants`: the operator's view of every tenant on this host.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::store::KeyRole;
use crate::tenants::TenantStatus;
use axum::extract::State;
use serde::Serialize;

/// The host and its tenants.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminStatus {
    /// This host's id (hostname and process).
    pub host: String,
    /// Per tenant: the active version, load time, last reload error, fault counts.
    pub tenants: Vec<TenantStatus>,
}

/// Every tenant's active version, load time, last reload error and faults (operator key).
#[utoipa::path(
    get, path = "/v1/admin/tenants", tag = "admin",
    responses((status = 200, body = AdminStatus), (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn tenants(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<AdminStatus>, ApiError> {
    caller.require(&[KeyRole::Operator])?;
    Ok(axum::Json(AdminStatus {
        host: state.host_id.to_string(),
        tenants: state.desk.tenants().status(),
    }))
}
