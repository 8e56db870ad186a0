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
                let presence = p.map(|p| p.presence).unwrap_or(Presence::Offline);
                Agent {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    skills: a.skills.clone(),
                    presence,
                    capacity: p.and_then(|p| p.capacity).unwrap_or(a.capacity),
                    load: count(&stats.load, &a.id),
                    // On call means reachable by pager: offline with no alert contact
                    // to page, an agent cannot be reached, so the policy is not told
                    // they are on call (and never has an emergency wait on them).
                    on_call: a.on_call && (presence != Presence::Offline || pageable(config, a)),
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

/// Whether an offer alert can reach `agent` away from the inbox: an alert email, or an
/// alert text where the tenant has an SMS bridge.
pub fn pageable(config: &TenantConfig, agent: &crate::config::AgentConfig) -> bool {
    agent.alert.email.is_some() || agent.alert.sms.is_some() && config.sms.is_some()
}

/// Agents who could take a handoff now (available with room).
pub fn available(roster: &Roster) -> usize {
    roster.agents.iter().filter(|a| a.has_room()).count()
}
