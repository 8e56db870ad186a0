//! `GET /metrics`: Prometheus text format, per loaded tenant (operator key).

use super::auth::Caller;
use super::error::ApiError;
use super::AppState;
use crate::metrics::TenantGauges;
use crate::store::KeyRole;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// Counters and histograms per loaded tenant in the Prometheus text format (0.0.4):
/// `baton_decisions_total{tenant,role,reason}`, `baton_policy_faults_total{tenant,kind}`,
/// `baton_evaluation_seconds{tenant,role}`, `baton_queue_depth{tenant,queue}`,
/// `baton_queue_wait_seconds{tenant,queue}`, `baton_tenant_reloads_total`,
/// `baton_tenant_reload_failures_total`, `baton_webhook_deliveries_total`,
/// `baton_webhook_delivery_failures_total`, `baton_decision_log_pruned_total`,
/// `baton_widget_stream_reads_total` (all `{tenant}`). Counters count since the host started. Needs an operator key (Prometheus:
/// `authorization: {credentials: <key>}`).
#[utoipa::path(
    get, path = "/metrics", tag = "admin", operation_id = "get_metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
              (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[KeyRole::Operator])?;
    let tenants = state.desk.tenants();
    let mut gauges = Vec::new();
    for status in tenants.status() {
        let Some(version) = tenants.get(&status.tenant) else {
            continue;
        };
        let stats = state.desk.store().live_stats(&status.tenant).await?;
        let depth = version
            .config
            .queues
            .iter()
            .map(|q| {
                let n = stats
                    .depth
                    .iter()
                    .filter(|(name, _)| *name == q.name)
                    .map(|(_, n)| *n)
                    .sum();
                (q.name.clone(), n)
            })
            .collect();
        gauges.push(TenantGauges {
            tenant: status.tenant,
            depth,
            reloads: status.reloads,
            reload_failures: status.reload_failures,
            faults: status.faults,
        });
    }
    let text = state.desk.metrics().render(&gauges);
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    ))
}
