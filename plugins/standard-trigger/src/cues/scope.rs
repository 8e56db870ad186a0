//! `high_value` (a large job: whole-home, multi-system, full replacement, a big stated
//! amount) and `customization` (needs outside the standard menu: unusual sizes, vintage
//! pieces, strict conditions, accessibility, old houses).

use super::Ctx;
use crate::lexicon::class;
use baton_plugin_sdk::Reason;

/// Words between a scope word and its target (`whole darn house`).
const SCOPE_GAP: u16 = 3;

/// Detect a large job in the latest turn.
pub fn high_value(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::HighValue) {
        return Some(why);
    }
    for m in ctx.current() {
        // Asking about financing names the customer's own job even inside a question
        // about the service ("do you offer financing? it's for a whole-house repipe").
        let financing = m.has(class::CX_FINANCE);
        if let Some(h) = m
            .of(class::HIGH_VALUE)
            .find(|h| m.live(h) || (financing && m.live_request(h)))
        {
            return Some(format!("a large job: `{}`", m.phrase(h)));
        }
        for s in m.of(class::SCOPE).filter(|h| m.live(h)) {
            if let Some(t) = m
                .of(class::BIG_TARGET)
                .find(|t| t.clause == s.clause && t.start >= s.end && t.start - s.end <= SCOPE_GAP)
            {
                return Some(format!("a large job: `{} … {}`", m.phrase(s), m.phrase(t)));
            }
        }
        if m.count_live(class::SIZE) >= 2 {
            return Some("a large job by its size".into());
        }
        let threshold = ctx.settings.config.high_value_threshold_usd;
        if let Some(v) = m.money.iter().copied().find(|v| *v >= threshold) {
            if !m.has(class::PAST) && !m.has(class::BILLING) && !m.has(class::BILL_CONTEXT) {
                return Some(format!(
                    "a job of ${v:.0}, at or above the ${threshold:.0} threshold"
                ));
            }
        }
    }
    None
}

/// Detect a non-standard need in the latest turn.
pub fn customization(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::Customization) {
        return Some(why);
    }
    for m in ctx.current() {
        let custom = m.count_live(class::CUSTOM);
        let constraint = m.count_live(class::CONSTRAINT);
        if custom >= 2 || (custom >= 1 && (constraint >= 1 || m.old_year)) {
            let first = m
                .first_live(class::CUSTOM)
                .map(|h| m.phrase(h))
                .unwrap_or_default();
            return Some(format!("a non-standard need (`{first}` and more)"));
        }
    }
    None
}
