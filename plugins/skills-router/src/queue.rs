//! Which queue a handoff waits in if no offered agent takes it.

use crate::config::Config;
use crate::needs::Need;
use baton_plugin_sdk::{Queue, Roster};
use std::cmp::Ordering;

/// Why the queue was chosen, for the explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueWhy {
    /// Its skills cover `covered` of the `of` needed skills, better than any other's.
    Covers {
        /// Needed skills the queue serves.
        covered: usize,
        /// Needed skills in all.
        of: usize,
    },
    /// No queue serves any needed skill (or none is needed): the roster's fallback.
    Fallback,
    /// After hours: the configured `after_hours_queue`.
    AfterHours,
    /// After hours, but the configured `after_hours_queue` is not on the roster.
    AfterHoursMissing(String),
}

/// The chosen queue: always the roster's fallback queue or the name of a roster queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePick<'r> {
    /// The queue's name as on the roster.
    pub name: &'r str,
    /// Why it was chosen.
    pub why: QueueWhy,
}

/// Choose the queue.
///
/// After hours: `after_hours_queue` if the roster has it, else the fallback queue. In
/// hours: the queue serving the most of `needs`; ties go to the queue with the fewest
/// waiting relative to its target wait, then to the name. No queue serving any need: the
/// fallback queue.
pub fn choose<'r>(
    roster: &'r Roster,
    config: &Config,
    needs: &[Need],
    open: bool,
) -> QueuePick<'r> {
    if !open {
        return after_hours(roster, config);
    }
    let best = roster
        .queues
        .iter()
        .map(|q| (q, needs.iter().filter(|n| n.met_by(&q.skills)).count()))
        .filter(|(_, covered)| *covered > 0)
        .min_by(|(a, ca), (b, cb)| {
            cb.cmp(ca)
                .then_with(|| busier(a, b))
                .then_with(|| a.name.cmp(&b.name))
        });
    match best {
        Some((q, covered)) => QueuePick {
            name: &q.name,
            why: QueueWhy::Covers {
                covered,
                of: needs.len(),
            },
        },
        None => fallback(roster),
    }
}

fn after_hours<'r>(roster: &'r Roster, config: &Config) -> QueuePick<'r> {
    let Some(wanted) = config.after_hours_queue.as_deref() else {
        return fallback(roster);
    };
    if let Some(q) = roster.queues.iter().find(|q| q.name == wanted) {
        return QueuePick {
            name: &q.name,
            why: QueueWhy::AfterHours,
        };
    }
    if roster.fallback_queue == wanted {
        return QueuePick {
            name: &roster.fallback_queue,
            why: QueueWhy::AfterHours,
        };
    }
    QueuePick {
        name: &roster.fallback_queue,
        why: QueueWhy::AfterHoursMissing(wanted.to_string()),
    }
}

fn fallback(roster: &Roster) -> QueuePick<'_> {
    QueuePick {
        name: &roster.fallback_queue,
        why: QueueWhy::Fallback,
    }
}

/// Compare `depth / target_wait_secs` without division (a target of 0 counts as 1 s).
fn busier(a: &Queue, b: &Queue) -> Ordering {
    let lhs = u64::from(a.depth) * u64::from(b.target_wait_secs.max(1));
    let rhs = u64::from(b.depth) * u64::from(a.target_wait_secs.max(1));
    lhs.cmp(&rhs)
}
