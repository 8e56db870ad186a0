//! The invariants a simulated day must keep, checked after every step (and at the end):
//! the product's promise, *no lead lost, every emergency reaches a person*, as five rules a
//! run either keeps or breaks. Each violation names its rule, the handoff and the moment.

use super::day::{is_open, Day, Tracked};
use super::SimulateError;
use crate::clock::Clock;
use crate::store::{HandoffFilter, HandoffRow, HandoffState};
use baton_plugin_sdk::{Reason, Roster, RouteRequest};
use serde::Serialize;
use std::collections::BTreeSet;

/// An emergency must have a person offered or paged within this long.
pub const EMERGENCY_MS: i64 = 5_000;

/// A handoff was offered to an agent the routing policy did not return for it.
pub const OFFERED_OFF_ROUTE: &str = "offered-off-route";
/// A handoff sat queued through a whole promotion round while an agent the routing policy
/// picks for it had room.
pub const QUEUED_WITH_ROOM: &str = "queued-with-room";
/// An emergency had no person offered or paged within 5 simulated seconds.
pub const EMERGENCY_UNREACHED: &str = "emergency-unreached";
/// An escalated conversation ended neither accepted, nor abandoned, nor waiting with a
/// true notice.
pub const UNFINISHED: &str = "unfinished-escalation";
/// `/v1/report`'s figures over the day differ from the simulation's own count.
pub const REPORT_MISMATCH: &str = "report-mismatch";

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// Which rule (one of the constants of this module).
    pub invariant: &'static str,
    /// When, local time of the tenant.
    pub at: String,
    /// The handoff, when one is concerned.
    pub handoff: Option<String>,
    /// What happened, in words.
    pub detail: String,
}

/// The violations found so far (each rule at most once per handoff).
#[derive(Debug, Default)]
pub struct Checks {
    pub(super) found: Vec<Violation>,
    seen: BTreeSet<(&'static str, String)>,
}

impl Checks {
    fn report(&mut self, invariant: &'static str, at: String, handoff: &str, detail: String) {
        if self.seen.insert((invariant, handoff.to_string())) {
            self.found.push(Violation {
                invariant,
                at,
                handoff: (!handoff.is_empty()).then(|| handoff.to_string()),
                detail,
            });
        }
    }

    /// An offer was made to `agent`; `route` is what the routing policy returned for it.
    pub(super) fn offer(&mut self, id: &str, agent: &str, route: &[String], at: String) {
        if !route.iter().any(|a| a == agent) {
            self.report(
                OFFERED_OFF_ROUTE,
                at,
                id,
                format!("offered to `{agent}`, but the routing policy returned {route:?}"),
            );
        }
    }

    /// The checks that hold at every step.
    pub(super) async fn step(&mut self, day: &Day<'_>) -> Result<(), SimulateError> {
        let now = day.clock.now_ms();
        for id in &day.order {
            let t = &day.tracked[id];
            self.emergency(day, t, now);
        }
        self.queued_with_room(day).await
    }

    fn emergency(&mut self, day: &Day<'_>, t: &Tracked, now: i64) {
        if !t.emergency || now < t.row.opened_ms + EMERGENCY_MS {
            return;
        }
        let late = match t.first_person_ms {
            Some(f) => f > t.row.opened_ms + EMERGENCY_MS,
            None => true,
        };
        if late {
            let took = match t.first_person_ms {
                Some(f) => format!(
                    "the first person was offered it {}s after",
                    (f - t.row.opened_ms) / 1000
                ),
                None => format!("nobody was offered or paged by {}", day.local(now)),
            };
            self.report(
                EMERGENCY_UNREACHED,
                day.local(t.row.opened_ms + EMERGENCY_MS),
                &t.row.id,
                format!(
                    "emergency opened at {} ({}): {took}",
                    day.local(t.row.opened_ms),
                    t.row.explanation
                ),
            );
        }
    }

    /// Ask the routing policy ourselves, with the roster as the promotion round sees it,
    /// about every handoff still queued: if it returns an agent with room, the round should
    /// have offered it.
    async fn queued_with_room(&mut self, day: &Day<'_>) -> Result<(), SimulateError> {
        let queued: Vec<&Tracked> = day
            .order
            .iter()
            .map(|id| &day.tracked[id])
            .filter(|t| t.row.state == HandoffState::Queued)
            .collect();
        if queued.is_empty() {
            return Ok(());
        }
        let roster = promotion_roster(day).await?;
        for t in queued {
            let h = &t.row;
            let free = |id: &String| {
                !h.declined_by.contains(id)
                    && roster.agents.iter().any(|a| &a.id == id && a.has_room())
            };
            if !roster.agents.iter().any(|a| free(&a.id)) {
                continue;
            }
            let request = route_request(day, h).await?;
            let routed = day.version.routing.route(&request, &roster).await;
            if let Some(agent) = routed.choice.agents.iter().find(|a| free(a)) {
                let now = day.clock.now_ms();
                self.report(
                    QUEUED_WITH_ROOM,
                    day.local(now),
                    &h.id,
                    format!(
                        "still queued after a promotion round while `{agent}`, whom the routing policy returns ({:?}), has room",
                        routed.choice.agents
                    ),
                );
            }
        }
        Ok(())
    }

    /// The end of the day: every escalated conversation accepted, abandoned or still waiting
    /// with a true notice; the report agrees with the simulation's count.
    pub(super) async fn finish(&mut self, day: &Day<'_>) -> Result<(), SimulateError> {
        let now = day.clock.now_ms();
        for id in &day.order {
            let t = &day.tracked[id];
            if let Some(problem) = unfinished(day, t, now).await? {
                self.report(UNFINISHED, day.local(now), id, problem);
            }
        }
        self.report_agrees(day).await
    }

    async fn report_agrees(&mut self, day: &Day<'_>) -> Result<(), SimulateError> {
        let from = day.at(day.s.day.0);
        let to = day.clock.now_ms() + 1;
        let r = crate::report::load(day.desk.store(), &day.tenant, from, to, None).await?;
        let f = &r.totals;
        let k = &day.tally;
        let waiting = k.opened.saturating_sub(k.accepted + k.abandoned);
        let pairs = [
            ("conversations", f.conversations, k.conversations),
            ("handoffs", f.handoffs, k.opened),
            (
                "accepted (time_to_accept_ms.count)",
                f.time_to_accept_ms.count,
                k.accepted,
            ),
            ("resolved", f.resolved, k.resolved),
            ("abandoned", f.abandoned, k.abandoned),
            ("waiting", f.waiting, waiting),
        ];
        for (name, report, own) in pairs {
            if report != own {
                self.report(
                    REPORT_MISMATCH,
                    day.local(to - 1),
                    name,
                    format!("the report says {name} {report}; the simulation counted {own}"),
                );
            }
        }
        Ok(())
    }
}

/// The roster as `Desk::promote` builds it: presence, load, and pending offers holding a
/// place.
async fn promotion_roster(day: &Day<'_>) -> Result<Roster, SimulateError> {
    let store = day.desk.store();
    let presence = store.presence(&day.tenant).await?;
    let stats = store.live_stats(&day.tenant).await?;
    let mut roster = crate::handoff::roster_of(&day.version.config, &presence, &stats);
    let offered = store
        .handoffs(
            &day.tenant,
            &HandoffFilter {
                state: Some(HandoffState::Offered),
                limit: 1000,
                ..HandoffFilter::default()
            },
        )
        .await?;
    for h in &offered {
        if let Some(a) = roster
            .agents
            .iter_mut()
            .find(|a| h.offered_to.as_ref() == Some(&a.id))
        {
            a.load += 1;
        }
    }
    Ok(roster)
}

/// The request the routing policy gets for `h` now, built from what the store holds.
async fn route_request(day: &Day<'_>, h: &HandoffRow) -> Result<RouteRequest, SimulateError> {
    let store = day.desk.store();
    let c = store
        .conversation(&day.tenant, &h.conversation_id)
        .await?
        .ok_or_else(|| {
            SimulateError::Unexpected(format!("conversation {} is gone", h.conversation_id))
        })?;
    let previous_agent = store.previous_agent(&day.tenant, &c.customer_key).await?;
    let intent = store
        .messages(&day.tenant, &h.conversation_id)
        .await?
        .into_iter()
        .rev()
        .find_map(|m| m.message.intent.filter(|i| !i.starts_with("notice.")));
    Ok(RouteRequest {
        conversation_id: h.conversation_id.clone(),
        channel: c.channel,
        reason: h.reason.parse().unwrap_or(Reason::Custom(h.reason.clone())),
        priority: h.priority,
        tags: h.tags.clone(),
        intent,
        customer: c.customer,
        previous_agent,
        declined_by: h.declined_by.clone(),
        clock: day.version.config.clock_at(day.clock.now()),
    })
}

/// What is wrong with how `t` ends the day, if anything.
async fn unfinished(day: &Day<'_>, t: &Tracked, now: i64) -> Result<Option<String>, SimulateError> {
    let h = &t.row;
    if !is_open(h) {
        return Ok(None);
    }
    if let Some(left) = t.left_ms {
        return Ok(Some(format!(
            "the customer left at {} after waiting {}s, but the handoff is still {}: nothing recorded that they left",
            day.local(left),
            (left - h.opened_ms) / 1000,
            h.state.as_str()
        )));
    }
    let messages = day
        .desk
        .store()
        .messages(&day.tenant, &h.conversation_id)
        .await?;
    let notice = messages.iter().rev().find_map(|m| {
        m.message
            .intent
            .as_deref()?
            .strip_prefix("notice.")
            .map(str::to_string)
    });
    let open_now = day.version.config.clock_at(day.clock.now()).open;
    let waited = (now - h.opened_ms) / 1000;
    let true_notice = match notice.as_deref() {
        // "connecting you with X now" / "getting a person right now": someone must be offered it.
        Some("offered" | "emergency") => h.state == HandoffState::Offered,
        // "the wait is W": still within twice that (and a minute).
        Some("queued") => t.told_secs.is_none_or(|w| waited as u64 <= 2 * w + 60),
        // "we're closed; a person will reply when we open": true while closed.
        Some("after_hours") => !open_now,
        _ => false,
    };
    Ok((!true_notice).then(|| {
        format!(
            "still {} after {waited}s; the customer's last notice (`{}`, told {}) is no longer true",
            h.state.as_str(),
            notice.as_deref().unwrap_or("none"),
            t.told_secs.map(|s| format!("{s}s")).unwrap_or_else(|| "no wait".into())
        )
    }))
}
