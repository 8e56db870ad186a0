//! The routing world: which agents and queue take an escalated conversation. Its answer
//! must name only what the roster has; its safe fallback is the tenant's fallback queue.

use super::contract::World;
use super::fault::{Fault, FaultKind};
use super::policy::{CallTypes, Policy, PolicyKind};
use baton_plugin_sdk::text::{clip, QUOTE_CHARS};
use baton_plugin_sdk::{Roster, RouteChoice, RouteRequest};
use std::collections::HashSet;
use std::time::Duration;

/// The routing world (`baton:policy/routing`), as a [`PolicyKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {}

/// A routing plugin ready to serve one tenant version.
pub type RoutingPlugin = Policy<Routing>;

/// The result of one routing call: always a choice, plus the fault if one was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingEvaluation {
    /// The plugin's choice, or the fallback queue after a fault.
    pub choice: RouteChoice,
    /// What went wrong, if anything.
    pub fault: Option<Fault>,
    /// Wall time of the call.
    pub elapsed: Duration,
}

impl CallTypes for Routing {
    type Input<'a> = (&'a RouteRequest, &'a Roster);
    type Output = RouteChoice;
}

impl PolicyKind for Routing {
    const WORLD: World = World::Routing;
    const FAULT_LOG: &'static str = "routing policy fault; using the fallback queue";
    type Owned = (RouteRequest, Roster);
    type Evaluation = RoutingEvaluation;

    fn own((request, roster): (&RouteRequest, &Roster)) -> (RouteRequest, Roster) {
        (request.clone(), roster.clone())
    }
    fn borrow((request, roster): &(RouteRequest, Roster)) -> (&RouteRequest, &Roster) {
        (request, roster)
    }
    fn check(
        choice: RouteChoice,
        (_, roster): (&RouteRequest, &Roster),
    ) -> Result<RouteChoice, Fault> {
        validate(choice, roster)
    }
    fn fallback(fault: &Fault, (_, roster): (&RouteRequest, &Roster)) -> RouteChoice {
        RouteChoice {
            agents: Vec::new(),
            queue: roster.fallback_queue.clone(),
            explanation: format!(
                "the routing policy failed ({}); waiting in the fallback queue",
                fault.kind
            ),
        }
    }
    fn evaluation(
        choice: RouteChoice,
        fault: Option<Fault>,
        elapsed: Duration,
    ) -> RoutingEvaluation {
        RoutingEvaluation {
            choice,
            fault,
            elapsed,
        }
    }
}

impl RoutingPlugin {
    /// Choose agents and a queue for `request` in a fresh instance (on the quarantine threads
    /// while this plugin's calls run out of time). Never fails: a fault yields the roster's
    /// fallback queue and is reported beside it.
    pub async fn route(&self, request: &RouteRequest, roster: &Roster) -> RoutingEvaluation {
        self.call((request, roster)).await
    }
}

/// A choice must name only roster agents (each once) and a roster queue.
fn validate(c: RouteChoice, roster: &Roster) -> Result<RouteChoice, Fault> {
    let bad = |m: String| Fault::new(FaultKind::InvalidOutput, m);
    let known: HashSet<&str> = roster.agents.iter().map(|a| a.id.as_str()).collect();
    let mut seen = HashSet::new();
    for id in &c.agents {
        if !known.contains(id.as_str()) {
            return Err(bad(format!(
                "the route names agent `{}`, who is not on the roster",
                clip(id, QUOTE_CHARS)
            )));
        }
        if !seen.insert(id.as_str()) {
            return Err(bad(format!(
                "the route names agent `{}` twice",
                clip(id, QUOTE_CHARS)
            )));
        }
    }
    let queue_known =
        c.queue == roster.fallback_queue || roster.queues.iter().any(|q| q.name == c.queue);
    if !queue_known {
        return Err(bad(format!(
            "the route names queue `{}`, which the tenant does not have",
            clip(&c.queue, QUOTE_CHARS)
        )));
    }
    if c.explanation.len() > baton_plugin_sdk::Decision::MAX_EXPLANATION_LEN {
        return Err(bad(format!(
            "an explanation of {} bytes",
            c.explanation.len()
        )));
    }
    Ok(c)
}
