//! Who may be offered a handoff, and in what order.

use crate::config::{Config, SkillMode};
use crate::needs::{Need, Needs};
use baton_plugin_sdk::{Agent, Presence, Roster, RouteRequest};
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// What the ranking needs to know about the handoff, worked out once per call.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The handoff.
    pub request: &'a RouteRequest,
    /// The tenant's config.
    pub config: &'a Config,
    /// The skills the handoff needs.
    pub needs: &'a Needs,
    /// The skills the `emergency` reason needs: who ranks first for, and may overflow on,
    /// an urgent handoff.
    pub emergency: &'a [Need],
    /// Priority `urgent` or reason `emergency`.
    pub urgent: bool,
    /// Whether the business is open now.
    pub open: bool,
}

/// An agent who may be offered the handoff.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'r> {
    /// The agent, as on the roster.
    pub agent: &'r Agent,
    /// At capacity, offered only because the handoff is urgent.
    pub overflow: bool,
    /// The customer's previous agent, offered first.
    pub previous: bool,
    /// Has the skills the `emergency` reason needs.
    pub emergency: bool,
    /// On call after hours but marked busy.
    pub busy: bool,
    /// How many of the needed skills the agent has.
    pub matched: usize,
}

/// Why agents were left out, for the explanation. Each agent counts once, under the
/// first rule that excludes them, in the order of the fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Listed in `declined_by`.
    pub declined: usize,
    /// Not reachable now: not `available` (in hours), or not on call (after hours).
    pub unreachable: usize,
    /// Lacking a needed skill while skills are required.
    pub lacking: usize,
    /// At capacity.
    pub full: usize,
}

/// Every agent who may be offered the handoff, best first, each id once; and why the
/// others were left out.
///
/// Order: for an urgent handoff, agents with the emergency skills first; agents with
/// room before emergency overflow; the previous agent; `available` before on-call-but-busy;
/// more needed skills; more spare capacity; less load; agent id.
pub fn rank<'r>(ctx: &Context<'_>, roster: &'r Roster) -> (Vec<Candidate<'r>>, Tally) {
    let mut tally = Tally::default();
    let mut out: Vec<Candidate<'r>> = Vec::new();
    for agent in &roster.agents {
        if ctx.request.declined_by.iter().any(|d| d == &agent.id) {
            tally.declined += 1;
            continue;
        }
        let Some(busy) = reachable(ctx, agent) else {
            tally.unreachable += 1;
            continue;
        };
        let qualified = ctx.needs.all_met(&agent.skills);
        if ctx.config.skills == SkillMode::Required && !qualified {
            tally.lacking += 1;
            continue;
        }
        let emergency =
            !ctx.emergency.is_empty() && ctx.emergency.iter().all(|n| n.met_by(&agent.skills));
        let overflow = agent.load >= agent.capacity;
        if overflow
            && !(ctx.urgent
                && ctx.config.emergency_overflow
                && emergency
                && agent.presence == Presence::Available)
        {
            tally.full += 1;
            continue;
        }
        let previous = ctx.config.prefer_previous_agent
            && ctx.request.previous_agent.as_deref() == Some(agent.id.as_str())
            && qualified
            && !overflow
            && !busy;
        out.push(Candidate {
            agent,
            overflow,
            previous,
            emergency,
            busy,
            matched: ctx.needs.matched(&agent.skills),
        });
    }
    out.sort_by(|a, b| sort_key(ctx, a).cmp(&sort_key(ctx, b)));
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    out.retain(|c| seen.insert(c.agent.id.as_str()));
    (out, tally)
}

type Key<'r> = (
    bool,
    bool,
    bool,
    bool,
    Reverse<usize>,
    Reverse<u32>,
    u32,
    &'r str,
);

fn sort_key<'r>(ctx: &Context<'_>, c: &Candidate<'r>) -> Key<'r> {
    (
        ctx.urgent && !c.emergency,
        c.overflow,
        !c.previous,
        c.busy,
        Reverse(c.matched),
        Reverse(c.agent.capacity.saturating_sub(c.agent.load)),
        c.agent.load,
        c.agent.id.as_str(),
    )
}

/// `Some(busy)` if the agent can be reached now, `None` if not.
fn reachable(ctx: &Context<'_>, agent: &Agent) -> Option<bool> {
    match (ctx.open, agent.presence) {
        (true, Presence::Available) => Some(false),
        (true, _) => None,
        (false, _) if !agent.on_call => None,
        (false, Presence::Available) => Some(false),
        (false, Presence::Busy) if ctx.config.on_call_when_busy => Some(true),
        (false, _) => None,
    }
}
