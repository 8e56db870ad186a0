//! Focused tests: negation, Spanish, incidental "person", reported speech, config keys.

use baton_plugin_sdk::parse_config;
use baton_plugin_sdk::prelude::*;
use standard_trigger::{Config, StandardTrigger};

fn msg(role: Role, text: &str, confidence: Option<f32>) -> Message {
    Message {
        role,
        text: text.into(),
        at_ms: 0,
        intent: confidence.map(|_| "faq".into()),
        confidence,
    }
}

/// A conversation: a bot greeting, then the customer's text.
fn convo(texts: &[&str]) -> Conversation {
    let mut messages = vec![msg(Role::Bot, "Hi! How can I help?", Some(0.95))];
    for (i, t) in texts.iter().enumerate() {
        if i > 0 {
            messages.push(msg(
                Role::Bot,
                "Sure, what else can I do for you?",
                Some(0.9),
            ));
        }
        messages.push(msg(Role::Customer, t, None));
    }
    Conversation {
        id: "t".into(),
        channel: "sms".into(),
        customer: Customer {
            name: "T".into(),
            ..Customer::default()
        },
        messages,
        clock: Clock {
            open: true,
            ..Clock::default()
        },
    }
}

fn decide(texts: &[&str]) -> Decision {
    StandardTrigger::new(Config::default())
        .unwrap()
        .evaluate(&convo(texts))
}

fn reason(texts: &[&str]) -> Option<Reason> {
    decide(texts).reason
}

#[test]
fn direct_and_indirect_requests_for_a_person() {
    for t in [
        "can I talk to a real person please",
        "is there someone I can call about this?",
        "can your tech call me before I book",
        "I'd rather deal with a human on this",
        "Could you transfer me to the service manager?",
    ] {
        assert_eq!(reason(&[t]), Some(Reason::ExplicitRequest), "{t}");
    }
    assert_eq!(decide(&["get me a real person"]).priority, Priority::High);
}

#[test]
fn negated_hypothetical_reported_and_incidental_people_do_not_escalate() {
    for t in [
        "no need for anyone to call me, just book friday",
        "I don't need to talk to a person, the bot is fine",
        "if it costs extra I'd want someone to call me first",
        "my husband wants to talk to someone about solar someday",
        "please tell the person who comes to the door to knock",
        "can the tech call me when he's on his way?",
        "the last person who came out was great",
    ] {
        assert_eq!(reason(&[t]), None, "{t}");
    }
}

#[test]
fn spanish_and_mixed_messages() {
    assert_eq!(
        reason(&["quiero hablar con una persona"]),
        Some(Reason::ExplicitRequest)
    );
    assert_eq!(
        reason(&["hay una fuga de gas en la cocina"]),
        Some(Reason::Emergency)
    );
    assert_eq!(
        reason(&["Hola, HUELE A GAS en la cocina"]),
        Some(Reason::Emergency)
    );
    assert_eq!(
        reason(&["me cobraron dos veces la visita"]),
        Some(Reason::BillingDispute)
    );
    assert_eq!(
        reason(&["estoy harta de estas cucarachas, ¿tienen cita mañana?"]),
        None
    );
    let d = decide(&["quiero hablar con una persona"]);
    assert!(d.tags.iter().any(|t| t == "spanish"), "{:?}", d.tags);
}

#[test]
fn emergencies_in_physical_terms_and_their_negations() {
    for t in [
        "the outlet just sparked and there's a burning smell",
        "water is pouring out of the ceiling light",
        "the furnace died and it's 50 degrees, we have a newborn",
        "sewage is backing up into the shower",
    ] {
        let d = decide(&[t]);
        assert_eq!(
            (d.reason, d.priority),
            (Some(Reason::Emergency), Priority::Urgent),
            "{t}"
        );
    }
    for t in [
        "not an emergency, the drip under the sink is slow",
        "do you offer emergency service for burst pipes? just asking for the future",
        "we had a flood last year and you did great",
        "I don't smell gas, the pilot just won't light",
    ] {
        assert_eq!(reason(&[t]), None, "{t}");
    }
}

#[test]
fn anger_at_pests_is_not_frustration_but_anger_at_the_service_is() {
    assert_eq!(
        reason(&["these ants are driving me crazy, I'm so sick of them lol"]),
        None
    );
    assert_eq!(
        reason(&["third time your tech no-showed. this is ridiculous"]),
        Some(Reason::Frustration)
    );
}

#[test]
fn as_i_said_thanks_is_not_repetition() {
    assert_eq!(reason(&["book me for friday", "as I said, thanks!"]), None);
    assert_eq!(
        reason(&["it's the upstairs unit", "like I said, the upstairs unit"]),
        Some(Reason::Repetition)
    );
}

#[test]
fn low_confidence_needs_consecutive_unsure_turns() {
    let mut c = convo(&["my inverter shows an isolation fault"]);
    c.messages
        .push(msg(Role::Bot, "Solar is great!", Some(0.3)));
    c.messages
        .push(msg(Role::Customer, "the inverter, isolation fault", None));
    let p = StandardTrigger::new(Config::default()).unwrap();
    assert_eq!(p.evaluate(&c).reason, None, "one unsure turn is not enough");
    c.messages
        .push(msg(Role::Bot, "Could you rephrase?", Some(0.25)));
    c.messages
        .push(msg(Role::Customer, "can you fix it or not", None));
    assert_eq!(p.evaluate(&c).reason, Some(Reason::LowConfidence));
}

#[test]
fn an_empty_config_is_the_default_and_unknown_keys_are_named() {
    let c: Config = parse_config("").unwrap();
    assert_eq!(c, Config::default());
    let err = parse_config::<Config>(r#"{"high_value_treshold_usd": 5000}"#).unwrap_err();
    assert!(err.contains("high_value_treshold_usd"), "{err}");
    let err = parse_config::<Config>(r#"{"extra_phrases": {"urgent": ["x"]}}"#)
        .and_then(StandardTrigger::new)
        .unwrap_err();
    assert!(err.contains("urgent"), "{err}");
    assert!(StandardTrigger::new(Config {
        low_confidence_threshold: 1.5,
        ..Config::default()
    })
    .is_err());
}

#[test]
fn config_keys_change_decisions() {
    let cfg: Config = parse_config(
        r#"{"extra_phrases": {"explicit_request": ["page the on-call"]}, "emergency_terms": ["propane smell"],
            "high_value_threshold_usd": 3000, "high_value_jobs": ["sauna"], "disabled": ["frustration"], "spanish": false}"#,
    )
    .unwrap();
    let p = StandardTrigger::new(cfg).unwrap();
    let r = |t: &str| p.evaluate(&convo(&[t])).reason;
    assert_eq!(r("please page the on-call"), Some(Reason::ExplicitRequest));
    assert_eq!(
        r("there's a Propane Smell in the garage"),
        Some(Reason::Emergency)
    );
    assert_eq!(
        r("we'd like a quote, our budget is $4,500 for the patio"),
        Some(Reason::HighValue)
    );
    assert_eq!(r("thinking of adding a sauna"), Some(Reason::HighValue));
    assert_eq!(r("this is ridiculous"), None, "frustration disabled");
    assert_eq!(
        r("quiero hablar con una persona por favor"),
        None,
        "spanish off"
    );
}

#[test]
fn an_agent_on_the_conversation_means_stay() {
    let mut c = convo(&["hi"]);
    c.messages.push(msg(Role::Agent, "Hi, this is Dana.", None));
    c.messages
        .push(msg(Role::Customer, "can I talk to a real person", None));
    assert!(
        !StandardTrigger::new(Config::default())
            .unwrap()
            .evaluate(&c)
            .escalate
    );
}
