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
    /// Per tenant: the active version, load time, last reload error, fault counts, and its
    /// outbox (webhooks, SMS, agent alerts: pending, retrying, failed).
    pub tenants: Vec<TenantEntry>,
}

/// One tenant's status and outbox.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TenantEntry {
    /// Version, reloads and faults.
    #[serde(flatten)]
    pub status: TenantStatus,
    /// Outbox rows by kind (`webhook`, `sms`, `alert_email`, `alert_sms`).
    pub outbox: Vec<crate::store::OutboxCount>,
    /// Rows retrying or given up, across kinds: deliveries and alerts that are failing.
    pub delivery_failures: u64,
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
    let mut counts = state.desk.store().outbox_counts().await?;
    let tenants = state
        .desk
        .tenants()
        .status()
        .into_iter()
        .map(|status| {
            let outbox: Vec<_> = counts
                .extract_if(.., |c| c.tenant == status.tenant)
                .collect();
            TenantEntry {
                delivery_failures: outbox.iter().map(|c| c.retrying + c.failed).sum(),
                status,
                outbox,
            }
        })
        .collect();
    Ok(axum::Json(AdminStatus {
        host: state.host_id.to_string(),
        tenants,
    }))
}
