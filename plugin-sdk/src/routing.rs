//! The routing world: choose who takes a handoff.

use crate::types::{Roster, RouteChoice, RouteRequest};
use serde::de::DeserializeOwned;

/// A policy that orders the agents (and names the queue) for a handoff.
///
/// As with [`crate::TriggerPolicy`], every call runs in a fresh instance: `new` with the
/// tenant's `[routing.config]`, then `route` once. Return only agent ids and queue names
/// present in the roster; anything else is a policy fault and the host falls back to the
/// tenant's fallback queue.
pub trait RoutingPolicy: Sized + 'static {
    /// The tenant's `[routing.config]` table.
    type Config: DeserializeOwned;

    /// Build the policy from its config; an `Err` refuses the tenant's version at load time.
    fn new(config: Self::Config) -> Result<Self, String>;

    /// Order the agents to offer the handoff to, and name the queue to wait in.
    fn route(&self, request: &RouteRequest, roster: &Roster) -> RouteChoice;
}
