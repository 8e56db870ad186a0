//! Labelled examples, positives and negatives.

use super::*;
use crate::store::{HandoffState, MessageRow};
use baton_plugin_sdk::{Customer, Message, Priority};

fn m(seq: i64, role: Role, text: &str, intent: Option<&str>) -> MessageRow {
    MessageRow {
        seq,
        message: Message {
            role,
            text: text.into(),
            at_ms: 1_000 + seq * 1_000,
            intent: intent.map(str::to_string),
            confidence: None,
        },
        agent_id: None,
    }
}

fn conversation() -> ConversationRow {
    ConversationRow {
        id: "c".into(),
        channel: "sms".into(),
        customer: Customer {
            name: "Dana".into(),
            phone: Some("+15555550117".into()),
            ..Customer::default()
        },
        customer_key: "+15555550117".into(),
        message_count: 0,
        created_ms: 0,
        updated_ms: 0,
    }
}

fn handoff(accepted: bool) -> HandoffRow {
    HandoffRow {
        id: "h".into(),
        conversation_id: "c".into(),
        state: HandoffState::Accepted,
        reason: "explicit_request".into(),
        priority: Priority::High,
        tags: vec![],
        queue: "general".into(),
        route: vec![],
        declined_by: vec![],
        offered_to: None,
        offer_expires_ms: None,
        accepted_by: accepted.then(|| "sam".to_string()),
        opened_ms: 3_000,
        accepted_ms: accepted.then_some(5_000),
        closed_ms: None,
        closed_seq: None,
        outcome: None,
        csat: None,
        note: None,
        policy_version: "v".into(),
        trigger_seq: 2,
        explanation: String::new(),
        after_hours: false,
        routing_note: String::new(),
    }
}

/// Bot part, then the customer's `after` messages once the agent joined.
fn run(before: &str, after: &[&str], accepted: bool) -> Vec<Finding> {
    let mut msgs = vec![
        m(0, Role::Customer, before, None),
        m(1, Role::Bot, "Thanks! What's going on?", Some("triage")),
        m(2, Role::Customer, "can I talk to a person", None),
        m(
            3,
            Role::System,
            "Sam will be with you.",
            Some("notice.offered"),
        ),
        m(4, Role::System, "Sam has joined.", Some("notice.joined")),
        m(5, Role::Agent, "Hi Dana, what's the address?", None),
    ];
    for (i, t) in after.iter().enumerate() {
        msgs.push(m(6 + i as i64, Role::Customer, t, None));
    }
    detect(&handoff(accepted), &conversation(), &msgs)
}

#[test]
fn phrases_after_the_join_are_findings() {
    let cases = [
        "like I already told the bot, the water heater",
        "I already gave my address",
        "ya le dije, es en la calle Juárez",
        "as I said, it's the upstairs bathroom",
        "I ALREADY TOLD YOU this morning",
        "como ya le dije, no hay agua caliente",
    ];
    for text in cases {
        let f = run("hi, my sink is slow", &[text], true);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        assert_eq!(f[0].signal, Signal::Phrase, "{text}");
        assert_eq!(f[0].message_seq, 6);
        assert_eq!(f[0].agent.as_deref(), Some("sam"));
    }
}

#[test]
fn repeated_facts_are_findings() {
    let f = run(
        "leak at 12 Elm St, Springfield",
        &["it's 12 Elm Street"],
        true,
    );
    assert_eq!(
        (f[0].signal, f[0].evidence.as_str()),
        (Signal::RepeatedAddress, "12 elm")
    );
    let f = run("my order #A1234 never came", &["order A1234"], true);
    assert_eq!(
        (f[0].signal, f[0].evidence.as_str()),
        (Signal::RepeatedNumber, "a1234")
    );
    let f = run("invoice 55821 is wrong", &["the invoice is 55821"], true);
    assert_eq!(f[0].signal, Signal::RepeatedNumber);
    // The phone the channel sent in the profile counts as something the bot had.
    let f = run("hi", &["call me at (555) 555-0117"], true);
    assert_eq!(
        (f[0].signal, f[0].evidence.as_str()),
        (Signal::RepeatedPhone, "5555550117")
    );
    let f = run(
        "email me: dana@example.com",
        &["it's dana@example.com"],
        true,
    );
    assert_eq!(f[0].signal, Signal::RepeatedEmail);
}

#[test]
fn negatives() {
    // Thanks with "as I said" is not context loss.
    assert!(run("hi", &["as I said, thanks so much!"], true).is_empty());
    assert!(run("hi", &["Like I said: thank you, have a good day"], true).is_empty());
    // New facts, and ordinary answers.
    assert!(run(
        "leak at 12 Elm St",
        &["the other house is 40 Oak Ave"],
        true
    )
    .is_empty());
    assert!(run("hi", &["it's the upstairs bathroom, thanks"], true).is_empty());
    assert!(run("my sink is slow", &["yes 2 pm works"], true).is_empty());
    // A handoff nobody accepted has no "after the person joined".
    assert!(run("hi", &["like I already told the bot"], false).is_empty());
}

#[test]
fn before_any_handoff_nothing_counts() {
    // The phrase sits in the bot part of the conversation: not a finding.
    let f = run(
        "as I said, thanks so much! like I already told the bot",
        &["ok"],
        true,
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn after_a_handback_nothing_counts() {
    let mut msgs = vec![
        m(0, Role::Customer, "hi", None),
        m(1, Role::Bot, "hello", Some("greeting")),
        m(2, Role::Customer, "a person please", None),
        m(3, Role::System, "joined", Some("notice.joined")),
        m(4, Role::System, "back to the bot", Some("notice.handback")),
    ];
    msgs.push(m(5, Role::Customer, "like I already told the bot", None));
    assert!(detect(&handoff(true), &conversation(), &msgs).is_empty());
}

#[test]
fn fact_extraction() {
    let f = facts("Call 555-555-0117 or dana@x.io; I'm at 4410 N Broadway Ave");
    assert!(
        f.contains(&(Signal::RepeatedPhone, "5555550117".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&(Signal::RepeatedEmail, "dana@x.io".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&(Signal::RepeatedAddress, "4410 n".into())),
        "{f:?}"
    );
    assert!(facts("it's 2026 and 3 pm").is_empty());
}
