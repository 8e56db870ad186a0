//! The roster a routing policy sees: the tenant's agents and queues with live presence,
//! load and queue depth.

use crate::config::TenantConfig;
use crate::store::{LiveStats, PresenceRow};
use baton_plugin_sdk::{Agent, Presence, Queue, Roster};

/// Build the roster from the tenant file, the agents' presence and the live figures.
pub fn build(config: &TenantConfig, presence: &[PresenceRow], stats: &LiveStats) -> Roster {
    let count = |pairs: &[(String, u32)], key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    Roster {
        agents: config
            .agents
            .iter()
            .map(|a| {
                let p = presence.iter().find(|p| p.agent_id == a.id);
                Agent {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    skills: a.skills.clone(),
                    presence: p.map(|p| p.presence).unwrap_or(Presence::Offline),
                    capacity: p.and_then(|p| p.capacity).unwrap_or(a.capacity),
                    load: count(&stats.load, &a.id),
                    on_call: a.on_call,
                }
            })
            .collect(),
        queues: config
            .queues
            .iter()
            .map(|q| Queue {
                name: q.name.clone(),
                skills: q.skills.clone(),
                target_wait_secs: q.target_wait_secs,
                depth: count(&stats.depth, &q.name),
            })
            .collect(),
        fallback_queue: config.fallback_queue.clone(),
    }
}

/// Agents who could take a handoff now (available with room).
pub fn available(roster: &Roster) -> usize {
    roster.agents.iter().filter(|a| a.has_room()).count()
}
