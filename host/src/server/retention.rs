//! Decision-log retention: each tenant keeps `[limits] decision_log_days` of rows and at most
//! `decision_log_max_rows` (the oldest go first). Tenants no longer loaded get the defaults.

use crate::config::Limits;
use crate::handoff::Desk;
use crate::store::StoreError;
use std::time::Duration;

/// How often the background work prunes.
pub const EVERY: Duration = Duration::from_secs(3600);

/// One pass over every tenant with a decision log; returns the rows deleted.
pub async fn prune(desk: &Desk, now_ms: i64) -> Result<u64, StoreError> {
    let store = desk.store();
    let mut tenants = store.decision_log_tenants().await?;
    for t in desk.tenants().ids() {
        if !tenants.contains(&t) {
            tenants.push(t);
        }
    }
    let mut total = 0;
    for tenant in tenants {
        let limits = desk
            .tenants()
            .get(&tenant)
            .map(|v| v.config.limits)
            .unwrap_or_default();
        let n = prune_tenant(desk, &tenant, &limits, now_ms).await?;
        total += n;
    }
    Ok(total)
}

async fn prune_tenant(
    desk: &Desk,
    tenant: &str,
    limits: &Limits,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let before = now_ms.saturating_sub(limits.decision_log_days as i64 * 86_400_000);
    let n = desk
        .store()
        .prune_decisions(tenant, before, limits.decision_log_max_rows as u64)
        .await?;
    if n > 0 {
        desk.metrics().pruned(tenant, n);
        tracing::info!(tenant, rows = n, "decision log pruned");
    }
    Ok(n)
}

/// Prune now and then every [`EVERY`], forever.
pub async fn run(desk: Desk) {
    loop {
        if let Err(e) = prune(&desk, jiff::Timestamp::now().as_millisecond()).await {
            tracing::warn!(error = %e, "decision-log pruning failed");
        }
        tokio::time::sleep(EVERY).await;
    }
}
