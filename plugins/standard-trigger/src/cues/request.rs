//! `explicit_request`: the customer asks for a person, directly ("a real person please")
//! or indirectly ("is there someone I could call", "can your tech call me",
//! "quisiera que me llame"). Not when the person is incidental ("the person who comes to
//! the door"), reported ("my husband wants to talk to someone"), negated ("no need for a
//! call"), hypothetical ("if that's extra I'd want someone to call"), or part of a booked
//! visit ("can the tech call when he's on the way").

use super::Ctx;
use crate::lexicon::{class, Hit};
use crate::text::Msg;
use baton_plugin_sdk::Reason;

/// Whether a hit is a live request in its clause.
fn live(m: &Msg, h: &Hit) -> bool {
    m.live_request(h)
        && !m.before_in_clause(class::WHETHER, h.clause, h.start)
        && !m.in_clause(class::ALTERNATIVE, h.clause)
        && !m.before_in_clause(class::REPORTED, h.clause, h.start)
        && !m.in_clause(class::LOGISTICS, h.clause)
}

/// Whether the customer is the one who will make the contact ("I will call back once we
/// have chosen", "we'll call you"): not a request.
fn customer_calls(m: &Msg, h: &Hit) -> bool {
    let at = usize::from(h.start);
    let before = |k: usize| at.checked_sub(k).map(|i| m.word(i));
    matches!(before(1), Some("ill" | "well" | "i" | "we"))
        || (matches!(before(1), Some("will" | "shall" | "can" | "gonna"))
            && matches!(before(2), Some("i" | "we")))
}

/// Whether the person word at `h` is part of an incidental mention.
fn incidental(m: &Msg, h: &Hit) -> bool {
    m.of(class::INCIDENTAL)
        .any(|i| i.start <= h.start && h.start < i.end)
}

/// Contact phrases that need no named person ("call me", "que me llame").
fn self_contained(m: &Msg, h: &Hit) -> bool {
    let p = m.phrase(h);
    p.starts_with("call")
        || p.starts_with("a call")
        || p.starts_with("give me a")
        || p.starts_with("give us a")
        || p.starts_with("me ll")
        || p.starts_with("me pued")
        || p.starts_with("llamarme")
        || p.starts_with("phone call")
        || p.starts_with("give me a call")
        || p.starts_with("phone me")
        || p.starts_with("ring me")
        || p.starts_with("llame")
        || p.starts_with("put me through")
        || p.starts_with("transfer")
        || p.starts_with("connect")
        || p.starts_with("text me")
        || p.starts_with("get back to me")
        || p.starts_with("reach")
        || p.starts_with("marcar")
        || p.starts_with("me marqu")
        || p.starts_with("me escrib")
        || p.starts_with("me contact")
}

/// Contact aimed at the customer ("text me back", "que me llame", "get back to me"): a
/// request by itself, with or without a word of asking.
fn directed(m: &Msg, h: &Hit) -> bool {
    let p = m.phrase(h);
    (p.contains("me") || p.contains("back")) && !m.in_clause(class::POSITIVE, h.clause)
}

/// Detect a request for a person in the latest turn.
pub fn detect(ctx: &Ctx) -> Option<String> {
    if let Some(why) = ctx.tenant_phrase(&Reason::ExplicitRequest) {
        return Some(why);
    }
    for m in ctx.current() {
        if let Some(h) = m.of(class::EXPLICIT).find(|h| live(m, h)) {
            return Some(format!("the customer asks for a person: `{}`", m.phrase(h)));
        }
        for c in m
            .of(class::CONTACT)
            .filter(|h| live(m, h) && !customer_calls(m, h))
        {
            let asked = m.in_clause(class::ASK, c.clause);
            if directed(m, c) && (asked || m.has(class::PERSON)) {
                return Some(format!(
                    "the customer asks to be contacted: `{}`",
                    m.phrase(c)
                ));
            }
            if !asked {
                continue;
            }
            let person = m
                .of(class::PERSON)
                .any(|p| p.clause == c.clause && live(m, p) && !incidental(m, p));
            if person || self_contained(m, c) {
                return Some(format!("the customer asks to `{}` a person", m.phrase(c)));
            }
        }
        // Refusing the bot itself ("I'm NOT typing this out to a robot").
        for b in m.of(class::ANTIBOT) {
            let refusal =
                m.in_clause(class::REFUSAL, b.clause) || m.caps > 0.6 || m.has(class::FRUSTRATION);
            let content =
                m.in_clause(class::CALM, b.clause) || m.in_clause(class::POSITIVE, b.clause);
            if refusal && !content && !m.quoted(b) && !m.in_clause(class::CONDITIONAL, b.clause) {
                return Some("the customer refuses to deal with the bot".into());
            }
        }
    }
    None
}
