//! Live streams end with their key. A request's key is checked once, when it arrives; a
//! stream (`/v1/events`, the widget's conversation stream) lasts for hours, so it re-checks
//! its key while it runs: in the store at most every [`RECHECK`] (a key revoked with
//! `baton keys revoke` or by API, on this host or any host sharing the store, or expired,
//! ends the stream within about that), and its agent on the serving roster (in memory)
//! before every event.

use super::auth::Caller;
use crate::handoff::Desk;
use crate::store::{KeyRole, KeyState};
use std::time::Duration;
use tokio::time::Instant;

/// How often a live stream looks its key up in the store again.
pub(super) const RECHECK: Duration = Duration::from_secs(1);

/// A stream's key, re-checked as the stream runs.
pub(super) struct KeyCheck {
    desk: Desk,
    key_hash: String,
    tenant: Option<String>,
    /// The agent of an agent key: the stream ends when they leave the roster.
    agent: Option<String>,
    next: Instant,
}

impl KeyCheck {
    /// The check for `caller`'s key; it was found live just now.
    pub(super) fn new(desk: &Desk, caller: &Caller) -> Self {
        KeyCheck {
            desk: desk.clone(),
            key_hash: caller.key_hash.clone(),
            tenant: caller.tenant.clone(),
            agent: caller
                .agent_id
                .clone()
                .filter(|_| caller.role == KeyRole::Agent),
            next: Instant::now() + RECHECK,
        }
    }

    /// When the next look in the store is due (a stream waiting for news wakes then).
    pub(super) fn due(&self) -> Instant {
        self.next
    }

    /// Whether the key still works: its agent (if any) on the roster, and, when a look is
    /// due, the key live in the store. A store that cannot answer keeps the stream going
    /// (it cannot read anything either) and is asked again at the next look.
    pub(super) async fn holds(&mut self) -> bool {
        if !self.on_roster() {
            return false;
        }
        if Instant::now() < self.next {
            return true;
        }
        self.next = Instant::now() + RECHECK;
        match self.desk.store().key_by_hash(&self.key_hash).await {
            Ok(key) => key.is_some_and(|k| k.state(self.desk.clock().now_ms()) == KeyState::Live),
            Err(e) => {
                tracing::warn!(error = %e, "a live stream could not re-check its key; keeping it");
                true
            }
        }
    }

    fn on_roster(&self) -> bool {
        let (Some(agent), Some(tenant)) = (&self.agent, &self.tenant) else {
            return true;
        };
        self.desk
            .tenants()
            .get(tenant)
            .is_some_and(|v| v.config.agent(agent).is_some())
    }
}
