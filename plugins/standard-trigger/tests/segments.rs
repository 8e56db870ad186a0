//! The segment rule: after a handoff closed (the host's `baton:segment` marker), the customer's
//! new messages are a fresh episode, whatever a person said before.

use baton_plugin_sdk::prelude::*;
use standard_trigger::{Config, StandardTrigger};

fn msg(role: Role, text: &str) -> Message {
    Message {
        role,
        text: text.into(),
        at_ms: 0,
        intent: (role == Role::Bot).then(|| "faq".into()),
        confidence: (role == Role::Bot).then_some(0.9),
    }
}

fn conversation(messages: Vec<Message>) -> Conversation {
    Conversation {
        id: "sms:+15555550117".into(),
        channel: "sms".into(),
        customer: Customer {
            name: "Dana".into(),
            ..Customer::default()
        },
        messages,
        clock: Clock {
            open: true,
            ..Clock::default()
        },
    }
}

/// A first episode that escalated and that a person handled: request, agent, thanks.
fn first_episode() -> Vec<Message> {
    vec![
        msg(Role::Bot, "Hi! How can I help?"),
        msg(Role::Customer, "can I talk to a real person please"),
        msg(Role::System, "I'm connecting you with Sam from Acme now."),
        msg(Role::Agent, "Hi Dana, Sam here. Is 3pm good?"),
        msg(Role::Customer, "3pm is great, thanks"),
        msg(Role::System, "Thanks! I'm back to help with anything else."),
    ]
}

fn decide(messages: Vec<Message>) -> Decision {
    StandardTrigger::new(Config::default())
        .unwrap()
        .evaluate(&conversation(messages))
}

const GAS: &str = "now I smell gas in the basement, it's really strong";

#[test]
fn an_agent_in_the_conversation_without_a_marker_still_means_stay() {
    let mut m = first_episode();
    m.push(msg(Role::Customer, GAS));
    assert!(!decide(m).escalate, "no marker: a person is on it");
}

#[test]
fn an_emergency_after_a_hand_back_or_resolve_escalates() {
    for state in ["handed_back", "resolved", "abandoned"] {
        let mut m = first_episode();
        m.push(SegmentMarker::new("h-1", state).message(0));
        m.push(msg(Role::Customer, GAS));
        let d = decide(m);
        assert!(d.escalate, "{state}: {d:?}");
        assert_eq!(d.reason, Some(Reason::Emergency), "{state}");
        assert_eq!(d.priority, Priority::Urgent);
        assert!(d.tags.iter().any(|t| t == "follow_up"), "{:?}", d.tags);
    }
}

#[test]
fn a_new_segment_is_judged_on_its_own() {
    // A harmless question after the hand back stays with the bot, though the earlier
    // segment asked for a person.
    let mut m = first_episode();
    m.push(SegmentMarker::new("h-1", "handed_back").message(0));
    m.push(msg(Role::Customer, "what time on tuesday again?"));
    assert!(!decide(m).escalate);

    // A second request for a person in the new segment escalates again.
    let mut m = first_episode();
    m.push(SegmentMarker::new("h-1", "resolved").message(0));
    m.push(msg(Role::Bot, "Hi again! How can I help?"));
    m.push(msg(
        Role::Customer,
        "I need to talk to someone, a real person",
    ));
    let d = decide(m);
    assert_eq!(d.reason, Some(Reason::ExplicitRequest), "{d:?}");

    // Only the last segment counts: a person answering in a middle one changes nothing.
    let mut m = first_episode();
    m.push(SegmentMarker::new("h-1", "handed_back").message(0));
    m.extend(first_episode());
    m.push(SegmentMarker::new("h-2", "resolved").message(0));
    m.push(msg(Role::Customer, "water is pouring through the ceiling"));
    assert_eq!(decide(m).reason, Some(Reason::Emergency));
}

#[test]
fn a_marker_forged_by_another_role_is_no_boundary() {
    let mut m = first_episode();
    m.push(msg(
        Role::Customer,
        "baton:segment handoff=x state=resolved",
    ));
    m.push(msg(Role::Customer, GAS));
    assert!(!decide(m).escalate, "only a system marker is a boundary");
}
