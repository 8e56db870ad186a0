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
        // Idle or general questions ("just curious", "in general") are not a need now.
        if m.live_any(class::GENERAL) || m.has(class::FUTURE) {
            continue;
        }
        // Outside parties count under an `if` or a question ("if insurance covers it",
        // "do you work with adjusters"): that is how people ask about them.
        let loose = |g: u8| {
            m.of(g)
                .filter(|h| {
                    !m.negated_at(h.clause, h.start) && !m.quoted(h) && !m.past_in_clause(h.clause)
                })
                .count()
        };
        let counts = GROUPS.map(|g| m.count_live(g));
        let groups = counts.iter().filter(|&&c| c > 0).count();
        let loose_groups = GROUPS.iter().filter(|&&g| loose(g) > 0).count();
        // A request to coordinate counts even under an `if` ("they'll pay if you invoice them").
        let coordinate = m
            .of(class::CX_COORD)
            .any(|h| !m.negated_at(h.clause, h.start) && !m.quoted(h));
        let asks = m.has(class::ASK);
        // Landlords, tenants and property managers are who writes and who lets the tech
        // in: alone they are logistics ("the tenant says", "coordinate entry with her",
        // "bill me"), so a coordination or a question needs another outside party.
        let others = GROUPS
            .iter()
            .filter(|&&g| g != class::CX_PROPERTY && loose(g) > 0)
            .count();
        let most_other = GROUPS
            .iter()
            .zip(counts)
            .filter(|(&g, _)| g != class::CX_PROPERTY)
            .map(|(_, c)| c)
            .max()
            .unwrap_or(0);
        if groups >= 3
            || loose_groups >= 3
            || (coordinate && (others >= 1 || most_other >= 2))
            || (asks && others >= 2)
        {
            return Some(format!(
                "{} outside parties or processes to coordinate",
                groups.max(loose_groups)
            ));
        }
    }
    None
}
