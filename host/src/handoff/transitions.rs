//! The handoff state machine: every change of a handoff's state is one of these
//! transitions, with its guard (which states and which agent it starts from) and the
//! conditional update that makes it durable only if nobody changed the row meanwhile.
//!
//! ```text
//!            offer                accept                resolve / hand back
//!   queued ────────▶ offered ───────────▶ accepted ─────────────────────▶ closed
//!     ▲  ◀──────────────┘ decline / expire   ▲
//!     └──────────────── accept (picked from the queue) ──┘
//!   queued, offered ── abandon (customer left, idle past the limit, agent) ──▶ abandoned
//! ```
//!
//! `abandon` only closes a handoff nobody has accepted: once an agent has it, the agent
//! ends it (resolve with outcome `no_response` when the customer went quiet), so a
//! conversation a person is working is never closed under them.
//!
//! Invariants kept here: an offer names one agent and an expiry; a queued handoff names
//! nobody; only the agent an offer is made to may accept it (an emergency: anyone), decline
//! it or let it expire; a handoff is picked from the queue only by an agent signed in with
//! room (`may_accept`); an accepted handoff names the one agent who has it; a closed handoff
//! has `closed_ms` (and, where the closer holds the conversation, `closed_seq`: where the
//! trigger's next segment starts, see `segments.rs`). The desk (`lifecycle.rs`,
//! `ingest.rs`) and the queue (`queue.rs`, run by the background loop) change handoffs only
//! through these functions.

use super::reroute::is_emergency;
use crate::config::{TenantConfig, WebhookEvent};
use crate::store::{HandoffRow, HandoffState, HandoffUpdate, Room};
use baton_plugin_sdk::{Agent, Presence, Roster};
use serde_json::json;

/// A transition refused by its guard, in words for a conflict answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Refused(pub String);

/// The conditional update that commits `h` as changed from `from` (by `agent`, when the
/// old state named one).
pub(crate) fn update(from: &HandoffRow, agent: Option<&str>, h: &HandoffRow) -> HandoffUpdate {
    HandoffUpdate {
        id: h.id.clone(),
        expect_states: vec![from.state],
        expect_agent: agent.map(str::to_string),
        room: None,
        row: h.clone(),
    }
}

/// Offer `h` to `agent` until the tenant's offer timeout runs out (its page timeout when
/// the agent is offline in the inbox, reached by a page).
pub(crate) fn offer(
    h: &mut HandoffRow,
    agent: &str,
    roster: &Roster,
    config: &TenantConfig,
    now_ms: i64,
) {
    let secs = if is_paged(roster, agent) {
        config.limits.page_timeout_secs
    } else {
        config.limits.offer_timeout_secs
    };
    h.state = HandoffState::Offered;
    h.offered_to = Some(agent.to_string());
    h.offer_expires_ms = Some(now_ms + i64::from(secs) * 1000);
}

/// Whether an offer to `agent` reaches them by a page: offline in the inbox (the alert
/// contacts carry it). The offer's timeout and the customer's notice both follow this.
pub(crate) fn is_paged(roster: &Roster, agent: &str) -> bool {
    roster
        .agents
        .iter()
        .any(|a| a.id == agent && a.presence == Presence::Offline)
}

/// Put `h` in its queue, reserved for nobody.
pub(crate) fn queue(h: &mut HandoffRow) {
    h.state = HandoffState::Queued;
    h.offered_to = None;
    h.offer_expires_ms = None;
}

/// The first agent of `route` who has not declined `h` and can be reached now: present in
/// the inbox, or (for an urgent handoff after hours) on call, whatever their presence, as
/// their alert contacts page them.
pub(crate) fn next_agent<'a>(
    h: &HandoffRow,
    route: &'a [String],
    roster: &Roster,
    page_offline: bool,
) -> Option<&'a String> {
    route.iter().find(|id| {
        !h.declined_by.contains(id)
            && roster.agents.iter().any(|a| {
                &a.id == *id && (a.presence != Presence::Offline || page_offline && a.on_call)
            })
    })
}

/// Offer `h` to the next agent of its route, or queue it (open, decline, expire, re-route).
pub(crate) fn place(
    h: &mut HandoffRow,
    roster: &Roster,
    config: &TenantConfig,
    page_offline: bool,
    now_ms: i64,
) {
    let route = h.route.clone();
    match next_agent(h, &route, roster, page_offline) {
        Some(agent) => offer(h, agent, roster, config, now_ms),
        None => queue(h),
    }
}

/// `accept`: from an offer made to `agent`, or from the queue.
pub(crate) fn accept(h: &mut HandoffRow, agent: &str, now_ms: i64) -> Result<(), Refused> {
    match h.state {
        HandoffState::Offered | HandoffState::Queued => {}
        HandoffState::Accepted => {
            return Err(Refused(format!(
                "handoff `{}` was already accepted by `{}`",
                h.id,
                h.accepted_by.as_deref().unwrap_or("someone")
            )))
        }
        s => return Err(Refused(format!("handoff `{}` is {}", h.id, s.as_str()))),
    }
    h.state = HandoffState::Accepted;
    h.accepted_by = Some(agent.to_string());
    h.accepted_ms = Some(now_ms);
    h.offered_to = None;
    h.offer_expires_ms = None;
    Ok(())
}

/// Why an agent may not accept a handoff they are on the roster for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotTheirs {
    /// It is offered to someone else (a conflict: it may come back to the queue).
    OfferedToOther(String),
    /// They are offline in the inbox (forbidden until they sign in).
    Offline(String),
    /// They hold as many handoffs as their capacity (a conflict: finishing one makes room).
    Full(String),
}

/// The accept rule (issue 16 item 9): who may accept `h`, waiting to be accepted, as `agent`
/// (on the roster, with their live presence and load).
///
/// - An emergency (urgent, or reason `emergency`): anyone on the roster, offered to them or
///   not, whatever their presence or load: nobody is ever kept from taking an emergency
///   (accepting it is being present, e.g. from a page's link).
/// - An offer: only the agent it is offered to (the offer already holds their seat).
/// - A queued handoff: an agent signed in (`available` or `busy`, not `offline`) with room
///   (fewer accepted and offered handoffs than their capacity). Returns the seat the accept
///   takes, checked again in the store's transaction.
///
/// Any other state is left to [`accept`] to refuse.
pub(crate) fn may_accept(h: &HandoffRow, agent: &Agent) -> Result<Option<Room>, NotTheirs> {
    if is_emergency(h) {
        return Ok(None);
    }
    match h.state {
        HandoffState::Offered => match h.offered_to.as_deref() {
            Some(to) if to == agent.id => Ok(None),
            to => Err(NotTheirs::OfferedToOther(format!(
                "handoff `{}` is offered to `{}`: only they can accept it until they decline \
                 it or the offer runs out",
                h.id,
                to.unwrap_or("someone")
            ))),
        },
        HandoffState::Queued if agent.presence == Presence::Offline => {
            Err(NotTheirs::Offline(format!(
                "`{}` is offline: set your presence to available to take a handoff from the \
                 queue",
                agent.id
            )))
        }
        HandoffState::Queued if agent.load >= agent.capacity => Err(NotTheirs::Full(format!(
            "`{}` has no room: {} held, capacity {}; finish one to take another",
            agent.id, agent.load, agent.capacity
        ))),
        HandoffState::Queued => Ok(Some(Room {
            agent: agent.id.clone(),
            capacity: agent.capacity,
        })),
        _ => Ok(None),
    }
}

/// `decline` / `expire`: the agent an offer is made to passes on it (anyone present may
/// pass on a queued one, but a timeout only concerns an offer). The caller places it next.
pub(crate) fn decline(h: &mut HandoffRow, agent: &str, timed_out: bool) -> Result<(), Refused> {
    let offered_to_agent =
        h.state == HandoffState::Offered && h.offered_to.as_deref() == Some(agent);
    let queued = h.state == HandoffState::Queued;
    if !(offered_to_agent || queued && !timed_out) {
        return Err(Refused(format!(
            "handoff `{}` is not offered to `{agent}`",
            h.id
        )));
    }
    if !h.declined_by.iter().any(|a| a == agent) {
        h.declined_by.push(agent.to_string());
    }
    Ok(())
}

/// `resolve` / `hand back`: only the agent who has it closes it.
pub(crate) fn close(
    h: &mut HandoffRow,
    agent: &str,
    to: HandoffState,
    now_ms: i64,
) -> Result<(), Refused> {
    if h.state != HandoffState::Accepted || h.accepted_by.as_deref() != Some(agent) {
        return Err(Refused(format!(
            "handoff `{}` is not accepted by `{agent}`",
            h.id
        )));
    }
    h.state = to;
    h.closed_ms = Some(now_ms);
    Ok(())
}

/// Who closes a handoff as abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbandonedBy<'a> {
    /// The channel said the customer left.
    Customer,
    /// The customer wrote nothing for the tenant's `[limits] abandon_after_secs`.
    Limit,
    /// An agent closed a stale one, with a reason.
    Agent(&'a str),
}

impl AbandonedBy<'_> {
    /// `customer`, `limit` or `agent`: the event's `by` and the metric's label.
    pub fn as_str(self) -> &'static str {
        match self {
            AbandonedBy::Customer => "customer",
            AbandonedBy::Limit => "limit",
            AbandonedBy::Agent(_) => "agent",
        }
    }
}

/// `abandon`: a handoff nobody has accepted (queued, or offered) closes as `abandoned`,
/// reserved for nobody, with the reason as its note. An accepted one is the agent's to
/// close; a closed one stays as it closed (the desk answers a repeated abandon itself).
pub(crate) fn abandon(
    h: &mut HandoffRow,
    reason: Option<String>,
    now_ms: i64,
) -> Result<(), Refused> {
    match h.state {
        HandoffState::Queued | HandoffState::Offered => {}
        HandoffState::Accepted => {
            return Err(Refused(format!(
                "handoff `{}` is accepted by `{}`: only a queued or offered handoff can be \
                 abandoned; the agent resolves it (outcome `no_response` if the customer left)",
                h.id,
                h.accepted_by.as_deref().unwrap_or("someone")
            )))
        }
        s => {
            return Err(Refused(format!(
                "handoff `{}` is {}: only a queued or offered handoff can be abandoned",
                h.id,
                s.as_str()
            )))
        }
    }
    h.state = HandoffState::Abandoned;
    h.offered_to = None;
    h.offer_expires_ms = None;
    h.closed_ms = Some(now_ms);
    if reason.is_some() {
        h.note = reason;
    }
    Ok(())
}

/// The event that reports an abandoned handoff: who closed it, and why.
pub(crate) fn abandoned_event(
    h: &HandoffRow,
    by: AbandonedBy<'_>,
    idle_ms: Option<i64>,
) -> (WebhookEvent, serde_json::Value) {
    let agent = match by {
        AbandonedBy::Agent(a) => Some(a),
        _ => None,
    };
    (
        WebhookEvent::HandoffAbandoned,
        json!({"handoff": h, "by": by.as_str(), "agent_id": agent, "reason": h.note,
               "idle_ms": idle_ms}),
    )
}

/// The event that reports where `h` was placed.
pub(crate) fn placed_event(h: &HandoffRow) -> (WebhookEvent, serde_json::Value) {
    match h.state {
        HandoffState::Offered => (
            WebhookEvent::HandoffOffered,
            json!({"handoff": h, "agent_id": h.offered_to, "expires_ms": h.offer_expires_ms}),
        ),
        _ => (
            WebhookEvent::HandoffQueued,
            json!({"handoff": h, "queue": h.queue}),
        ),
    }
}
