//! # Skills router: Baton's stock routing policy
//!
//! Given a handoff and the tenant's roster, [`SkillsRouter`] orders the agents to offer it
//! to and names the queue it waits in if none accepts:
//!
//! 1. **Skills needed**: the handoff's reason, decision tags and the bot's last intent map
//!    to skills ([`Config::reason_skills`], [`Config::tag_skills`]; defaults in
//!    [`config::DEFAULT_REASON_SKILLS`] and [`config::DEFAULT_TAG_SKILLS`]). A skill nobody
//!    on the roster has is set aside ([`Config::ignore_unknown_skills`]). With
//!    `skills = "required"` an agent lacking a needed skill is not offered.
//! 2. **Who can take it**: not in `declined_by`; in hours, presence `available` with
//!    `load < capacity`, and for an urgent handoff also on-call agents who are not
//!    (off shift, say), after everyone signed in; after hours, on-call agents only,
//!    `available` or (configurably) `busy`, and for an urgent handoff also those offline
//!    in the inbox ([`Config::page_on_call`]): on call means reachable by pager, and the
//!    host pages an offered agent who is offline through their alert contacts.
//! 3. **Urgent** (priority `urgent` or reason `emergency`): agents with the emergency skill
//!    first, and with [`Config::emergency_overflow`] also those at capacity.
//! 4. **Order**: the previous agent first (if qualified, reachable, with room), then
//!    `available` before on-call `busy` before paged, more needed skills, more spare
//!    capacity, less load, and the agent id: the same input always gives the same answer.
//!    At most [`Config::max_offers`] agents.
//! 5. **Queue**: in hours, the roster queue serving most needed skills (ties: fewest
//!    waiting relative to its target wait, then name), else the fallback queue; after
//!    hours, [`Config::after_hours_queue`] or the fallback queue.
//!
//! Every agent id and queue name returned comes from the roster. The logic is plain Rust,
//! tested natively; [`baton_plugin_sdk::export_routing!`] adds the Wasm export.
#![warn(missing_docs)]

pub mod config;
pub mod explain;
pub mod needs;
pub mod queue;
pub mod rank;

pub use config::{Config, SkillMode};

use baton_plugin_sdk::prelude::*;
use needs::Need;

/// The stock routing policy. See the crate documentation for the rules and [`Config`] for
/// the tenant's `[routing.config]` keys.
#[derive(Debug, Clone, PartialEq)]
pub struct SkillsRouter {
    config: Config,
}

impl SkillsRouter {
    /// The config this instance routes with.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl RoutingPolicy for SkillsRouter {
    type Config = Config;

    /// Check the config and keep it: no tables are built here, the defaults are `static`.
    fn new(config: Config) -> Result<Self, String> {
        config.validate()?;
        Ok(SkillsRouter { config })
    }

    fn route(&self, request: &RouteRequest, roster: &Roster) -> RouteChoice {
        let config = &self.config;
        let urgent = request.priority == Priority::Urgent || request.reason == Reason::Emergency;
        let open = request.clock.open;
        let needs = needs::needs_of(request, roster, config);
        let emergency = needs::emergency_needs(config);
        let ctx = rank::Context {
            request,
            config,
            needs: &needs,
            emergency: &emergency,
            urgent,
            open,
        };
        let (mut ranked, tally) = rank::rank(&ctx, roster);
        ranked.truncate(config.max_offers);

        let mut queue_needs: Vec<Need> = needs.active.clone();
        if urgent {
            for n in &emergency {
                if !queue_needs.iter().any(|q| q.any_of == n.any_of) {
                    queue_needs.push(n.clone());
                }
            }
        }
        let queue = queue::choose(roster, config, &queue_needs, open);

        let explanation = explain::explain(&explain::Facts {
            urgent,
            overflow_on: config.emergency_overflow,
            open,
            needs: &needs,
            emergency: &emergency,
            offered: &ranked,
            tally,
            queue: &queue,
        });
        RouteChoice {
            agents: ranked.iter().map(|c| c.agent.id.clone()).collect(),
            queue: queue.name.to_string(),
            explanation,
        }
    }
}

baton_plugin_sdk::export_routing!(SkillsRouter);
