//! The queue: waiting handoffs are offered to agents as they get room, most urgent and
//! oldest first, each to someone the tenant's routing policy returns for the roster as it
//! is now; offers that ran out are moved on. The customer is told who is coming.

use super::desk::{Desk, DeskError};
use super::lifecycle::Moved;
use super::reroute::{is_emergency, pages_offline};
use super::roster;
use super::transitions;
use crate::store::{HandoffFilter, HandoffRow, HandoffState, LiveStats, Room, WriteSet};
use crate::tenants::TenantVersion;
use baton_plugin_sdk::{Agent, Presence, Roster};

/// Whether `a` could be offered `h` now: not declined, and with room (an emergency: present,
/// or on call and pageable, as the routing policy may overflow capacity for one).
fn could_take(a: &Agent, h: &HandoffRow, page_offline: bool) -> bool {
    if h.declined_by.contains(&a.id) {
        return false;
    }
    if is_emergency(h) {
        a.presence != Presence::Offline || page_offline && a.on_call
    } else {
        a.has_room()
    }
}

impl Desk {
    /// The work of [`Desk::promote`] (see `operations.rs`).
    pub(super) async fn promote_queued(&self, tenant: &str) -> Result<usize, DeskError> {
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
        for current in queued {
            if let Some(agent) = self
                .promote_one(tenant, &version, &current, &roster, &stats)
                .await?
            {
                promoted += 1;
                if let Some(a) = roster.agents.iter_mut().find(|a| a.id == agent) {
                    a.load += 1;
                }
            }
        }
        Ok(promoted)
    }

    /// Offer the queued handoff `current` to the first agent the routing policy returns who
    /// could take it now, and tell the customer who is coming (in the same write, on the
    /// `handoff.offered` event too). Returns the agent when the offer committed.
    async fn promote_one(
        &self,
        tenant: &str,
        version: &TenantVersion,
        current: &HandoffRow,
        roster: &Roster,
        stats: &LiveStats,
    ) -> Result<Option<String>, DeskError> {
        let config = &version.config;
        let page = pages_offline(current);
        // Ask the policy only when someone could take it: a round costs nothing while
        // nobody has room.
        if !roster.agents.iter().any(|a| could_take(a, current, page)) {
            return Ok(None);
        }
        let mut h = current.clone();
        let mut w = WriteSet::default();
        let faulted = self
            .reroute(tenant, version, &mut h, roster, &mut w)
            .await?;
        let chosen = h.route.iter().find(|id| {
            roster
                .agents
                .iter()
                .any(|a| &a.id == *id && could_take(a, &h, page))
        });
        let agent = match chosen {
            Some(agent) => agent.clone(),
            // The fault moved it to the fallback queue: record that once.
            None if faulted && current.queue != h.queue => {
                w.handoff_updates
                    .push(transitions::update(current, None, &h));
                let _ = self.commit(tenant, w).await;
                return Ok(None);
            }
            // The policy returns nobody who can take it now: it keeps waiting.
            None => return Ok(None),
        };
        let now = self.clock.now_ms();
        transitions::offer(&mut h, &agent, roster, config, now);
        let lock = self.conversation_lock(tenant, &h.conversation_id);
        let _guard = lock.lock().await;
        let moved = Moved {
            before: current,
            after: &h,
            roster,
            stats,
        };
        self.push_placed(tenant, config, moved, &mut w, now).await?;
        let mut update = transitions::update(current, None, &h);
        // The seat is taken only if it is still free when the offer commits: another
        // host's round, or an accept, may have filled it since the roster was read.
        // An emergency may overflow capacity (the policy's call), so it takes none.
        if !is_emergency(&h) {
            update.room = roster.agents.iter().find(|a| a.id == agent).map(|a| Room {
                agent: agent.clone(),
                capacity: a.capacity,
            });
        }
        w.handoff_updates.push(update);
        match self.commit(tenant, w).await {
            Ok(_) => Ok(Some(agent)),
            // Accepted or changed meanwhile (here or on another host): next round.
            Err(DeskError::Conflict(_) | DeskError::Raced(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The work of [`Desk::expire_offers`] (see `operations.rs`).
    pub(super) async fn expire_offers_due(&self) -> Result<usize, DeskError> {
        let expired = self.store.expired_offers(self.clock.now_ms(), 100).await?;
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
