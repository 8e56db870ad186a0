//! The live registry of tenants: each tenant's active version (config plus loaded plugins),
//! swapped atomically when its files change, with the last good version kept when a change
//! is refused.

mod load;
mod registry;
mod watch;

pub use load::{
    load_and_test, load_version, LoadReport, TestKind, TestOutcome, SELF_TEST_DEADLINE,
};
pub use registry::{render, ReloadOutcome, TenantStatus, Tenants};
pub use watch::{watch, WatchHandle, DEBOUNCE};

use crate::config::TenantConfig;
use crate::engine::{RoutingPlugin, TriggerPlugin};
use std::sync::Arc;

/// One loaded, validated, self-tested version of a tenant. Immutable: a change makes a new
/// version, and a request holds the version it started with until it finishes.
pub struct TenantVersion {
    /// `<12 hex>`: a hash of the tenant file and every plugin's bytes.
    pub id: String,
    /// When this host loaded it.
    pub loaded_at: jiff::Timestamp,
    /// The tenant's configuration.
    pub config: Arc<TenantConfig>,
    /// The trigger policy.
    pub trigger: TriggerPlugin,
    /// The routing policy.
    pub routing: RoutingPlugin,
    /// The shadow trigger, evaluated beside the live one and never acted on.
    pub shadow: Option<TriggerPlugin>,
}

impl TenantVersion {
    /// The tenant id.
    pub fn tenant(&self) -> &str {
        &self.config.tenant_id
    }
}
