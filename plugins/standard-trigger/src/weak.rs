//! The classifier beside the rules: a reason whose rules did not fire but whose weak cues
//! are present is confirmed when the classifier also picks it with a clear margin.

use crate::classifier::{self, LABELS};
use crate::cues::Ctx;
use crate::lexicon::class;
use crate::text::Msg;
use baton_plugin_sdk::Reason;

/// Margin over `none` (log-probability ×64) the classifier needs to confirm a reason.
const MARGIN: i32 = 12 * 64;

/// Whether `m` has a weak cue of `reason`.
fn supported(m: &Msg, reason: &Reason) -> bool {
    let any = |cs: &[u8]| cs.iter().any(|&c| m.live_any(c));
    match reason {
        Reason::Emergency => any(&[
            class::HEAT_LOSS,
            class::VULNERABLE,
            class::SYMPTOM,
            class::HOT,
        ]),
        Reason::ExplicitRequest => {
            !m.has(class::REPORTED)
                && m.of(class::PERSON).any(|h| m.live_request(h))
                && m.of(class::CONTACT).any(|h| m.live_request(h))
        }
        Reason::BillingDispute => any(&[class::BILL_CONTEXT]),
        Reason::Frustration => {
            !m.has(class::TARGET) && any(&[class::ANNOYANCE, class::FRUSTRATION])
        }
        Reason::Repetition => any(&[class::REPEAT, class::CORRECTION]),
        Reason::HighValue => any(&[class::SCOPE, class::SIZE, class::HIGH_VALUE]),
        Reason::ComplexInquiry => any(&[
            class::CX_PERMIT,
            class::CX_HOA,
            class::CX_INSURANCE,
            class::CX_PROPERTY,
            class::CX_FINANCE,
            class::CX_LEGAL,
            class::CX_THIRD,
        ]),
        Reason::Customization => any(&[class::CUSTOM]),
        _ => false,
    }
}

/// A reason confirmed by weak cues plus the classifier, for the latest turn.
pub fn confirm(ctx: &Ctx) -> Option<(Reason, String)> {
    for m in ctx.current() {
        if m.live_any(class::CALM) || m.has(class::JOKING) {
            continue;
        }
        let guess = classifier::classify(m);
        if guess.label == "none" || guess.margin < MARGIN {
            continue;
        }
        let Ok(reason) = guess.label.parse::<Reason>() else {
            continue;
        };
        if supported(m, &reason) {
            return Some((
                reason,
                format!(
                    "weak cues of {} confirmed by the text classifier",
                    guess.label
                ),
            ));
        }
    }
    None
}

/// The reason the customer's messages most resemble (never `none`); `low_confidence`
/// when the bot's latest turn was unsure.
pub fn likely_reason(ctx: &Ctx) -> Reason {
    let unsure = ctx
        .bots()
        .rev()
        .nth(1)
        .and_then(|b| b.confidence)
        .is_some_and(|c| c < ctx.settings.config.low_confidence_threshold);
    if unsure {
        return Reason::LowConfidence;
    }
    let mut best: Option<(i32, usize)> = None;
    for m in &ctx.msgs {
        let s = classifier::scores(m);
        let none = LABELS
            .iter()
            .position(|l| *l == "none")
            .map_or(i32::MIN / 2, |i| s[i]);
        for (i, v) in s.iter().enumerate() {
            if LABELS[i] != "none" && best.is_none_or(|(b, _)| v - none > b) {
                best = Some((v - none, i));
            }
        }
    }
    best.and_then(|(_, i)| LABELS[i].parse().ok())
        .unwrap_or(Reason::ExplicitRequest)
}
