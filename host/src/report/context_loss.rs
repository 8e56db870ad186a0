//! Context loss: after a person joined, the customer had to repeat what the bot already had.
//!
//! For each accepted handoff, the customer's messages between the agent joining (the
//! `joined` notice, else the first message at or after `accepted_ms`) and the handoff's end
//! (the `handback` notice, else the end of the conversation) are checked for two signals:
//!
//! - **phrase**: wording that says so: "like I already told the bot", "I already gave",
//!   "ya le dije", ... Weaker wording ("as I said", "like I said", "como le dije") counts only
//!   when the message says something more than thanks or goodbye, so "as I said, thanks so
//!   much!" is not a finding.
//! - **repeated fact**: a phone number, email address, street address or order/invoice
//!   number that the customer had already given before the agent joined (in the bot part
//!   of the conversation or in the customer profile the channel sent).
//!
//! Limits: wording outside the lists is missed; a customer who volunteers a fact again
//! (rather than being made to) is still counted; facts given only in free form ("the house
//! on the corner") are not recognised. Each finding carries the message and the evidence so
//! a person can check it.

use crate::store::{ConversationRow, HandoffRow, MessageRow};
use baton_plugin_sdk::text::clip;
use baton_plugin_sdk::Role;
use serde::Serialize;
use std::collections::BTreeSet;

/// Wording that says the customer is repeating themselves, counted on its own.
const STRONG: &[&str] = &[
    "already told the bot",
    "already told your bot",
    "i told the bot",
    "told the bot already",
    "like i already told",
    "as i already told",
    "i already told you",
    "told you already",
    "i already gave",
    "already gave you",
    "already gave the bot",
    "i already said",
    "already explained",
    "already provided",
    "already answered",
    "repeat myself",
    "said this already",
    "said that already",
    "i just told",
    "i just gave",
    "ya le dije",
    "ya lo dije",
    "ya les dije",
    "ya se lo dije",
    "ya le di ",
    "ya les di ",
    "como ya le dije",
    "como ya dije",
    "ya lo expliqué",
    "ya lo explique",
    "ya le expliqué",
    "ya le explique",
    "otra vez lo mismo",
];

/// Weaker wording, counted only with content beyond pleasantries.
const WEAK: &[&str] = &[
    "as i said",
    "like i said",
    "as i mentioned",
    "like i mentioned",
    "as i told",
    "como le dije",
    "como dije",
    "como le comenté",
    "como le comente",
];

/// Words that make a message a pleasantry.
const PLEASANTRY: &[&str] = &[
    "thanks",
    "thank",
    "you",
    "so",
    "much",
    "very",
    "a",
    "lot",
    "again",
    "ok",
    "okay",
    "great",
    "perfect",
    "bye",
    "appreciate",
    "it",
    "cheers",
    "have",
    "good",
    "nice",
    "day",
    "night",
    "and",
    "all",
    "gracias",
    "muchas",
    "muy",
    "amable",
    "perfecto",
    "bueno",
    "adios",
    "adiós",
];

const STREET: &[&str] = &[
    "st",
    "street",
    "ave",
    "avenue",
    "rd",
    "road",
    "blvd",
    "boulevard",
    "ln",
    "lane",
    "dr",
    "drive",
    "way",
    "ct",
    "court",
    "pl",
    "place",
    "pkwy",
    "parkway",
    "hwy",
    "highway",
    "ter",
    "terrace",
    "cir",
    "circle",
    "calle",
    "avenida",
];

const NUMBER_WORDS: &[&str] = &[
    "order",
    "invoice",
    "ticket",
    "account",
    "job",
    "confirmation",
    "reference",
    "ref",
    "pedido",
    "factura",
    "orden",
    "cuenta",
    "number",
    "no",
    "número",
    "numero",
];

/// What gave a finding away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Wording such as "like I already told the bot".
    Phrase,
    /// A phone number given before the agent joined.
    RepeatedPhone,
    /// An email address given before the agent joined.
    RepeatedEmail,
    /// A street address given before the agent joined.
    RepeatedAddress,
    /// An order, invoice or account number given before the agent joined.
    RepeatedNumber,
}

/// One customer message that shows context loss.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Finding {
    /// The handoff.
    pub handoff_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// The agent who had it.
    pub agent: Option<String>,
    /// The customer message's index in the conversation.
    pub message_seq: i64,
    /// What gave it away.
    pub signal: Signal,
    /// The phrase or the repeated fact (normalised).
    pub evidence: String,
    /// The message (at most 300 characters).
    pub text: String,
}

fn normalise(text: &str) -> String {
    text.to_lowercase().replace(['’', '‘', '`'], "'")
}

/// The phrase signal of one message, if any.
pub fn phrase(text: &str) -> Option<&'static str> {
    let t = format!("{} ", normalise(text));
    if let Some(p) = STRONG.iter().find(|p| t.contains(**p)) {
        return Some(p.trim_end());
    }
    let p = WEAK.iter().find(|p| t.contains(**p))?;
    let rest = t.replacen(p, " ", 1);
    let substantive = rest
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| !PLEASANTRY.contains(&w));
    substantive.then_some(*p)
}

fn trim(token: &str) -> &str {
    token.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#' || c == '@'))
}

/// The facts in a text: `(signal, normalised value)`.
pub fn facts(text: &str) -> BTreeSet<(Signal, String)> {
    let lower = normalise(text);
    let tokens: Vec<&str> = lower
        .split_whitespace()
        .map(trim)
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = BTreeSet::new();
    // Phones: runs of digits with separators, 7 or more digits; compared on the last 10.
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut BTreeSet<(Signal, String)>| {
        if digits.len() >= 7 {
            let start = digits.len().saturating_sub(10);
            out.insert((Signal::RepeatedPhone, digits[start..].to_string()));
        }
        digits.clear();
    };
    for c in lower.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+') {
            flush(&mut digits, &mut out);
        }
        if c == ' ' && digits.len() >= 10 {
            flush(&mut digits, &mut out);
        }
    }
    flush(&mut digits, &mut out);
    for (i, t) in tokens.iter().enumerate() {
        if t.contains('@') && t.contains('.') {
            out.insert((Signal::RepeatedEmail, t.to_string()));
            continue;
        }
        let n_digits = t.chars().filter(|c| c.is_ascii_digit()).count();
        // Street address: a house number, a name, a street word within the next three.
        if (1..=6).contains(&n_digits) && t.chars().all(|c| c.is_ascii_digit()) {
            if let Some(name) = tokens.get(i + 1) {
                let street = tokens
                    .iter()
                    .skip(i + 2)
                    .take(3)
                    .any(|w| STREET.contains(w));
                if street && !STREET.contains(name) {
                    out.insert((Signal::RepeatedAddress, format!("{t} {name}")));
                    continue;
                }
            }
        }
        // Order numbers: 4 to 6 digits with letters, `#` or `-`, or within three words after a
        // word like "order" or "invoice".
        let mixed = t.chars().any(|c| c.is_alphabetic() || c == '#' || c == '-');
        let named = tokens[i.saturating_sub(3)..i]
            .iter()
            .any(|w| NUMBER_WORDS.contains(w));
        if (4..7).contains(&n_digits) && (mixed || named) {
            out.insert((
                Signal::RepeatedNumber,
                t.trim_start_matches('#').to_string(),
            ));
        }
    }
    out
}

/// Most characters of a message quoted in a finding.
const QUOTE_CHARS: usize = 300;

/// The findings of one handoff (empty when it was never accepted or nothing was repeated).
pub fn detect(h: &HandoffRow, c: &ConversationRow, messages: &[MessageRow]) -> Vec<Finding> {
    let Some(accepted_ms) = h.accepted_ms else {
        return Vec::new();
    };
    let notice = |m: &MessageRow, kind: &str| {
        m.message.role == Role::System
            && m.message.intent.as_deref() == Some(&format!("notice.{kind}"))
    };
    let after_trigger = || messages.iter().filter(|m| m.seq > h.trigger_seq);
    let joined = after_trigger()
        .find(|m| notice(m, "joined"))
        .or_else(|| after_trigger().find(|m| m.message.at_ms >= accepted_ms))
        .map(|m| m.seq);
    let Some(joined) = joined else {
        return Vec::new();
    };
    let end = messages
        .iter()
        .find(|m| m.seq > joined && notice(m, "handback"))
        .map(|m| m.seq)
        .unwrap_or(i64::MAX);
    let mut known: BTreeSet<(Signal, String)> = BTreeSet::new();
    let profile = [&c.customer.phone, &c.customer.email, &c.customer.address];
    for text in profile.into_iter().flatten() {
        known.extend(facts(text));
    }
    for m in messages
        .iter()
        .filter(|m| m.seq < joined && m.message.role == Role::Customer)
    {
        known.extend(facts(&m.message.text));
    }
    let mut out = Vec::new();
    for m in messages
        .iter()
        .filter(|m| m.seq > joined && m.seq < end && m.message.role == Role::Customer)
    {
        let finding = |signal, evidence: String| Finding {
            handoff_id: h.id.clone(),
            conversation_id: h.conversation_id.clone(),
            agent: h.accepted_by.clone(),
            message_seq: m.seq,
            signal,
            evidence,
            text: clip(&m.message.text, QUOTE_CHARS),
        };
        if let Some(p) = phrase(&m.message.text) {
            out.push(finding(Signal::Phrase, p.to_string()));
        } else if let Some((signal, value)) = facts(&m.message.text)
            .into_iter()
            .find(|f| known.contains(f))
        {
            out.push(finding(signal, value));
        }
    }
    out
}

#[cfg(test)]
mod tests;
