//! The desk: shared state of the handoff service.

use crate::clock::{SharedClock, SystemClock};
use crate::store::{SharedStore, StoreError};
use crate::tenants::Tenants;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a desk operation can fail with; the API maps each to a status code.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No such conversation or handoff for this tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request names something that breaks the rules (e.g. an unknown agent).
    #[error("{message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Someone else got there first (accept race), or the state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// The key's agent may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A one-time credential (an accept link) that was used or ran out.
    #[error("{0}")]
    Gone(String),
    /// The tenant has no serving version.
    #[error("tenant `{0}` has no valid policy version loaded")]
    TenantUnavailable(String),
    /// Another host wrote the same conversation at the same moment; the operation changed
    /// nothing and is run again on fresh reads (see `operations.rs`). Reaches a caller as a
    /// conflict only if it keeps losing.
    #[error("{0}")]
    Raced(String),
    /// The store is down or full.
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for DeskError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => DeskError::Conflict(m),
            StoreError::Raced(m) => DeskError::Raced(m),
            StoreError::Unavailable(m) => DeskError::Unavailable(m),
            StoreError::Database(m) => DeskError::Unavailable(m),
        }
    }
}

/// `(tenant, conversation)` → the lock its writes take.
type ConversationLocks = HashMap<(String, String), Arc<tokio::sync::Mutex<()>>>;

/// The handoff service: store, tenants and a wake-up signal for live streams.
#[derive(Clone)]
pub struct Desk {
    pub(crate) store: SharedStore,
    pub(crate) tenants: Arc<Tenants>,
    /// Ticks after every committed change, so SSE streams look for new events at once.
    pub(crate) changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set when the host shuts down, so long-lived streams end and the server can exit.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// One lock per conversation being written, so its events are applied in order.
    locks: Arc<Mutex<ConversationLocks>>,
    /// Counters and histograms for `GET /metrics`.
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Where "now" comes from: the system's clock when serving, a manual one in tests
    /// and simulations.
    pub(crate) clock: SharedClock,
}

impl Desk {
    /// A desk over `store` and `tenants` on the system's clock.
    pub fn new(store: SharedStore, tenants: Arc<Tenants>) -> Self {
        Self::with_clock(store, tenants, Arc::new(SystemClock))
    }

    /// A desk over `store` and `tenants` that reads the time from `clock`.
    pub fn with_clock(store: SharedStore, tenants: Arc<Tenants>, clock: SharedClock) -> Self {
        let (tx, _) = tokio::sync::watch::channel(0);
        Desk {
            store,
            tenants,
            changed: Arc::new(tx),
            closing: Arc::new(tokio::sync::watch::channel(false).0),
            locks: Arc::new(Mutex::new(HashMap::new())),
            metrics: Arc::default(),
            clock,
        }
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<crate::metrics::Metrics> {
        &self.metrics
    }

    /// The clock this desk reads the time from.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// The store.
    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    /// The tenants.
    pub fn tenants(&self) -> &Arc<Tenants> {
        &self.tenants
    }

    /// A receiver that changes whenever something was committed.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Watch one conversation: the watch changes after every commit on this host that
    /// touches it (other hosts' commits are not seen: poll for those on a shared store).
    pub fn watch_conversation(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> crate::store::ConversationWatch {
        self.store.commits().watch(tenant, conversation)
    }

    /// Tell live streams the host is shutting down.
    pub fn shut_down(&self) {
        self.closing.send_replace(true);
    }

    /// A receiver that turns `true` when the host shuts down.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub(crate) fn notify(&self) {
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The lock serialising writes to one conversation.
    pub(crate) fn conversation_lock(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        if locks.len() > 10_000 {
            // Drop locks nobody holds, so the map stays bounded.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        locks
            .entry((tenant.to_string(), conversation.to_string()))
            .or_default()
            .clone()
    }

    /// The tenant's serving version.
    pub(crate) fn version(
        &self,
        tenant: &str,
    ) -> Result<Arc<crate::tenants::TenantVersion>, DeskError> {
        self.tenants
            .get(tenant)
            .ok_or_else(|| DeskError::TenantUnavailable(tenant.to_string()))
    }
}
