//! Live against shadow: where they disagreed, and how each scores against recorded outcomes.
//!
//! **Labels** (per conversation, from what happened):
//! - *positive* (a person was needed): a handoff resolved with outcome `booked` or
//!   `resolved`; or no handoff at all but a customer complaint in the conversation (a
//!   missed escalation);
//! - *negative* (no person was needed): no handoff and no complaint; or a handoff resolved
//!   as `spam`;
//! - otherwise *unlabelled* (handed back, `not_resolved`, `no_response`, abandoned, still
//!   open): the outcome does not say whether the escalation was right.
//!
//! A policy *escalated* in a conversation when any of its logged decisions did. Positive and
//! escalated = caught, positive and not = missed, negative and escalated = false alarm,
//! negative and not = quiet. Precision = caught / (caught + false alarms), recall = caught /
//! positives.
//!
//! **Limits.** The shadow only ever saw the messages the live policy was asked about: once
//! the live policy escalated, evaluation stopped, so a shadow that would have escalated
//! later is counted as not escalating. Positives come mostly from the live policy's own
//! handoffs, so the live recall is flattering; complaints are found with a short word list.

use crate::store::{HandoffState, RecordedConversation};
use baton_plugin_sdk::Role;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most disagreements listed.
pub const MAX_LISTED: usize = 500;

const COMPLAINT: &[&str] = &[
    "complaint",
    "terrible",
    "horrible",
    "ridiculous",
    "useless",
    "worst",
    "unacceptable",
    "not helpful",
    "waste of time",
    "queja",
    "pésimo",
    "pesimo",
    "inútil",
    "inutil",
    "ridículo",
];

/// One side of a disagreement.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Side {
    /// Whether it escalated.
    pub escalate: bool,
    /// Why.
    pub reason: Option<String>,
    /// The fault, when the policy faulted.
    pub fault: Option<String>,
}

/// A customer message where live and shadow decided differently.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Disagreement {
    /// The conversation.
    pub conversation_id: String,
    /// The customer message's index.
    pub message_seq: i64,
    /// The tenant version.
    pub policy_version: String,
    /// The live decision.
    pub live: Side,
    /// The shadow decision.
    pub shadow: Side,
}

/// How one policy scores against the labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PolicyScore {
    /// Positives it escalated.
    pub caught: u64,
    /// Positives it did not escalate.
    pub missed: u64,
    /// Negatives it escalated.
    pub false_alarms: u64,
    /// Negatives it did not escalate.
    pub quiet: u64,
    /// `caught / (caught + false_alarms)` (null when neither).
    pub precision: Option<f64>,
    /// `caught / (caught + missed)` (null when no positive).
    pub recall: Option<f64>,
}

/// The shadow section of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShadowReport {
    /// Customer messages evaluated by both the live and the shadow policy.
    pub compared: u64,
    /// Of those, messages where they disagreed (escalate or not, or the reason).
    pub disagreements: u64,
    /// Conversations with at least one disagreement.
    pub conversations_with_disagreement: u64,
    /// The disagreements, oldest conversation first (at most 500).
    pub list: Vec<Disagreement>,
    /// Conversations labelled positive.
    pub positives: u64,
    /// Conversations labelled negative.
    pub negatives: u64,
    /// Conversations without a label.
    pub unlabelled: u64,
    /// The live policy's score.
    pub live: PolicyScore,
    /// The shadow policy's score.
    pub shadow: PolicyScore,
}

/// Whether a conversation's customer complained (the word list above).
pub fn complained(c: &RecordedConversation) -> bool {
    c.messages.iter().any(|m| {
        m.message.role == Role::Customer && {
            let t = m.message.text.to_lowercase();
            COMPLAINT.iter().any(|w| t.contains(w))
        }
    })
}

/// The label of a conversation: `Some(true)` positive, `Some(false)` negative.
pub fn label(c: &RecordedConversation) -> Option<bool> {
    let Some(h) = c.handoffs.first() else {
        return Some(complained(c));
    };
    match (h.state, h.outcome.as_deref()) {
        (HandoffState::Resolved, Some("booked" | "resolved")) => Some(true),
        (HandoffState::Resolved, Some("spam")) => Some(false),
        _ => None,
    }
}

fn score(s: &mut PolicyScore, positive: bool, escalated: bool) {
    match (positive, escalated) {
        (true, true) => s.caught += 1,
        (true, false) => s.missed += 1,
        (false, true) => s.false_alarms += 1,
        (false, false) => s.quiet += 1,
    }
}

fn finish(s: &mut PolicyScore) {
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    s.precision = ratio(s.caught, s.caught + s.false_alarms);
    s.recall = ratio(s.caught, s.caught + s.missed);
}

/// The shadow section over `conversations`, or `None` when no shadow decision was logged.
pub fn report(conversations: &[RecordedConversation]) -> Option<ShadowReport> {
    let mut r = ShadowReport::default();
    let mut any = false;
    for c in conversations {
        let mut by_seq: BTreeMap<i64, (Option<Side>, Option<Side>, String)> = BTreeMap::new();
        for d in &c.decisions {
            let side = Side {
                escalate: d.escalate,
                reason: d.reason.clone().filter(|_| d.escalate),
                fault: d.fault_kind.clone(),
            };
            let e = by_seq
                .entry(d.message_seq)
                .or_insert((None, None, d.policy_version.clone()));
            match d.role.as_str() {
                "shadow" => e.1 = Some(side),
                _ => e.0 = Some(side),
            }
        }
        let mut disagreed = false;
        for (seq, (live, shadow, version)) in by_seq {
            let (Some(live), Some(shadow)) = (live, shadow) else {
                continue;
            };
            any = true;
            r.compared += 1;
            if live.escalate != shadow.escalate || live.reason != shadow.reason {
                r.disagreements += 1;
                disagreed = true;
                if r.list.len() < MAX_LISTED {
                    r.list.push(Disagreement {
                        conversation_id: c.conversation.id.clone(),
                        message_seq: seq,
                        policy_version: version,
                        live,
                        shadow,
                    });
                }
            }
        }
        r.conversations_with_disagreement += disagreed as u64;
        let has_shadow = c.decisions.iter().any(|d| d.role == "shadow");
        match label(c).filter(|_| has_shadow) {
            None => r.unlabelled += 1,
            Some(positive) => {
                if positive {
                    r.positives += 1;
                } else {
                    r.negatives += 1;
                }
                let escalated =
                    |role: &str| c.decisions.iter().any(|d| d.role == role && d.escalate);
                score(&mut r.live, positive, escalated("live"));
                score(&mut r.shadow, positive, escalated("shadow"));
            }
        }
    }
    finish(&mut r.live);
    finish(&mut r.shadow);
    any.then_some(r)
}
