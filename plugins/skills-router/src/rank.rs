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
    /// On call after hours and offline in the inbox (or busy, when `on_call_when_busy` is
    /// off): offered for an urgent handoff only, and the host pages them through their
    /// alert contacts.
    pub paged: bool,
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
/// room before emergency overflow (in hours, everyone signed in before anyone paged); the previous agent; `available` before on-call-but-busy
/// before on-call-and-paged; more needed skills; more spare capacity; less load; agent id.
pub fn rank<'r>(ctx: &Context<'_>, roster: &'r Roster) -> (Vec<Candidate<'r>>, Tally) {
    let mut tally = Tally::default();
    let mut out: Vec<Candidate<'r>> = Vec::new();
    for agent in &roster.agents {
        if ctx.request.declined_by.iter().any(|d| d == &agent.id) {
            tally.declined += 1;
            continue;
        }
        let Some(how) = reachable(ctx, agent) else {
            tally.unreachable += 1;
            continue;
        };
        let (busy, paged) = (how == Reach::Busy, how == Reach::Paged);
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
            && how == Reach::Present;
        out.push(Candidate {
            agent,
            overflow,
            previous,
            emergency,
            busy,
            paged,
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
    u8,
    Reverse<usize>,
    Reverse<u32>,
    u32,
    &'r str,
);

fn sort_key<'r>(ctx: &Context<'_>, c: &Candidate<'r>) -> Key<'r> {
    (
        // In hours a person signed in now comes before a page, whatever their skills.
        ctx.open && c.paged,
        ctx.urgent && !c.emergency,
        c.overflow,
        !c.previous,
        // `available`, then on call but busy, then on call and paged.
        u8::from(c.busy) + 2 * u8::from(c.paged),
        Reverse(c.matched),
        Reverse(c.agent.capacity.saturating_sub(c.agent.load)),
        c.agent.load,
        c.agent.id.as_str(),
    )
}

/// How an agent can be reached now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// `available`.
    Present,
    /// On call after hours, `busy` in the inbox.
    Busy,
    /// On call, not taking work in the inbox, for an urgent handoff: paged.
    Paged,
}

/// How the agent can be reached now, `None` if not: in hours `available` agents, and for
/// an urgent handoff on-call ones whatever their presence (with `page_on_call`: an
/// emergency when the on-call agent is off shift still reaches them, after everyone signed
/// in); after hours only on-call ones, `available`, `busy` (with `on_call_when_busy`) or,
/// for an urgent handoff, whatever their presence (with `page_on_call`: on call means
/// reachable by pager).
fn reachable(ctx: &Context<'_>, agent: &Agent) -> Option<Reach> {
    let pages = ctx.urgent && ctx.config.page_on_call && agent.on_call;
    match (ctx.open, agent.presence) {
        (true, Presence::Available) => Some(Reach::Present),
        (true, _) if pages => Some(Reach::Paged),
        (true, _) => None,
        (false, _) if !agent.on_call => None,
        (false, Presence::Available) => Some(Reach::Present),
        (false, Presence::Busy) if ctx.config.on_call_when_busy => Some(Reach::Busy),
        // Not taking work in the inbox, but on call: paged for an emergency.
        (false, Presence::Busy | Presence::Offline) if ctx.urgent && ctx.config.page_on_call => {
            Some(Reach::Paged)
        }
        (false, _) => None,
    }
}
