//! `[[routing.tests]]`: a tenant's inline self-tests for its routing policy. Each is a
//! handoff, the roster at that moment (presence, load, capacity of the tenant's agents) and
//! the clock, with the route the policy must choose: run before a version activates, like
//! the trigger's self-tests, so a routing change that sends an emergency to the wrong person
//! never goes live.

use super::diagnostic::{Diagnostic, Span};
use super::hours::Hours;
use super::load::choose_help;
use super::names::{backticked, did_you_mean};
use super::schema::{RawHandoff, RawRouteExpect, RawRoutingTest, RawTestAgent, S};
use super::tests_table::{check_reason, customer, parse_at, SELF_TEST_EPOCH};
use super::{AgentConfig, QueueConfig};
use baton_plugin_sdk::{Agent, Presence, Priority, Queue, Reason, Roster, RouteRequest};
use jiff::Timestamp;
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

/// One routing self-test: the call to make and the route to expect.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingTest {
    /// The test's `name`.
    pub name: String,
    /// The handoff, with the tenant's clock at `at`.
    pub request: RouteRequest,
    /// Every tenant agent (those the test does not list are `offline`) and queue.
    pub roster: Roster,
    /// What the route must be.
    pub expect: RouteExpect,
    /// The `[[routing.tests]]` table, for pointing a failure at it.
    pub span: Span,
}

/// What a routing self-test checks; each part is optional, at least one is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteExpect {
    /// The agent offered first (`first`).
    pub first: Option<String>,
    /// The whole offer order (`agents`; `[]` for nobody).
    pub agents: Option<Vec<String>>,
    /// The queue (`queue`).
    pub queue: Option<String>,
    /// Agents who must not be offered (`not_offered`).
    pub not_offered: Vec<String>,
}

impl RouteExpect {
    /// What differs between this and the offer `agents` with `queue`, one line per part.
    pub fn differences(&self, agents: &[String], queue: &str) -> Vec<String> {
        let shown = |ids: &[String]| match ids {
            [] => "nobody".to_string(),
            ids => ids
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut out = Vec::new();
        if let Some(first) = &self.first {
            if agents.first() != Some(first) {
                out.push(format!(
                    "expected `{first}` offered first, but the policy offered {}",
                    shown(agents)
                ));
            }
        }
        if let Some(want) = &self.agents {
            if want.as_slice() != agents {
                out.push(format!(
                    "expected the offers {}, but the policy offered {}",
                    shown(want),
                    shown(agents)
                ));
            }
        }
        if let Some(q) = &self.queue {
            if q != queue {
                out.push(format!(
                    "expected queue `{q}`, but the policy chose `{queue}`"
                ));
            }
        }
        for id in &self.not_offered {
            if let Some(at) = agents.iter().position(|a| a == id) {
                out.push(format!(
                    "expected `{id}` not to be offered, but the policy offered them {}",
                    ordinal(at + 1)
                ));
            }
        }
        out
    }
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "first".into(),
        2 => "second".into(),
        3 => "third".into(),
        n => format!("{n}th"),
    }
}

/// What the tenant file declares that routing tests refer to.
pub(crate) struct Tenant<'a> {
    pub agents: &'a [AgentConfig],
    pub queues: &'a [QueueConfig],
    pub fallback_queue: &'a str,
    pub hours: &'a Hours,
}

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
    tenant: &'a Tenant<'a>,
    errors: &'a mut Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn push(&mut self, span: Span, message: String, help: Option<String>) {
        let d = Diagnostic::at_span(self.file, self.text, span, message);
        self.errors.push(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    /// `id` must be one of the tenant's agents.
    fn agent_id(&mut self, id: &S) -> String {
        let ids: Vec<&str> = self.tenant.agents.iter().map(|a| a.id.as_str()).collect();
        if !ids.contains(&id.get_ref().as_str()) {
            let help = choose_help(id.get_ref(), &ids, "agents");
            self.push(
                id.span(),
                format!("unknown agent `{}`", id.get_ref()),
                Some(help),
            );
        }
        id.get_ref().clone()
    }

    /// `name` must be one of the tenant's queues.
    fn queue_name(&mut self, name: &S) -> String {
        let names: Vec<&str> = self.tenant.queues.iter().map(|q| q.name.as_str()).collect();
        if !names.contains(&name.get_ref().as_str()) {
            let help = choose_help(name.get_ref(), &names, "queues");
            self.push(
                name.span(),
                format!("unknown queue `{}`", name.get_ref()),
                Some(help),
            );
        }
        name.get_ref().clone()
    }

    fn number(&mut self, v: &Spanned<i64>, key: &str, max: i64) -> u32 {
        let n = *v.get_ref();
        if (0..=max).contains(&n) {
            n as u32
        } else {
            self.push(
                v.span(),
                format!("`{key}` must be from 0 to {max}, found `{n}`"),
                None,
            );
            0
        }
    }
}

/// Build and check the routing self-tests, pushing problems onto `errors`.
pub(crate) fn build(
    file: &Path,
    text: &str,
    raw: &[Spanned<RawRoutingTest>],
    tenant: &Tenant<'_>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<RoutingTest> {
    let mut cx = Ctx {
        file,
        text,
        tenant,
        errors,
    };
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (index, t) in raw.iter().enumerate() {
        let before = cx.errors.len();
        let test = t.get_ref();
        let name = test.name.get_ref().as_str();
        if name.trim().is_empty() {
            cx.push(
                test.name.span(),
                "a routing self-test's `name` is empty".into(),
                None,
            );
        } else if let Some(first) = names.insert(name, index) {
            cx.push(
                test.name.span(),
                format!("duplicate routing self-test name `{name}`"),
                Some(format!(
                    "the first is routing self-test number {}",
                    first + 1
                )),
            );
        }
        let now = clock_time(&mut cx, test.at.as_ref());
        let clock = tenant.hours.clock_at(now);
        let request = request(&mut cx, &test.handoff, index, clock);
        let roster = roster(&mut cx, &test.roster, test.queue_depth.as_ref());
        let expect = expect(&mut cx, &test.expect);
        if cx.errors.len() > before {
            continue;
        }
        out.push(RoutingTest {
            name: name.to_string(),
            request,
            roster,
            expect,
            span: t.span(),
        });
    }
    out
}

fn clock_time(cx: &mut Ctx<'_>, at: Option<&Spanned<toml::Value>>) -> Timestamp {
    let start = SELF_TEST_EPOCH
        .to_zoned(cx.tenant.hours.time_zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    match at {
        None => start,
        Some(v) => parse_at(v.get_ref()).unwrap_or_else(|(m, help)| {
            cx.push(v.span(), m, Some(help));
            start
        }),
    }
}

fn request(
    cx: &mut Ctx<'_>,
    raw: &Spanned<RawHandoff>,
    index: usize,
    clock: baton_plugin_sdk::Clock,
) -> RouteRequest {
    let h = raw.get_ref();
    let reason = check_reason(h.reason.get_ref()).unwrap_or_else(|(m, help)| {
        cx.push(h.reason.span(), m, Some(help));
        Reason::ExplicitRequest
    });
    let priority = match &h.priority {
        None => Priority::Normal,
        Some(p) => {
            let all = [
                Priority::Low,
                Priority::Normal,
                Priority::High,
                Priority::Urgent,
            ];
            match all.into_iter().find(|x| x.as_str() == p.get_ref()) {
                Some(x) => x,
                None => {
                    let names = all.map(Priority::as_str);
                    let help = match did_you_mean(p.get_ref(), names) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a priority is {}", backticked(&names)),
                    };
                    cx.push(
                        p.span(),
                        format!("unknown priority `{}`", p.get_ref()),
                        Some(help),
                    );
                    Priority::Normal
                }
            }
        }
    };
    let previous_agent = h.previous_agent.as_ref().map(|a| cx.agent_id(a));
    let declined_by = h.declined_by.iter().map(|a| cx.agent_id(a)).collect();
    let channel = match &h.channel {
        Some(c) if c.get_ref().trim().is_empty() => {
            cx.push(
                c.span(),
                "`channel` is empty".into(),
                Some("leave it out for `web_chat`".into()),
            );
            String::new()
        }
        Some(c) => c.get_ref().clone(),
        None => "web_chat".into(),
    };
    RouteRequest {
        conversation_id: format!("routing-test-{}", index + 1),
        channel,
        reason,
        priority,
        tags: h.tags.clone(),
        intent: h.intent.clone(),
        customer: customer(h.customer.as_ref()),
        previous_agent,
        declined_by,
        clock,
    }
}

const PRESENCES: [(&str, Presence); 3] = [
    ("available", Presence::Available),
    ("busy", Presence::Busy),
    ("offline", Presence::Offline),
];

fn roster(
    cx: &mut Ctx<'_>,
    raw: &[Spanned<RawTestAgent>],
    depths: Option<&Spanned<toml::Table>>,
) -> Roster {
    let mut listed: HashMap<String, Agent> = HashMap::new();
    for a in raw {
        let a = a.get_ref();
        let id = cx.agent_id(&a.id);
        if listed.contains_key(&id) {
            cx.push(a.id.span(), format!("agent `{id}` is listed twice"), None);
        }
        let base = cx.tenant.agents.iter().find(|t| t.id == id);
        let presence = match &a.presence {
            None => Presence::Available,
            Some(p) => match PRESENCES.iter().find(|(n, _)| n == p.get_ref()) {
                Some((_, x)) => *x,
                None => {
                    let names = PRESENCES.map(|(n, _)| n);
                    let help = match did_you_mean(p.get_ref(), names) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a presence is {}", backticked(&names)),
                    };
                    cx.push(
                        p.span(),
                        format!("unknown presence `{}`", p.get_ref()),
                        Some(help),
                    );
                    Presence::Offline
                }
            },
        };
        let capacity = match &a.capacity {
            Some(c) => cx.number(c, "capacity", 50),
            None => base.map_or(2, |b| b.capacity),
        };
        let load = a.load.as_ref().map_or(0, |l| cx.number(l, "load", 50));
        listed.insert(
            id.clone(),
            Agent {
                id: id.clone(),
                name: base.map_or(id.clone(), |b| b.name.clone()),
                skills: a
                    .skills
                    .clone()
                    .unwrap_or_else(|| base.map(|b| b.skills.clone()).unwrap_or_default()),
                presence,
                capacity,
                load,
                on_call: a.on_call.unwrap_or(base.is_some_and(|b| b.on_call)),
            },
        );
    }
    let agents = cx
        .tenant
        .agents
        .iter()
        .map(|t| {
            listed.remove(&t.id).unwrap_or_else(|| Agent {
                id: t.id.clone(),
                name: t.name.clone(),
                skills: t.skills.clone(),
                presence: Presence::Offline,
                capacity: t.capacity,
                load: 0,
                on_call: t.on_call,
            })
        })
        .collect();
    Roster {
        agents,
        queues: queues(cx, depths),
        fallback_queue: cx.tenant.fallback_queue.to_string(),
    }
}

fn queues(cx: &mut Ctx<'_>, depths: Option<&Spanned<toml::Table>>) -> Vec<Queue> {
    let mut depth: HashMap<String, u32> = HashMap::new();
    if let Some(table) = depths {
        for (name, value) in table.get_ref() {
            let span = table.span();
            let spanned_name = Spanned::new(span.clone(), name.clone());
            cx.queue_name(&spanned_name);
            match value.as_integer() {
                Some(n) if (0..=100_000).contains(&n) => {
                    depth.insert(name.clone(), n as u32);
                }
                _ => cx.push(
                    span,
                    format!("`queue_depth.{name}` must be a whole number from 0 to 100000, found `{value}`"),
                    None,
                ),
            }
        }
    }
    cx.tenant
        .queues
        .iter()
        .map(|q| Queue {
            name: q.name.clone(),
            skills: q.skills.clone(),
            target_wait_secs: q.target_wait_secs,
            depth: depth.get(&q.name).copied().unwrap_or(0),
        })
        .collect()
}

fn expect(cx: &mut Ctx<'_>, raw: &Spanned<RawRouteExpect>) -> RouteExpect {
    let e = raw.get_ref();
    if e.first.is_none() && e.agents.is_none() && e.queue.is_none() && e.not_offered.is_empty() {
        cx.push(
            raw.span(),
            "a routing self-test's `expect` checks nothing".into(),
            Some("give `first`, `agents`, `queue` or `not_offered`, e.g. `expect = { first = \"sam\", queue = \"gas\" }`".into()),
        );
    }
    let out = RouteExpect {
        first: e.first.as_ref().map(|a| cx.agent_id(a)),
        agents: e
            .agents
            .as_ref()
            .map(|list| list.get_ref().iter().map(|a| cx.agent_id(a)).collect()),
        queue: e.queue.as_ref().map(|q| cx.queue_name(q)),
        not_offered: e.not_offered.iter().map(|a| cx.agent_id(a)).collect(),
    };
    if let (Some(first), Some(agents)) = (&out.first, &out.agents) {
        if agents.first() != Some(first) {
            cx.push(
                raw.span(),
                format!("`first = \"{first}\"` contradicts `agents`"),
                Some("give one of them".into()),
            );
        }
    }
    for id in &out.not_offered {
        if out.first.as_ref() == Some(id) || out.agents.as_ref().is_some_and(|a| a.contains(id)) {
            cx.push(
                raw.span(),
                format!("`{id}` is both expected and in `not_offered`"),
                None,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_part() {
        let e = RouteExpect {
            first: Some("sam".into()),
            agents: None,
            queue: Some("gas".into()),
            not_offered: vec!["jo".into()],
        };
        let got = e.differences(&["jo".into(), "sam".into()], "general");
        assert_eq!(
            got,
            [
                "expected `sam` offered first, but the policy offered `jo`, `sam`",
                "expected queue `gas`, but the policy chose `general`",
                "expected `jo` not to be offered, but the policy offered them first",
            ]
        );
        assert!(e.differences(&["sam".into()], "gas").is_empty());
        let nobody = RouteExpect {
            agents: Some(vec![]),
            ..RouteExpect::default()
        };
        assert_eq!(
            nobody.differences(&["sam".into()], "gas"),
            ["expected the offers nobody, but the policy offered `sam`"]
        );
    }
}
