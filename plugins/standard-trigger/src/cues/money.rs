//! `billing_dispute`: a wrong or double charge, a refund, a charge after cancelling, and
//! disputes without dispute words: in a conversation about a bill, the customer cites
//! what they were quoted or told, evidence ("my camera has both"), or a different amount.

use super::Ctx;
use crate::lexicon::class;
use baton_plugin_sdk::Reason;

/// Whether the conversation is about a bill already sent or paid.
fn about_a_bill(ctx: &Ctx) -> bool {
    ctx.msgs.iter().any(|m| m.live_any(class::BILL_CONTEXT))
        || ctx.bots().any(|b| {
            b.intent
                .as_deref()
                .is_some_and(|i| i.contains("billing") || i.contains("invoice"))
        })
}

/// Detect a billing dispute in the latest turn.
pub fn detect(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::BillingDispute) {
        return Some(why);
    }
    let mut bill: Option<bool> = None;
    for m in ctx.current() {
        if m.live_any(class::CALM) {
            continue;
        }
        if let Some(h) = m
            .of(class::BILLING)
            .find(|h| m.live(h) && !m.in_clause(class::INQUIRY, h.clause))
        {
            return Some(format!("the customer disputes a charge: `{}`", m.phrase(h)));
        }
        if m.live_any(class::CANCELLED) && m.live_any(class::BILL_CONTEXT) {
            return Some("the customer is charged after cancelling".into());
        }
        // Cancelled earlier in the conversation, charged now.
        // (A charge and a cancellation are past by nature: only negation and quotes count.)
        let stated = |x: &crate::text::Msg, c: u8| {
            x.of(c)
                .any(|h| !x.negated_at(h.clause, h.start) && !x.quoted(h))
        };
        if stated(m, class::CHARGED)
            && ctx.earlier().iter().any(|e| stated(e, class::CANCELLED))
            && !m.has(class::INQUIRY)
        {
            return Some("the customer is charged after cancelling".into());
        }
        // Two different amounts: one quoted or told, one billed or charged.
        let differ = m.money.iter().enumerate().any(|(i, a)| {
            m.money[i + 1..]
                .iter()
                .any(|b| (a - b).abs() > 0.05 * a.max(*b))
        });
        if differ && stated(m, class::QUOTE) && stated(m, class::BILL_CONTEXT) {
            return Some("the bill differs from what the customer was quoted".into());
        }
        let twice = m
            .money
            .iter()
            .enumerate()
            .any(|(i, a)| m.money[i + 1..].contains(a));
        if twice && m.live_any(class::BILL_CONTEXT) {
            return Some("the same amount appears twice on the customer's bill".into());
        }
        let hint = m.first_live(class::DISPUTE_HINT);
        let new_amount = !m.money.is_empty()
            && ctx
                .earlier()
                .iter()
                .flat_map(|e| e.money.iter())
                .any(|old| {
                    m.money
                        .iter()
                        .all(|new| (new - old).abs() > 0.05 * old.max(*new))
                });
        if (hint.is_some() || new_amount) && *bill.get_or_insert_with(|| about_a_bill(ctx)) {
            return Some(match hint {
                Some(h) => format!("the customer contests the bill (`{}`)", m.phrase(h)),
                None => "the customer names a different amount than the bill".into(),
            });
        }
    }
    None
}
