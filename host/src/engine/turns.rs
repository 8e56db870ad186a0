//! Turns: when a plugin call may start. A call's deadline is wall-clock time from its start,
//! so calls wait for a turn *before* their clock starts rather than sharing the CPU with
//! hundreds of others and timing out through no fault of their own.
//!
//! Turns are bounded host-wide (the CPU) and per tenant, so no tenant can hold every turn:
//! a policy that loops to its deadline on every call, hammered by a busy channel, would
//! otherwise keep all of them, and every other tenant's calls would queue behind it for a
//! deadline at a time. A tenant gets at most half the host's turns; and a plugin whose
//! calls run out of time gets one turn at a time (and the quarantine threads,
//! [`super::quarantine`]) until a call finishes in time. Its other calls wait in its own
//! line, not in the host's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// The host's turns and each tenant's share of them.
pub(crate) struct Turns {
    host: Semaphore,
    per_tenant: usize,
    shares: Mutex<HashMap<Arc<str>, Arc<Semaphore>>>,
}

/// One loaded plugin's state (each version of a tenant starts afresh): whether its last
/// call ran out of time, and its single turn while it does.
pub(crate) struct Solo {
    struggling: AtomicBool,
    turn: Arc<Semaphore>,
}

/// A granted turn: hold it for the whole call, then [`Turn::finished`].
pub(crate) struct Turn<'a> {
    solo: Arc<Solo>,
    _share: OwnedSemaphorePermit,
    _solo: Option<OwnedSemaphorePermit>,
    _host: SemaphorePermit<'a>,
}

const OPEN: &str = "turns are never closed";

impl Turns {
    /// `host` turns in all (at least 1); a tenant gets at most half of them (at least 1).
    pub fn new(host: usize) -> Self {
        let host = host.max(1);
        Turns {
            host: Semaphore::new(host),
            per_tenant: (host / 2).max(1),
            shares: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for a turn for a call of `plugin`, one of `tenant`'s: in the tenant's share,
    /// then (while the plugin struggles) its single turn, then the host's.
    pub async fn take(&self, tenant: &Arc<str>, plugin: &Arc<Solo>) -> Turn<'_> {
        let share = {
            let mut shares = self.shares.lock().unwrap_or_else(|e| e.into_inner());
            let share = shares.entry(tenant.clone());
            share
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant)))
                .clone()
        };
        let share = share.acquire_owned().await.expect(OPEN);
        let solo = match plugin.struggling() {
            true => Some(plugin.turn.clone().acquire_owned().await.expect(OPEN)),
            false => None,
        };
        let host = self.host.acquire().await.expect(OPEN);
        Turn {
            solo: plugin.clone(),
            _share: share,
            _solo: solo,
            _host: host,
        }
    }
}

impl Solo {
    /// A plugin that has not run out of time.
    pub fn new() -> Arc<Solo> {
        Arc::new(Solo {
            struggling: AtomicBool::new(false),
            turn: Arc::new(Semaphore::new(1)),
        })
    }

    /// Whether the plugin's last call ran out of time.
    pub fn struggling(&self) -> bool {
        self.struggling.load(Ordering::Relaxed)
    }
}

impl Turn<'_> {
    /// Record whether the call ran out of time: the plugin's next calls run one at a time
    /// until one finishes in time.
    pub fn finished(self, timed_out: bool) {
        self.solo.struggling.store(timed_out, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn soon<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::time::timeout(Duration::from_millis(50), f)
            .await
            .ok()
    }

    #[tokio::test]
    async fn a_tenant_never_holds_every_turn() {
        let turns = Turns::new(4);
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        // Two plugins of one tenant share its half.
        let (a1, a2, b1) = (Solo::new(), Solo::new(), Solo::new());
        let held = [turns.take(&a, &a1).await, turns.take(&a, &a2).await];
        let third = soon(turns.take(&a, &a1)).await;
        assert!(third.is_none(), "a tenant got more than half");
        let other = soon(turns.take(&b, &b1)).await;
        assert!(other.is_some(), "another tenant waited behind it");
        drop(held);
        assert!(soon(turns.take(&a, &a1)).await.is_some());
    }

    #[tokio::test]
    async fn a_plugin_running_out_of_time_gets_one_turn_at_a_time() {
        let turns = Turns::new(8);
        let (a, slow, other) = ("a".into(), Solo::new(), Solo::new());
        turns.take(&a, &slow).await.finished(true);
        assert!(slow.struggling());
        let first = turns.take(&a, &slow).await;
        assert!(soon(turns.take(&a, &slow)).await.is_none(), "two at once");
        // The tenant's other plugin (another version, the router) is not held back.
        assert!(!other.struggling());
        assert!(soon(turns.take(&a, &other)).await.is_some());
        first.finished(false);
        assert!(!slow.struggling());
        let both = (turns.take(&a, &slow).await, turns.take(&a, &slow).await);
        drop(both);
    }

    #[tokio::test]
    async fn one_turn_is_still_a_turn() {
        let turns = Turns::new(1);
        let (a, p) = ("a".into(), Solo::new());
        drop(turns.take(&a, &p).await);
        drop(turns.take(&a, &p).await);
    }
}
