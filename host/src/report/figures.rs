//! The figures of a set of conversations and handoffs, and how each is computed.

use crate::store::{HandoffRow, HandoffState, LoggedDecision, RecordedConversation};
use baton_plugin_sdk::Role;
use serde::Serialize;
use std::collections::HashMap;

/// A customer who starts another conversation within this long after a handoff closed did
/// not have their problem solved on first contact.
pub const REPEAT_CONTACT_MS: i64 = 72 * 3_600_000;

/// Nearest-rank percentiles of a set of durations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Percentiles {
    /// How many values.
    pub count: u64,
    /// The median: the value at rank ceil(0.5 n) of the sorted values (null when none).
    pub p50: Option<i64>,
    /// The value at rank ceil(0.9 n) (null when none).
    pub p90: Option<i64>,
}

impl Percentiles {
    /// Of `values` (any order).
    pub fn of(mut values: Vec<i64>) -> Self {
        values.sort_unstable();
        let rank = |p: f64| -> Option<i64> {
            if values.is_empty() {
                return None;
            }
            let r = (p * values.len() as f64).ceil() as usize;
            values.get(r.clamp(1, values.len()) - 1).copied()
        };
        Percentiles {
            count: values.len() as u64,
            p50: rank(0.5),
            p90: rank(0.9),
        }
    }
}

/// Customer satisfaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Csat {
    /// Mean of the 1-5 scores given at resolve time (null when none).
    pub average: Option<f64>,
    /// How many resolved handoffs carry a score.
    pub responses: u64,
}

/// Context loss over accepted handoffs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ContextLoss {
    /// Handoffs an agent accepted (the denominator).
    pub accepted_handoffs: u64,
    /// Of those, handoffs with at least one finding.
    pub with_context_loss: u64,
    /// `with_context_loss / accepted_handoffs` (null when no handoff was accepted).
    pub rate: Option<f64>,
}

/// Every figure of a report (or of one group of it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Conversations that started in the window.
    pub conversations: u64,
    /// Handoffs opened in the window, whenever their conversation started.
    pub handoffs: u64,
    /// Conversations (of those that started in the window) with at least one handoff /
    /// conversations (null when none).
    pub handoff_rate: Option<f64>,
    /// Time to accept: `accepted_ms - opened_ms` of every accepted handoff, ms.
    pub time_to_accept_ms: Percentiles,
    /// Handle time: `closed_ms - accepted_ms` of every handoff accepted and then resolved or
    /// handed back, ms.
    pub handle_time_ms: Percentiles,
    /// First-contact resolution: of the handoffs resolved, the share with outcome `booked`
    /// or `resolved` whose customer (same phone, email or name) started no other
    /// conversation within 72 hours after it closed (null when none was resolved).
    pub first_contact_resolution: Option<f64>,
    /// Handoffs in state `resolved` (the denominator of first-contact resolution).
    pub resolved: u64,
    /// Bot response time: for every bot message that directly follows a customer message,
    /// the difference of their `at` times, ms.
    pub bot_response_ms: Percentiles,
    /// CSAT of resolved handoffs.
    pub csat: Csat,
    /// Handoffs closed as `abandoned` before anyone accepted them: the customer left, the
    /// abandon limit ran out, or an agent cleared a stale one.
    pub abandoned: u64,
    /// Handoffs handed back to the bot.
    pub handbacks: u64,
    /// Handoffs still waiting for an agent (queued or offered) now.
    pub waiting: u64,
    /// Live trigger evaluations that faulted (each became the safe decision).
    pub faults: u64,
    /// Shadow trigger evaluations that faulted (never acted on).
    pub shadow_faults: u64,
    /// Context loss (see `context_loss` in the report for each finding).
    pub context_loss: ContextLoss,
}

/// Sums the figures' inputs; [`Acc::finish`] turns them into [`Figures`].
#[derive(Debug, Default, Clone)]
pub struct Acc {
    conversations: u64,
    with_handoff: u64,
    handoffs: u64,
    accept: Vec<i64>,
    handle: Vec<i64>,
    resolved: u64,
    first_contact: u64,
    bot: Vec<i64>,
    csat: Vec<i64>,
    abandoned: u64,
    handbacks: u64,
    waiting: u64,
    faults: u64,
    shadow_faults: u64,
    accepted: u64,
    lost: u64,
}

/// Customer key → start times of their conversations, for repeat contacts.
pub type Contacts = HashMap<String, Vec<i64>>;

impl Acc {
    /// Count a conversation's own figures (not its handoffs').
    pub fn conversation(&mut self, c: &RecordedConversation) {
        self.conversations += 1;
        self.with_handoff += !c.handoffs.is_empty() as u64;
        let m = &c.messages;
        for pair in m.windows(2) {
            if pair[0].message.role == Role::Customer && pair[1].message.role == Role::Bot {
                self.bot
                    .push((pair[1].message.at_ms - pair[0].message.at_ms).max(0));
            }
        }
        let faulted = |d: &&LoggedDecision, role: &str| d.role == role && d.fault_kind.is_some();
        self.faults += c.decisions.iter().filter(|d| faulted(d, "live")).count() as u64;
        self.shadow_faults += c.decisions.iter().filter(|d| faulted(d, "shadow")).count() as u64;
    }

    /// Count one handoff of conversation `c`; `lost` says whether context loss was found.
    pub fn handoff(
        &mut self,
        h: &HandoffRow,
        c: &RecordedConversation,
        contacts: &Contacts,
        lost: bool,
    ) {
        self.handoffs += 1;
        if let Some(a) = h.accepted_ms {
            self.accept.push(a - h.opened_ms);
            self.accepted += 1;
            self.lost += lost as u64;
            if let Some(closed) = h.closed_ms {
                self.handle.push(closed - a);
            }
        }
        match h.state {
            HandoffState::Resolved => {
                self.resolved += 1;
                let good = matches!(h.outcome.as_deref(), Some("booked" | "resolved"));
                let closed = h.closed_ms.unwrap_or(i64::MAX);
                let came_back = contacts
                    .get(&c.conversation.customer_key)
                    .is_some_and(|starts| {
                        starts
                            .iter()
                            .any(|s| *s > closed && *s <= closed.saturating_add(REPEAT_CONTACT_MS))
                    });
                self.first_contact += (good && !came_back) as u64;
                if let Some(score) = h.csat {
                    self.csat.push(score);
                }
            }
            HandoffState::HandedBack => self.handbacks += 1,
            HandoffState::Abandoned => self.abandoned += 1,
            HandoffState::Offered | HandoffState::Queued => self.waiting += 1,
            HandoffState::Accepted => {}
        }
    }

    /// The figures.
    pub fn finish(self) -> Figures {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        Figures {
            conversations: self.conversations,
            handoffs: self.handoffs,
            handoff_rate: ratio(self.with_handoff, self.conversations),
            time_to_accept_ms: Percentiles::of(self.accept),
            handle_time_ms: Percentiles::of(self.handle),
            first_contact_resolution: ratio(self.first_contact, self.resolved),
            resolved: self.resolved,
            bot_response_ms: Percentiles::of(self.bot),
            csat: Csat {
                average: (!self.csat.is_empty())
                    .then(|| self.csat.iter().sum::<i64>() as f64 / self.csat.len() as f64),
                responses: self.csat.len() as u64,
            },
            abandoned: self.abandoned,
            handbacks: self.handbacks,
            waiting: self.waiting,
            faults: self.faults,
            shadow_faults: self.shadow_faults,
            context_loss: ContextLoss {
                accepted_handoffs: self.accepted,
                with_context_loss: self.lost,
                rate: ratio(self.lost, self.accepted),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Percentiles;

    #[test]
    fn nearest_rank() {
        let p = Percentiles::of(vec![40, 10, 30, 20]);
        assert_eq!((p.count, p.p50, p.p90), (4, Some(20), Some(40)));
        let p = Percentiles::of((1..=10).collect());
        assert_eq!((p.p50, p.p90), (Some(5), Some(9)));
        assert_eq!(Percentiles::of(vec![]).p50, None);
    }
}
