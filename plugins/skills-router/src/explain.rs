//! The explanation a person reads with the handoff: short sentences, at most
//! [`MAX_EXPLANATION_LEN`] bytes.

use crate::needs::{Need, Needs};
use crate::queue::{QueuePick, QueueWhy};
use crate::rank::{Candidate, Tally};
use baton_plugin_sdk::Presence;
use std::fmt::Write;

/// Longest explanation, in bytes (the limit the host puts on a trigger's explanation).
pub const MAX_EXPLANATION_LEN: usize = 1000;

/// How many offered agents the explanation names before "and N more".
const NAMED: usize = 5;

/// Everything the explanation speaks of.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a, 'r> {
    /// Priority `urgent` or reason `emergency`.
    pub urgent: bool,
    /// Whether emergency overflow is switched on.
    pub overflow_on: bool,
    /// Whether the business is open now.
    pub open: bool,
    /// The skills needed.
    pub needs: &'a Needs,
    /// The skills the `emergency` reason needs.
    pub emergency: &'a [Need],
    /// The agents offered, in order.
    pub offered: &'a [Candidate<'r>],
    /// Why the others were left out.
    pub tally: Tally,
    /// The queue.
    pub queue: &'a QueuePick<'r>,
}

/// Write the explanation.
pub fn explain(f: &Facts<'_, '_>) -> String {
    let mut s = String::new();
    if f.urgent {
        let _ = match (f.emergency.is_empty(), f.overflow_on) {
            (true, _) => write!(
                s,
                "Urgent (emergency): no emergency skill is configured, so no one is offered past capacity. "
            ),
            (false, true) => write!(
                s,
                "Urgent (emergency): agents with {} ranked first, and offered even at capacity. ",
                labels(f.emergency)
            ),
            (false, false) => write!(
                s,
                "Urgent (emergency): agents with {} ranked first; overflow past capacity is off. ",
                labels(f.emergency)
            ),
        };
    }
    if !f.open {
        s.push_str("After hours: only on-call agents. ");
    }
    if f.needs.active.is_empty() {
        s.push_str("No particular skill needed. ");
    } else {
        let _ = write!(s, "Needs {}. ", described(&f.needs.active));
    }
    if !f.needs.set_aside.is_empty() {
        let _ = write!(
            s,
            "Set aside {}: no agent or queue on the roster has it. ",
            described(&f.needs.set_aside)
        );
    }
    offers(&mut s, f);
    queue(&mut s, f.queue);
    truncate(s.trim_end().to_string())
}

fn offers(s: &mut String, f: &Facts<'_, '_>) {
    if f.offered.is_empty() {
        s.push_str("No one to offer");
        let left_out = left_out(&f.tally);
        if !left_out.is_empty() {
            let _ = write!(s, " ({left_out})");
        }
        s.push_str(". ");
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for c in f.offered.iter().take(NAMED) {
        let mut name = c.agent.id.clone();
        if c.previous {
            name.push_str(" (previous agent)");
        }
        if c.overflow {
            name.push_str(" (at capacity: emergency overflow)");
        }
        if c.busy {
            name.push_str(" (on call, busy)");
        }
        if c.paged && c.agent.presence == Presence::Busy {
            name.push_str(" (on call, busy: paged)");
        } else if c.paged {
            name.push_str(" (on call, offline: paged)");
        }
        names.push(name);
    }
    let _ = write!(s, "Offering {}", names.join(", then "));
    if f.offered.len() > NAMED {
        let _ = write!(s, ", and {} more", f.offered.len() - NAMED);
    }
    s.push_str(". ");
}

fn left_out(t: &Tally) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (t.declined, "declined"),
        (t.unreachable, "not reachable"),
        (t.lacking, "lacking skills"),
        (t.full, "at capacity"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

fn queue(s: &mut String, q: &QueuePick<'_>) {
    let name = q.name;
    let _ = match &q.why {
        QueueWhy::Covers { covered, of } => {
            write!(s, "Queue `{name}` serves {covered} of {of} needed skills.")
        }
        QueueWhy::Fallback => write!(s, "Queue `{name}`, the fallback."),
        QueueWhy::AfterHours => write!(s, "Queue `{name}`, the after-hours queue."),
        QueueWhy::AfterHoursMissing(wanted) => write!(
            s,
            "Queue `{name}`, the fallback: the after-hours queue `{wanted}` is not on the roster."
        ),
    };
}

/// `billing (reason billing_dispute), spanish (tag spanish)`.
fn described(needs: &[Need]) -> String {
    let list: Vec<String> = needs
        .iter()
        .map(|n| format!("{} ({})", n.label(), n.source))
        .collect();
    list.join(", ")
}

fn labels(needs: &[Need]) -> String {
    needs.iter().map(Need::label).collect::<Vec<_>>().join(", ")
}

/// Cut to at most [`MAX_EXPLANATION_LEN`] bytes, on a character boundary, marking the cut.
fn truncate(mut s: String) -> String {
    if s.len() <= MAX_EXPLANATION_LEN {
        return s;
    }
    let mut cut = MAX_EXPLANATION_LEN - '…'.len_utf8();
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_a_char_boundary() {
        let long = "é".repeat(800);
        let out = truncate(long);
        assert!(out.len() <= MAX_EXPLANATION_LEN);
        assert!(out.ends_with('…'));
    }
}
