//! The context packet's brief, in SBAR form (Situation, Background, Assessment,
//! Recommendation): what an agent reads first so they never ask what the bot already knows.

use crate::store::{ConversationRow, HandoffRow, MessageRow};
use baton_plugin_sdk::Role;
use serde::Serialize;

/// The brief.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Brief {
    /// Why now and what the customer wants.
    pub situation: String,
    /// Who the customer is: profile, job, history, previous agent.
    pub background: Vec<String>,
    /// The bot's intents and confidence, frustration and emergency signals, what the bot
    /// already said or promised.
    pub assessment: Vec<String>,
    /// The next step.
    pub recommendation: String,
    /// Facts the customer already gave: don't ask for them again.
    pub dont_ask_again: Vec<String>,
    /// A first line for the agent to edit and send, reading back what the bot learned.
    pub read_back: String,
}

fn next_step(reason: &str) -> &'static str {
    match reason {
        "emergency" => "call or reply at once: confirm everyone is safe (shut-off, leave the building if needed) and dispatch the on-call technician",
        "explicit_request" => "introduce yourself and take the conversation from where the bot left it",
        "billing_dispute" => "pull up the invoice in question, acknowledge the concern and review the charge with the customer",
        "frustration" => "acknowledge the trouble first, then fix the thing the bot could not",
        "repetition" => "answer the question the customer kept asking; don't make them repeat it again",
        "low_confidence" => "answer what the bot couldn't; it was unsure for several turns",
        "high_value" => "qualify the job and offer an on-site estimate",
        "customization" => "gather the special requirements and arrange a specialist or site visit",
        "complex_inquiry" => "handle the third party (insurance, permit, financing, HOA) and explain the next steps",
        "policy_fault" => "the escalation policy failed; read the transcript and take over",
        _ => "read the transcript and take over from the bot",
    }
}

fn short(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() <= max {
        t.to_string()
    } else {
        format!("{}…", t.chars().take(max).collect::<String>().trim_end())
    }
}

/// Facts a customer gave that an agent should not ask for again: their address, phone,
/// email, amounts, dates and reference numbers, and whatever the profile already holds.
fn facts(conversation: &ConversationRow, messages: &[MessageRow]) -> Vec<String> {
    let c = &conversation.customer;
    let mut out = vec![format!("name: {}", c.name)];
    if let Some(p) = &c.phone {
        out.push(format!("phone: {p}"));
    }
    if let Some(e) = &c.email {
        out.push(format!("email: {e}"));
    }
    if let Some(a) = &c.address {
        out.push(format!("address: {a}"));
    }
    for m in messages.iter().filter(|m| m.message.role == Role::Customer) {
        for word in m.message.text.split_whitespace() {
            let w = word.trim_matches(|ch: char| !ch.is_alphanumeric() && ch != '$' && ch != '#');
            let is_amount = w.starts_with('$') && w.len() > 1;
            let is_reference = w.starts_with('#') && w.len() > 2
                || (w.len() >= 5
                    && w.chars().any(|ch| ch.is_ascii_digit())
                    && w.chars().any(|ch| ch.is_ascii_alphabetic()));
            let is_email = w.contains('@') && w.contains('.');
            if is_amount {
                out.push(format!("amount mentioned: {w}"));
            } else if is_email {
                out.push(format!("email: {w}"));
            } else if is_reference {
                out.push(format!("reference: {w}"));
            }
        }
        let lower = m.message.text.to_lowercase();
        if c.address.is_none()
            && ADDRESS_WORDS.iter().any(|s| lower.contains(s))
            && lower.chars().any(|ch| ch.is_ascii_digit())
        {
            out.push(format!(
                "address given: \"{}\"",
                short(&m.message.text, 100)
            ));
        }
    }
    out.dedup();
    out
}

const ADDRESS_WORDS: [&str; 10] = [
    " st", " street", " ave", " avenue", " rd", " road", " ln", " lane", " dr", " blvd",
];

const PROMISE_CUES: [&str; 8] = [
    "i'll",
    "i will",
    "we'll",
    "we will",
    "scheduled",
    "booked",
    "$",
    "guarantee",
];

/// Build the brief of `handoff` from its conversation.
pub fn build_brief(
    handoff: &HandoffRow,
    conversation: &ConversationRow,
    messages: &[MessageRow],
    previous_agent: Option<&str>,
) -> Brief {
    let customer_texts: Vec<&str> = messages
        .iter()
        .filter(|m| m.message.role == Role::Customer)
        .map(|m| m.message.text.as_str())
        .collect();
    let trigger_text = messages
        .iter()
        .find(|m| m.seq == handoff.trigger_seq)
        .map(|m| m.message.text.as_str())
        .unwrap_or_else(|| customer_texts.last().copied().unwrap_or(""));
    let step = next_step(&handoff.reason);
    let recommendation = match previous_agent {
        Some(agent) => format!("{step}. {agent} served this customer before."),
        None => format!("{step}."),
    };
    Brief {
        situation: situation(handoff, conversation, &customer_texts, trigger_text),
        background: background(handoff, conversation, previous_agent),
        assessment: assessment(handoff, messages),
        recommendation,
        dont_ask_again: facts(conversation, messages),
        read_back: read_back(handoff, conversation, &customer_texts, trigger_text),
    }
}

/// One paragraph: who escalated, why, the message that did it and how it began.
fn situation(
    handoff: &HandoffRow,
    conversation: &ConversationRow,
    customer_texts: &[&str],
    trigger_text: &str,
) -> String {
    let first = customer_texts.first().copied().unwrap_or("");
    format!(
        "{} escalated for {} ({} priority): \"{}\". The conversation began: \"{}\".{}",
        conversation.customer.name,
        handoff.reason.replace('_', " "),
        handoff.priority.as_str(),
        short(trigger_text, 160),
        short(first, 160),
        if handoff.explanation.is_empty() {
            String::new()
        } else {
            format!(" Policy: {}", short(&handoff.explanation, 200))
        }
    )
}

/// What is known of the customer: new or repeat, channel, value, address, tags, who served
/// them before, whether it came after hours.
fn background(
    handoff: &HandoffRow,
    conversation: &ConversationRow,
    previous_agent: Option<&str>,
) -> Vec<String> {
    let c = &conversation.customer;
    let mut background = vec![format!(
        "{}{} via {}",
        c.name,
        if c.repeat_customer {
            ", a repeat customer"
        } else {
            ", a new customer"
        },
        conversation.channel.replace('_', " ")
    )];
    if let Some(v) = c.lifetime_value_usd {
        background.push(format!("lifetime value ${v:.0}"));
    }
    if let Some(a) = &c.address {
        background.push(format!("service address: {a}"));
    }
    if !c.tags.is_empty() {
        background.push(format!("tags: {}", c.tags.join(", ")));
    }
    match previous_agent {
        Some(agent) => background.push(format!("served before by {agent}")),
        None => background.push("no earlier handoff on record".into()),
    }
    if handoff.after_hours {
        background.push("arrived outside business hours".into());
    }
    background
}

/// What the bot understood and promised: its intents, the policy's signals, and anything it
/// said that sounds like a commitment (at most eight lines).
fn assessment(handoff: &HandoffRow, messages: &[MessageRow]) -> Vec<String> {
    let mut assessment = Vec::new();
    let intents: Vec<String> = messages
        .iter()
        .filter(|m| m.message.role == Role::Bot)
        .map(|m| match (&m.message.intent, m.message.confidence) {
            (Some(i), Some(c)) => format!("{i} ({c:.2})"),
            (Some(i), None) => i.clone(),
            (None, Some(c)) => format!("? ({c:.2})"),
            (None, None) => "?".into(),
        })
        .collect();
    if !intents.is_empty() {
        assessment.push(format!("bot intents: {}", intents.join(" → ")));
    }
    if !handoff.tags.is_empty() {
        assessment.push(format!("signals: {}", handoff.tags.join(", ")));
    }
    for m in messages.iter().filter(|m| m.message.role == Role::Bot) {
        let lower = m.message.text.to_lowercase();
        if PROMISE_CUES.iter().any(|p| lower.contains(p)) {
            assessment.push(format!("the bot said: \"{}\"", short(&m.message.text, 160)));
        }
    }
    assessment.truncate(8);
    assessment
}

/// The agent's first line to the customer: their need read back, so they need not repeat it.
fn read_back(
    handoff: &HandoffRow,
    conversation: &ConversationRow,
    customer_texts: &[&str],
    trigger_text: &str,
) -> String {
    // What the customer needs: for a request for a person, frustration or a loop, the
    // problem they first described (not "can I talk to a person"); otherwise the message
    // that triggered the handoff.
    let need = match handoff.reason.as_str() {
        "explicit_request" | "frustration" | "repetition" | "low_confidence" => customer_texts
            .iter()
            .copied()
            .find(|t| t.split_whitespace().count() >= 5)
            .unwrap_or(trigger_text),
        _ => trigger_text,
    };
    format!(
        "{}, I've read your whole conversation, so no need to repeat anything. You wrote: \"{}\". Let me {}.",
        greeting(&conversation.customer.name),
        short(need, 120),
        match handoff.reason.as_str() {
            "emergency" => "get someone to you right away",
            "billing_dispute" => "look into that charge for you now",
            "high_value" | "customization" => "get the details so we can quote it properly",
            "complex_inquiry" => "sort out the next steps with you",
            _ => "take it from here",
        }
    )
}

/// "Hi Dana" when the customer's name is known, a plain "Hi" otherwise.
fn greeting(name: &str) -> String {
    match name.split_whitespace().next() {
        Some(first) if name != super::ANONYMOUS_CUSTOMER => format!("Hi {first}"),
        _ => "Hi".to_string(),
    }
}
