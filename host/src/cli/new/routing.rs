//! {{name}}: a Baton routing policy in Rust.
//!
//! Offers the handoff to the available agents who have room, least loaded first, skipping
//! those who declined, and waits in the tenant's fallback queue.
//! Build with `./build` (or `baton build`); the component lands in out/policy.wasm.

use baton_plugin_sdk::prelude::*;

pub struct Policy;

impl RoutingPolicy for Policy {
    type Config = NoConfig;

    fn new(_: NoConfig) -> Result<Self, String> {
        Ok(Policy)
    }

    fn route(&self, request: &RouteRequest, roster: &Roster) -> RouteChoice {
        let mut free: Vec<&Agent> = roster
            .agents
            .iter()
            .filter(|a| a.presence == Presence::Available && a.load < a.capacity)
            .filter(|a| !request.declined_by.contains(&a.id))
            .collect();
        free.sort_by_key(|a| a.load);
        RouteChoice {
            agents: free.iter().map(|a| a.id.clone()).collect(),
            queue: roster.fallback_queue.clone(),
            explanation: "available agents, least loaded first".into(),
        }
    }
}

baton_plugin_sdk::export_routing!(Policy);
