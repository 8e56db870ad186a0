//! The customer-facing notice: what the customer is told when a person is brought in.

use super::reroute::is_emergency;
use super::transitions::is_paged;
use super::wait::WaitEstimate;
use crate::config::{format_wait, format_wait_es, Language, NoticeKind, TenantConfig, Vars};
use crate::store::{HandoffRow, HandoffState};
use baton_plugin_sdk::Roster;
use serde::Serialize;

/// A notice for the channel to show or send to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notice {
    /// Which template: `offered`, `queued`, `after_hours`, `emergency`, `paged`,
    /// `emergency_waiting`, `emergency_unstaffed`, `joined`, `handback`.
    pub kind: String,
    /// The text, ready to send.
    pub text: String,
    /// The language it is written in: `en` or `es`, from the decision's tags.
    pub language: String,
    /// The wait, when the customer waits in a queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitEstimate>,
}

/// What to tell the customer about a handoff just placed, so that it is true: an emergency
/// offered to someone signed in gets `emergency` (a person is coming now); one offered to an
/// on-call agent who is offline in the inbox was paged (`paged`); one nobody could be offered
/// or paged waits, with the emergency phone (`emergency_waiting` after hours,
/// `emergency_unstaffed` in hours); otherwise `offered`, the after-hours promise, or `queued`.
pub fn kind_for(h: &HandoffRow, roster: &Roster, open: bool) -> NoticeKind {
    let offered = h.state == HandoffState::Offered;
    let paged = offered && h.offered_to.as_deref().is_some_and(|a| is_paged(roster, a));
    match (is_emergency(h), offered, paged) {
        (true, true, true) => NoticeKind::Paged,
        (true, true, false) => NoticeKind::Emergency,
        (true, false, _) => waiting_kind(open),
        (false, true, _) => NoticeKind::Offered,
        (false, false, _) if open => NoticeKind::Queued,
        (false, false, _) => NoticeKind::AfterHours,
    }
}

/// What to tell the customer when their handoff moved from `before` to `after` without a
/// person taking it (a promotion from the queue, a declined or timed-out offer re-routed):
/// the notice [`kind_for`] the new place, or `None` when the place the customer would care
/// about did not change (the same state and the same agent). The caller also skips a notice
/// whose text the customer was just told (e.g. `emergency` again for another agent).
pub fn moved_kind(
    before: &HandoffRow,
    after: &HandoffRow,
    roster: &Roster,
    open: bool,
) -> Option<NoticeKind> {
    let waiting = matches!(after.state, HandoffState::Offered | HandoffState::Queued);
    let same = before.state == after.state && before.offered_to == after.offered_to;
    (waiting && !same).then(|| kind_for(after, roster, open))
}

/// The notice of an emergency that waits with nobody offered or paged.
pub fn waiting_kind(open: bool) -> NoticeKind {
    if open {
        NoticeKind::EmergencyUnstaffed
    } else {
        NoticeKind::EmergencyWaiting
    }
}

/// Render `kind` for the tenant in `lang`, with the agent's name and the wait where they
/// apply.
pub fn render(
    config: &TenantConfig,
    kind: NoticeKind,
    lang: Language,
    agent: Option<&str>,
    wait: Option<WaitEstimate>,
    now: jiff::Timestamp,
) -> Notice {
    let es = lang == Language::Es;
    let pick = |en: &str, spanish: &str| if es { spanish } else { en }.to_string();
    let first_name = agent
        .and_then(|id| config.agent(id))
        .map(|a| a.first_name().to_string())
        .unwrap_or_else(|| pick("a member of our team", "un miembro de nuestro equipo"));
    let vars = Vars {
        business: config.name.clone(),
        agent_first_name: first_name,
        position: wait
            .map(|w| w.position.to_string())
            .unwrap_or_else(|| "1".into()),
        wait: match wait {
            Some(w) if es => format_wait_es(w.seconds),
            Some(w) => format_wait(w.seconds),
            None => pick("a few minutes", "unos minutos"),
        },
        opens: config
            .hours
            .opens_phrase_in(now, lang)
            .unwrap_or_else(|| pick("soon", "pronto")),
        emergency_phone: config
            .emergency_phone
            .clone()
            .unwrap_or_else(|| "911".into()),
    };
    Notice {
        kind: kind.key().to_string(),
        text: config.notices.get(kind, lang).render(&vars),
        language: lang.code().to_string(),
        wait,
    }
}
