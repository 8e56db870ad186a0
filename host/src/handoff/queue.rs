//! The queue: waiting handoffs are offered to agents as they get room, most urgent and
//! oldest first; offers that ran out are moved on.

use super::desk::{Desk, DeskError};
use super::lifecycle::{placed_event, push_event};
use super::roster;
use crate::store::*;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Desk {
    /// Offer queued handoffs to agents who have room, most urgent and oldest first.
    pub async fn promote(&self, tenant: &str) -> Result<usize, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        let queued = self
            .store
            .handoffs(
                tenant,
                &HandoffFilter {
                    state: Some(HandoffState::Queued),
                    limit: 200,
                    ..HandoffFilter::default()
                },
            )
            .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let offered = self
            .store
            .handoffs(
                tenant,
                &HandoffFilter {
                    state: Some(HandoffState::Offered),
                    limit: 1000,
                    ..HandoffFilter::default()
                },
            )
            .await?;
        let (presence, stats) = (
            self.store.presence(tenant).await?,
            self.store.live_stats(tenant).await?,
        );
        let mut roster = roster::build(config, &presence, &stats);
        // Pending offers hold a place too.
        for h in &offered {
            if let Some(a) = roster
                .agents
                .iter_mut()
                .find(|a| Some(&a.id) == h.offered_to.as_ref())
            {
                a.load += 1;
            }
        }
        let mut queued = queued;
        queued.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.opened_ms.cmp(&b.opened_ms))
        });
        let mut promoted = 0;
        let now = now_ms();
        for current in queued {
            let queue_skills = config
                .queue(&current.queue)
                .map(|q| q.skills.clone())
                .unwrap_or_default();
            let candidate = roster
                .agents
                .iter()
                .filter(|a| a.has_room() && !current.declined_by.contains(&a.id))
                .max_by_key(|a| {
                    let skills = queue_skills.iter().filter(|s| a.has_skill(s)).count();
                    (
                        skills,
                        a.capacity.saturating_sub(a.load),
                        std::cmp::Reverse(a.id.clone()),
                    )
                })
                .map(|a| a.id.clone());
            let Some(agent) = candidate else { continue };
            let mut h = current.clone();
            h.state = HandoffState::Offered;
            h.offered_to = Some(agent.clone());
            h.offer_expires_ms = Some(now + config.limits.offer_timeout_secs as i64 * 1000);
            let mut w = WriteSet::default();
            let (kind, data) = placed_event(&h);
            push_event(
                &mut w,
                config,
                kind,
                Some(&h),
                &h.conversation_id,
                data,
                now,
            );
            w.handoff_updates.push(HandoffUpdate {
                id: h.id.clone(),
                expect_states: vec![HandoffState::Queued],
                expect_agent: None,
                row: h,
            });
            match self.commit(tenant, w).await {
                Ok(_) => {
                    promoted += 1;
                    if let Some(a) = roster.agents.iter_mut().find(|a| a.id == agent) {
                        a.load += 1;
                    }
                }
                // Accepted or changed meanwhile (here or on another host): next round.
                Err(DeskError::Conflict(_) | DeskError::Raced(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(promoted)
    }

    /// Time out every offer whose reservation ran out: re-route each to the next choice.
    pub async fn expire_offers(&self) -> Result<usize, DeskError> {
        let expired = self.store.expired_offers(now_ms(), 100).await?;
        let mut n = 0;
        for (tenant, h) in expired {
            if let Some(agent) = h.offered_to.as_deref() {
                match self.decline(&tenant, &h.id, agent, true).await {
                    Ok(_) => n += 1,
                    // Accepted (or re-routed) in the meantime, or the tenant is gone.
                    Err(DeskError::Conflict(_) | DeskError::TenantUnavailable(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(n)
    }
}
