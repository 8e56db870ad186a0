//! The service levels of a simulated day: what a business owner asks of a routing policy
//! before it serves (how fast a person answers, who gave up, how busy each agent was, how
//! honest the promised wait was, how fast emergencies reached a person).

use super::day::{is_open, Day};
use crate::report::Percentiles;
use crate::store::HandoffState;
use serde::Serialize;

/// What the simulation itself counted, as it acted (not read back from the store).
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Tally {
    /// Conversations that started.
    pub conversations: u64,
    /// Handoffs the desk opened.
    pub opened: u64,
    /// Accepts the desk took.
    pub accepted: u64,
    /// Resolves the desk took.
    pub resolved: u64,
    /// Handoffs the desk closed as abandoned.
    pub abandoned: u64,
    /// Customers who gave up waiting before anyone accepted.
    pub left: u64,
    /// Offers made.
    pub offers: u64,
    /// Offers declined.
    pub declined: u64,
    /// Offers nobody answered in time.
    pub timeouts: u64,
}

/// Durations in seconds, nearest-rank percentiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Secs {
    /// How many.
    pub count: u64,
    /// Median.
    pub p50: Option<i64>,
    /// 90th percentile.
    pub p90: Option<i64>,
}

fn secs(ms: Vec<i64>) -> Secs {
    let p = Percentiles::of(ms);
    Secs {
        count: p.count,
        p50: p.p50.map(|v| v / 1000),
        p90: p.p90.map(|v| v / 1000),
    }
}

/// One agent's day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgentLevel {
    /// The agent.
    pub id: String,
    /// Handoffs accepted.
    pub accepted: u64,
    /// Time spent on accepted handoffs (concurrent ones each count), seconds.
    pub handled_secs: i64,
    /// `handled_secs / (signed-in time × capacity)`; null when never signed in.
    pub occupancy: Option<f64>,
}

/// What customers were told against what happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitError {
    /// Accepted handoffs whose opening notice stated a wait.
    pub samples: u64,
    /// Median of |told − actual time to accept|, seconds.
    pub median_abs_error_secs: Option<i64>,
    /// Median of told − actual (positive: customers were told longer than it took).
    pub median_error_secs: Option<i64>,
}

/// How emergencies went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Emergencies {
    /// Emergency (or urgent) handoffs.
    pub count: u64,
    /// From open to the first person offered or paged.
    pub to_person: Secs,
    /// From open to accepted.
    pub to_accept: Secs,
    /// Never offered to anyone.
    pub unreached: u64,
}

/// The service levels of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceLevels {
    /// The tenant version that served the day.
    pub policy_version: String,
    /// Conversations that started.
    pub conversations: u64,
    /// Handoffs opened.
    pub handoffs: u64,
    /// Handoffs accepted.
    pub accepted: u64,
    /// Open to accept, seconds.
    pub time_to_accept: Secs,
    /// Closed as abandoned by the desk.
    pub abandoned: u64,
    /// Customers who gave up before anyone accepted (recorded or not).
    pub left_waiting: u64,
    /// Offers declined.
    pub declined: u64,
    /// Offers that timed out unanswered.
    pub timed_out: u64,
    /// Offers made per handoff (mean).
    pub offers_per_handoff: Option<f64>,
    /// Handoffs still queued or offered when the day ends.
    pub still_waiting: u64,
    /// Over all agents who signed in.
    pub occupancy: Option<f64>,
    /// Per agent.
    pub agents: Vec<AgentLevel>,
    /// The wait-estimate error.
    pub wait_estimate: WaitError,
    /// Emergencies.
    pub emergencies: Emergencies,
}

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    Percentiles::of(v).p50
}

/// The levels of the played `day`.
pub(super) fn of(day: &Day<'_>) -> ServiceLevels {
    let rows: Vec<_> = day.order.iter().map(|id| &day.tracked[id]).collect();
    let accept: Vec<i64> = rows
        .iter()
        .filter_map(|t| Some(t.row.accepted_ms? - t.row.opened_ms))
        .collect();
    let errors: Vec<i64> = rows
        .iter()
        .filter_map(|t| {
            let actual = (t.row.accepted_ms? - t.row.opened_ms) / 1000;
            Some(t.told_secs? as i64 - actual)
        })
        .collect();
    let emergencies: Vec<_> = rows.iter().filter(|t| t.emergency).collect();
    let k = &day.tally;
    let agents = agent_levels(day);
    let (handled, room): (i64, i64) = agents_totals(day);
    ServiceLevels {
        policy_version: day.version.id.clone(),
        conversations: k.conversations,
        handoffs: k.opened,
        accepted: k.accepted,
        time_to_accept: secs(accept),
        abandoned: rows
            .iter()
            .filter(|t| t.row.state == HandoffState::Abandoned)
            .count() as u64,
        left_waiting: k.left,
        declined: k.declined,
        timed_out: k.timeouts,
        offers_per_handoff: (k.opened > 0).then(|| k.offers as f64 / k.opened as f64),
        still_waiting: rows.iter().filter(|t| is_open(&t.row)).count() as u64,
        occupancy: (room > 0).then(|| handled as f64 / room as f64),
        agents,
        wait_estimate: WaitError {
            samples: errors.len() as u64,
            median_abs_error_secs: median(errors.iter().map(|e| e.abs()).collect()),
            median_error_secs: median(errors),
        },
        emergencies: Emergencies {
            count: emergencies.len() as u64,
            to_person: secs(
                emergencies
                    .iter()
                    .filter_map(|t| Some(t.first_person_ms? - t.row.opened_ms))
                    .collect(),
            ),
            to_accept: secs(
                emergencies
                    .iter()
                    .filter_map(|t| Some(t.row.accepted_ms? - t.row.opened_ms))
                    .collect(),
            ),
            unreached: emergencies
                .iter()
                .filter(|t| t.first_person_ms.is_none())
                .count() as u64,
        },
    }
}

/// Per agent of the tenant: accepted, handled time, and signed-in time × capacity (ms).
fn agent_figures(day: &Day<'_>) -> Vec<(String, u64, i64, i64)> {
    let end = day.clock_ms();
    let (start, stop) = day.s.day;
    day.version
        .config
        .agents
        .iter()
        .map(|a| {
            let mine: Vec<_> = day
                .tracked
                .values()
                .filter(|t| t.row.accepted_by.as_deref() == Some(a.id.as_str()))
                .collect();
            let handled: i64 = mine
                .iter()
                .filter_map(|t| Some(t.row.closed_ms.unwrap_or(end) - t.row.accepted_ms?))
                .sum();
            let signed_in: i64 = day
                .s
                .agents
                .iter()
                .filter(|p| p.id == a.id)
                .flat_map(|p| p.shifts.iter())
                .map(|&(x, y)| (x.max(start), y.min(stop)))
                .filter(|(x, y)| x < y)
                .map(|(x, y)| day.at(y) - day.at(x))
                .sum();
            (
                a.id.clone(),
                mine.len() as u64,
                handled,
                signed_in * a.capacity as i64,
            )
        })
        .collect()
}

fn agent_levels(day: &Day<'_>) -> Vec<AgentLevel> {
    agent_figures(day)
        .into_iter()
        .map(|(id, accepted, handled, room)| AgentLevel {
            id,
            accepted,
            handled_secs: handled / 1000,
            occupancy: (room > 0).then(|| handled as f64 / room as f64),
        })
        .collect()
}

fn agents_totals(day: &Day<'_>) -> (i64, i64) {
    agent_figures(day)
        .into_iter()
        .filter(|f| f.3 > 0)
        .fold((0, 0), |(h, r), f| (h + f.2, r + f.3))
}
