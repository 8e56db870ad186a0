//! The wait estimate a customer is told, from live statistics: how many wait ahead, how
//! many agents can take work, and how long recent handoffs took.

use serde::Serialize;

/// What a handoff's customer is told about the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WaitEstimate {
    /// 1-based place in the queue (1: next).
    pub position: u32,
    /// Expected seconds until a person joins.
    pub seconds: u64,
}

/// Handle time assumed before the tenant has history, seconds.
pub const DEFAULT_HANDLE_SECS: u64 = 8 * 60;
/// Time to accept an offer assumed before the tenant has history, seconds.
pub const DEFAULT_ACCEPT_SECS: u64 = 60;

fn median_secs(ms: &[i64], default: u64) -> u64 {
    let mut v: Vec<i64> = ms.iter().copied().filter(|m| *m >= 0).collect();
    if v.is_empty() {
        return default;
    }
    v.sort_unstable();
    (v[v.len() / 2] as u64).div_ceil(1000)
}

/// Estimate the wait of the handoff at `position` (1-based) with `free_agents` able to take
/// work now and `agents_on_shift` signed in at all.
pub fn estimate(
    position: u32,
    free_agents: usize,
    agents_on_shift: usize,
    recent_handle_ms: &[i64],
    recent_accept_ms: &[i64],
) -> WaitEstimate {
    let handle = median_secs(recent_handle_ms, DEFAULT_HANDLE_SECS);
    let accept = median_secs(recent_accept_ms, DEFAULT_ACCEPT_SECS);
    let position = position.max(1);
    let seconds = if (position as usize) <= free_agents {
        accept
    } else {
        // Those ahead are taken by the free agents first, then every agent on shift frees up
        // once per handle time.
        let ahead = position as u64 - free_agents as u64;
        let servers = agents_on_shift.max(1) as u64;
        accept + ahead.div_ceil(servers) * handle
    };
    WaitEstimate { position, seconds }
}

impl super::Desk {
    /// The work of [`Desk::current_wait`] (see `operations.rs`).
    pub(super) async fn current_wait_of(
        &self,
        tenant: &str,
        h: &crate::store::HandoffRow,
    ) -> Result<Option<WaitEstimate>, super::DeskError> {
        use crate::store::HandoffState;
        if !matches!(h.state, HandoffState::Queued | HandoffState::Offered) {
            return Ok(None);
        }
        let version = self.version(tenant)?;
        let (presence, stats) = (
            self.store.presence(tenant).await?,
            self.store.live_stats(tenant).await?,
        );
        let roster = super::roster::build(&version.config, &presence, &stats);
        Ok(Some(self.wait_for(tenant, h, &roster, &stats).await?))
    }

    /// The wait of handoff `h` (stored or about to be): those waiting in the same queue at a
    /// higher priority, or at the same priority since earlier, are ahead of it.
    pub(crate) async fn wait_for(
        &self,
        tenant: &str,
        h: &crate::store::HandoffRow,
        roster: &baton_plugin_sdk::Roster,
        stats: &crate::store::LiveStats,
    ) -> Result<WaitEstimate, super::DeskError> {
        use crate::store::{HandoffFilter, HandoffState};
        let on_shift = roster
            .agents
            .iter()
            .filter(|a| a.presence != baton_plugin_sdk::Presence::Offline)
            .count();
        if h.state == HandoffState::Offered {
            return Ok(estimate(
                1,
                1,
                on_shift,
                &stats.recent_handle_ms,
                &stats.recent_accept_ms,
            ));
        }
        let waiting = self
            .store
            .handoffs(
                tenant,
                &HandoffFilter {
                    state: Some(HandoffState::Queued),
                    queue: Some(h.queue.clone()),
                    limit: 1000,
                    ..HandoffFilter::default()
                },
            )
            .await?;
        let ahead = waiting
            .iter()
            .filter(|o| {
                o.id != h.id
                    && (o.priority > h.priority
                        || (o.priority == h.priority && o.opened_ms <= h.opened_ms))
            })
            .count() as u32;
        Ok(estimate(
            ahead + 1,
            super::roster::available(roster),
            on_shift,
            &stats.recent_handle_ms,
            &stats.recent_accept_ms,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_agent_means_only_the_time_to_accept() {
        assert_eq!(
            estimate(1, 1, 1, &[], &[30_000, 90_000, 60_000]).seconds,
            60
        );
    }

    #[test]
    fn a_queue_waits_for_handle_times() {
        // Third in line, nobody free, two agents each handling ~5 minutes.
        let e = estimate(3, 0, 2, &[300_000; 5], &[20_000]);
        assert_eq!(e.seconds, 20 + 2 * 300);
    }

    #[test]
    fn nobody_signed_in_still_gives_a_finite_estimate() {
        let e = estimate(1, 0, 0, &[], &[]);
        assert_eq!(e.seconds, DEFAULT_ACCEPT_SECS + DEFAULT_HANDLE_SECS);
    }
}
