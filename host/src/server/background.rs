//! Background work: webhook and channel delivery, offer timeouts, the abandon limit, queue
//! promotion, decision-log retention, and (on a shared store) telling the other hosts which
//! policy versions this host serves.
//!
//! With several hosts on one database, offer timeouts, the abandon limit and queue
//! promotion run on one host at a time: whichever holds the `queue` lease. A dead host stops
//! renewing it and another takes it over within [`LEASE_MS`]; a live holder works only in
//! the first half of its lease. Deliveries need no lease: each host claims due outbox rows
//! with `SKIP LOCKED`, so a row goes to one host.

use crate::handoff::{Desk, DeskError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the queue is looked at.
const QUEUE_EVERY: Duration = Duration::from_millis(250);
/// How long the queue lease lasts without renewal: the bound on a dead host's work waiting.
/// A holder stops a round halfway through it, so a slow round never runs past the lease
/// into the next holder's.
pub const LEASE_MS: i64 = 5_000;
/// How often this host reports its versions.
const VERSIONS_EVERY: Duration = Duration::from_secs(2);

pub(super) fn spawn(
    desk: Desk,
    host_id: Arc<str>,
    mailer: Option<Arc<crate::outbox::email::Mailer>>,
    public_url: Option<String>,
) {
    let mut channels =
        crate::outbox::ChannelSender::new(desk.store().clone(), desk.tenants().clone(), mailer);
    if let Some(url) = public_url {
        let links = crate::outbox::accept_link::LinkMinter::new(
            desk.store().clone(),
            desk.clock().clone(),
            &url,
        );
        channels = channels.with_links(links);
    }
    let deliverer = crate::outbox::Deliverer::new(desk.store().clone())
        .with_metrics(desk.metrics().clone())
        .with_channels(channels);
    tokio::spawn(crate::outbox::run_deliveries(deliverer, desk.subscribe()));
    tokio::spawn(super::retention::run(desk.clone()));
    // Only a shared store has other hosts to tell which versions this one serves.
    if desk.store().backend() != "sqlite" {
        tokio::spawn(report_versions(desk.clone(), host_id.clone()));
    }
    tokio::spawn(run_queue(desk, host_id));
}

async fn run_queue(desk: Desk, host_id: Arc<str>) {
    let mut held = false;
    loop {
        tokio::time::sleep(QUEUE_EVERY).await;
        // Measured from before asking, so the lease surely lasts this long.
        let safe_until = Instant::now() + Duration::from_millis(LEASE_MS as u64 / 2);
        match desk.store().lease("queue", &host_id, LEASE_MS).await {
            Ok(true) => {
                if !held {
                    tracing::info!(host = %host_id, "this host runs offer timeouts and queue promotion");
                    held = true;
                }
            }
            Ok(false) => {
                if held {
                    tracing::warn!(host = %host_id, "another host took the queue lease");
                    held = false;
                }
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew the queue lease");
                held = false;
                continue;
            }
        }
        if let Err(e) = desk.expire_offers().await {
            tracing::warn!(error = %e, "offer timeouts failed");
        }
        if let Err(e) = desk.abandon_idle().await {
            tracing::warn!(error = %e, "the abandon limit's round failed");
        }
        for tenant in desk.tenants().ids() {
            if Instant::now() >= safe_until {
                tracing::debug!("queue round cut short: the lease is renewed first");
                break;
            }
            match desk.promote(&tenant).await {
                Ok(_) | Err(DeskError::TenantUnavailable(_)) => {}
                Err(e) => tracing::warn!(tenant, error = %e, "queue promotion failed"),
            }
        }
    }
}

async fn report_versions(desk: Desk, host_id: Arc<str>) {
    loop {
        let versions: Vec<(String, String)> = desk
            .tenants()
            .status()
            .into_iter()
            .filter_map(|s| Some((s.tenant, s.active_version?)))
            .collect();
        let now = jiff::Timestamp::now().as_millisecond();
        if let Err(e) = desk.store().report_versions(&host_id, &versions, now).await {
            tracing::debug!(error = %e, "cannot report this host's versions");
        }
        tokio::time::sleep(VERSIONS_EVERY).await;
    }
}
