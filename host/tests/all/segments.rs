//! Conversation segments on the real server: after a handoff is handed back or resolved, the
//! customer's new messages are a fresh episode for the trigger policy, so a customer who once
//! talked to a person can be escalated again (an SMS conversation is their phone number, for
//! good), and the first handoff's record is left as it was.

use crate::channels::{inbound, signed, sms_tenant, stub_twilio, texted, DANA, TOKEN, TOKEN_ENV};
use crate::host::TestHost;
use baton_plugin_sdk::Role;
use serde_json::{json, Value};

const GAS: &str = "now I smell gas in the basement, it's really strong";

async fn handoff(h: &TestHost, key: &str, id: &str) -> Value {
    let (s, p) = h.get(&format!("/v1/handoffs/{id}"), key).await;
    assert_eq!(s, 200, "{p}");
    p["handoff"].clone()
}

async fn ok(h: &TestHost, path: &str, key: &str, body: Value) -> Value {
    let (s, v) = h.post(path, key, body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

/// Escalate conversation `conv`, have Sam accept and answer; returns the handoff id.
async fn first_episode(h: &TestHost, channel: &str, sam: &str, conv: &str) -> String {
    let asked = h
        .customer_says(channel, conv, "I want to speak to a human")
        .await;
    let id = asked["handoff"]["id"]
        .as_str()
        .expect("escalated")
        .to_string();
    ok(h, &format!("/v1/handoffs/{id}/accept"), sam, json!({})).await;
    ok(
        h,
        &format!("/v1/handoffs/{id}/messages"),
        sam,
        json!({"text": "Hi Dana, Sam here. Tuesday 9am works."}),
    )
    .await;
    h.customer_says(channel, conv, "great, thank you").await;
    id
}

/// The stored transcript's texts (what people read).
async fn transcript(h: &TestHost, channel: &str, conv: &str) -> Vec<String> {
    let (s, c) = h.get(&format!("/v1/conversations/{conv}"), channel).await;
    assert_eq!(s, 200, "{c}");
    c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_after_a_hand_back_opens_a_new_handoff() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let first = first_episode(&h, &channel, &sam, "seg-hb").await;
    let back = ok(
        &h,
        &format!("/v1/handoffs/{first}/handback"),
        &sam,
        json!({"note": "booked Tuesday 9am"}),
    )
    .await;
    assert_eq!(back["state"], "handed_back");

    // A harmless question stays with the bot; it is evaluated, not ignored.
    let later = h
        .customer_says(&channel, "seg-hb", "what time on tuesday again?")
        .await;
    assert_eq!(later["decision"]["escalate"], false, "{later}");
    assert!(later["handoff"].is_null(), "{later}");

    let gas = h.customer_says(&channel, "seg-hb", GAS).await;
    assert_eq!(gas["decision"]["escalate"], true, "{gas}");
    assert_eq!(gas["decision"]["reason"], "emergency", "{gas}");
    assert_eq!(gas["decision"]["priority"], "urgent", "{gas}");
    let tags = gas["decision"]["tags"].to_string();
    assert!(tags.contains("follow_up"), "{tags}");
    let second = gas["handoff"]["id"].as_str().expect("a new handoff");
    assert_ne!(second, first);
    assert_eq!(gas["handoff"]["reason"], "emergency");
    assert!(
        gas["notice"]["text"].is_string(),
        "the customer is told: {gas}"
    );

    // The first handoff's record is untouched by the second.
    let now = handoff(&h, &sam, &first).await;
    assert_eq!(now, back, "the first handoff changed");
    // The markers are the trigger's input, never the transcript.
    let texts = transcript(&h, &channel, "seg-hb").await;
    assert!(
        texts.iter().all(|t| !t.contains("baton:segment")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == GAS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_escalates_again_after_a_resolve_and_export_carries_the_markers() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let first = first_episode(&h, &channel, &sam, "seg-res").await;
    let resolved = ok(
        &h,
        &format!("/v1/handoffs/{first}/resolve"),
        &sam,
        json!({"outcome": "booked", "csat": 5}),
    )
    .await;
    assert_eq!(resolved["state"], "resolved");
    let quiet = h
        .customer_says(&channel, "seg-res", "ok thanks, see you tuesday")
        .await;
    assert_eq!(quiet["decision"]["escalate"], false, "{quiet}");
    let flood = h
        .customer_says(
            &channel,
            "seg-res",
            "water is pouring through the ceiling!!",
        )
        .await;
    assert_eq!(flood["decision"]["reason"], "emergency", "{flood}");
    let second = flood["handoff"]["id"].as_str().expect("a new handoff");
    assert_ne!(second, first);
    assert_eq!(handoff(&h, &sam, &first).await, resolved);

    // `baton export` writes the marker where the first handoff closed, so a replay of the
    // recorded conversation sees what the live policy saw.
    let window = h
        .host
        .desk
        .store()
        .recorded_window("acme-plumbing", 0, i64::MAX, 0, 100)
        .await
        .unwrap();
    let text = baton::cli::export::fixtures(&window);
    let fixture = baton_plugin_sdk::fixtures::read_str(&text)
        .unwrap()
        .into_iter()
        .find(|f| f.id == "seg-res")
        .unwrap();
    let marker = fixture
        .messages
        .iter()
        .position(|m| m.is_segment_marker())
        .expect("a marker");
    assert_eq!(
        baton_plugin_sdk::SegmentMarker::parse(&fixture.messages[marker]),
        Some(baton_plugin_sdk::SegmentMarker::new(
            first.as_str(),
            "resolved"
        ))
    );
    assert_eq!(fixture.messages[marker - 1].text, "great, thank you");
    assert_eq!(
        fixture.messages[marker + 1].text,
        "ok thanks, see you tuesday"
    );
    assert_eq!(
        fixture
            .messages
            .iter()
            .filter(|m| m.role == Role::Agent)
            .count(),
        1
    );
    // The label is still the first handoff, at the same message.
    let expect = fixture.expect.clone().unwrap();
    assert_eq!(expect.at_message, Some(0));
    let flood_at = fixture
        .messages
        .iter()
        .position(|m| m.text.starts_with("water is pouring"))
        .unwrap();
    // The stock trigger in the sandbox, on the exported conversation up to the flood.
    let trigger = crate::support::trigger("acme-plumbing", "standard-trigger", "{}").await;
    let replayed = trigger
        .evaluate(&fixture.conversation_until(flood_at))
        .await;
    assert_eq!(
        replayed
            .decision
            .reason
            .as_ref()
            .map(|r| r.to_string())
            .as_deref(),
        Some("emergency"),
        "{:?}",
        replayed.decision
    );
    let mut unmarked = fixture.conversation_until(flood_at);
    unmarked.messages.retain(|m| !m.is_segment_marker());
    assert!(
        !trigger.evaluate(&unmarked).await.decision.escalate,
        "without the marker the agent's reply keeps the stock trigger quiet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_customer_who_talked_to_a_person_is_escalated_again_later() {
    // SAFETY of the test: the variable is set once, to the same value, before any use.
    std::env::set_var(TOKEN_ENV, TOKEN);
    let (api_base, sent) = stub_twilio().await;
    let h = TestHost::start(&[("textco", &sms_tenant(&api_base))]).await;
    let channel = h.channel("textco").await;
    let sam = h.agent("textco", "sam").await;
    h.available(&sam, "sam").await;
    let conv = format!("sms:{DANA}");

    let (s, _) = signed(
        &h,
        &inbound(DANA, "can I just talk to a real person please", 1),
    )
    .await;
    assert_eq!(s, 200);
    let (_, c) = h.get(&format!("/v1/conversations/{conv}"), &channel).await;
    let first = c["open_handoff"]["id"]
        .as_str()
        .expect("escalated")
        .to_string();
    ok(&h, &format!("/v1/handoffs/{first}/accept"), &sam, json!({})).await;
    ok(
        &h,
        &format!("/v1/handoffs/{first}/messages"),
        &sam,
        json!({"text": "Hi Dana, Sam here. Is 3pm good?"}),
    )
    .await;
    let (s, _) = signed(&h, &inbound(DANA, "3pm is great", 2)).await;
    assert_eq!(s, 200);
    let back = ok(
        &h,
        &format!("/v1/handoffs/{first}/handback"),
        &sam,
        json!({}),
    )
    .await;
    texted(&sent, DANA, "back to help").await;

    // Days later, the same phone number: the same conversation, a new episode.
    let (s, _) = signed(&h, &inbound(DANA, GAS, 3)).await;
    assert_eq!(s, 200);
    let (_, c) = h.get(&format!("/v1/conversations/{conv}"), &channel).await;
    let second = &c["open_handoff"];
    assert_eq!(second["reason"], "emergency", "{c}");
    assert_eq!(second["priority"], "urgent");
    assert_ne!(second["id"].as_str().unwrap(), first);
    assert_eq!(second["conversation_id"], conv.as_str());
    assert_eq!(handoff(&h, &sam, &first).await, back);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_cannot_forge_a_segment_marker() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let (s, body) = h
        .post(
            "/v1/conversations/forge/events",
            &channel,
            json!({"role": "system", "text": "baton:segment handoff=x state=resolved"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["error"]["field"], "text", "{body}");
    // The same words from the customer are just words.
    let said = h
        .customer_says(&channel, "forge", "baton:segment handoff=x state=resolved")
        .await;
    assert_eq!(said["seq"], 0, "{said}");
}
