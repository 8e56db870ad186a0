//! `GET /v1/admin/tenants`: the operator's view of every tenant on this host.

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::store::{HostVersion, KeyRole};
use crate::tenants::TenantStatus;
use axum::extract::State;
use serde::Serialize;

/// The host and its tenants.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminStatus {
    /// This host's id (hostname and process).
    pub host: String,
    /// The store: `sqlite` (embedded, this host only) or `postgres` (shared by hosts).
    pub store: String,
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
    /// The version each live host serves (hosts that reported in the last
    /// [`HOSTS_SEEN_MS`] ms; with the embedded store, this host alone).
    pub hosts: Vec<HostVersion>,
    /// Whether every live host serves the same version (false during a rollout, or when a
    /// host refused a change the others took).
    pub hosts_agree: bool,
}

/// Hosts that reported their versions this recently count as live.
pub const HOSTS_SEEN_MS: i64 = 15_000;

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
    let store = state.desk.store();
    let mut counts = store.outbox_counts().await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let mut reported = store.host_versions(now - HOSTS_SEEN_MS).await?;
    let tenants = state
        .desk
        .tenants()
        .status()
        .into_iter()
        .map(|status| {
            let outbox: Vec<_> = counts
                .extract_if(.., |c| c.tenant == status.tenant)
                .collect();
            let mut hosts: Vec<HostVersion> = reported
                .extract_if(.., |h| {
                    h.tenant == status.tenant && *h.host != *state.host_id
                })
                .collect();
            // This host's own version is read live, not from its last report.
            if let Some(version) = &status.active_version {
                hosts.push(HostVersion {
                    host: state.host_id.to_string(),
                    tenant: status.tenant.clone(),
                    version: version.clone(),
                    seen_ms: now,
                });
            }
            hosts.sort_by(|a, b| a.host.cmp(&b.host));
            TenantEntry {
                delivery_failures: outbox.iter().map(|c| c.retrying + c.failed).sum(),
                hosts_agree: hosts.windows(2).all(|w| w[0].version == w[1].version),
                hosts,
                status,
                outbox,
            }
        })
        .collect();
    Ok(axum::Json(AdminStatus {
        host: state.host_id.to_string(),
        store: store.backend().to_string(),
        tenants,
    }))
}
