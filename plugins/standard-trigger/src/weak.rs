//! The classifier beside the rules, for the latest customer turn when no rule fired: a
//! reason the classifier picks with at least `classifier_threshold` escalates, unless the
//! message is out of scope (past, future, what-if, general question, joke, calm, reported
//! speech). Whether a weak cue of the same reason is present is reported in the
//! explanation. (A lower bar with weak cues was tried and fired too early on validation.)

use crate::classifier::{self, LABELS};
use crate::cues::Ctx;
use crate::lexicon::class;
use crate::text::Msg;
use baton_plugin_sdk::Reason;

/// The stock reason a classifier label names (`none` names none).
fn reason_of(label: &str) -> Option<Reason> {
    match label.parse::<Reason>() {
        Ok(Reason::Custom(_)) | Err(_) => None,
        Ok(r) => Some(r),
    }
}

/// Scope words under which the classifier alone must not escalate: past, future, what-if,
/// general questions about the service, jokes, calm, reported speech.
fn out_of_scope(m: &Msg) -> bool {
    [
        class::PAST,
        class::FUTURE,
        class::CONDITIONAL,
        class::GENERAL,
        class::SERVICE_Q,
        class::JOKING,
        class::CALM,
        class::REPORTED,
    ]
    .iter()
    .any(|&c| m.has(c))
}

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

/// A reason the classifier finds in the latest turn, with why.
pub fn confirm(ctx: &Ctx) -> Option<(Reason, String)> {
    for m in ctx.current() {
        if m.live_any(class::CALM) || m.has(class::JOKING) {
            continue;
        }
        let guess = classifier::classify(m);
        let Some(reason) = reason_of(guess.label) else {
            continue;
        };
        // Anger at a pest or the weather is not at the business (as for the rules).
        if out_of_scope(m) || (reason == Reason::Frustration && m.has(class::TARGET)) {
            continue;
        }
        let weak = supported(m, &reason);
        if guess.prob >= ctx.settings.config.classifier_threshold {
            return Some((
                reason,
                format!(
                    "the text classifier reads {} (p {:.2}{})",
                    guess.label,
                    guess.prob,
                    if weak { ", with weak cues" } else { "" }
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
    let mut total = [0f32; classifier::LABEL_COUNT];
    for m in &ctx.msgs {
        for (t, p) in total.iter_mut().zip(classifier::probabilities(m)) {
            *t += p;
        }
    }
    total
        .iter()
        .enumerate()
        .filter(|(i, _)| LABELS[*i] != "none")
        .fold(None, |b: Option<(usize, f32)>, (i, v)| match b {
            Some((_, bv)) if bv >= *v => b,
            _ => Some((i, *v)),
        })
        .and_then(|(i, _)| reason_of(LABELS[i]))
        .unwrap_or(Reason::ExplicitRequest)
}
