//! `complex_inquiry`: several outside parties or processes at once (permits, an HOA,
//! insurance and adjusters, landlords and property managers, lenders and escrow,
//! attorneys and agents, other contractors), or one of them with a request to work with,
//! bill or answer to it.

use super::Ctx;
use crate::lexicon::class;
use baton_plugin_sdk::Reason;

const GROUPS: [u8; 7] = [
    class::CX_PERMIT,
    class::CX_HOA,
    class::CX_INSURANCE,
    class::CX_PROPERTY,
    class::CX_FINANCE,
    class::CX_LEGAL,
    class::CX_THIRD,
];

/// Detect a complex inquiry in the latest turn.
pub fn detect(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::ComplexInquiry) {
        return Some(why);
    }
    for m in ctx.current() {
        let counts = GROUPS.map(|g| m.count_live(g));
        let groups = counts.iter().filter(|&&c| c > 0).count();
        let most = counts.iter().copied().max().unwrap_or(0);
        // A request to coordinate counts even under an `if` ("they'll pay if you invoice them").
        let coordinate = m
            .of(class::CX_COORD)
            .any(|h| !m.negated_at(h.clause, h.start) && !m.quoted(h));
        if groups >= 3 || (coordinate && (groups >= 2 || most >= 2)) {
            return Some(format!(
                "{groups} outside parties or processes to coordinate"
            ));
        }
    }
    None
}
