//! Idempotency (issue 16, items 1 and 2), on the real server and whichever store the suite
//! runs (`BATON_TEST_STORE`): a reused `Idempotency-Key` never drops a message, a replay
//! answers the first answer byte for byte, and client keys cannot reach Baton's own records.

use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};

/// Post a customer message with an `Idempotency-Key`: status and body as text.
async fn post_keyed(
    h: &TestHost,
    key: &str,
    conversation: &str,
    idem: &str,
    text: &str,
) -> (u16, String) {
    let resp = h
        .http
        .post(format!("{}/v1/conversations/{conversation}/events", h.url))
        .bearer_auth(key)
        .header("Idempotency-Key", idem)
        .json(&json!({"role": "customer", "text": text}))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

pub(crate) async fn customer_texts(h: &TestHost, key: &str, conversation: &str) -> Vec<String> {
    let (_, conv) = h
        .get(&format!("/v1/conversations/{conversation}"), key)
        .await;
    conv["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|m| m["role"] == "customer")
                .map(|m| m["text"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_idempotency_key_never_drops_a_message() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let (s1, b1) = post_keyed(&h, &channel, "idem-a", "k-1", "my faucet drips").await;
    assert_eq!(s1, 201, "{b1}");

    // Same key, same body: the stored answer, nothing stored twice.
    let (s2, b2) = post_keyed(&h, &channel, "idem-a", "k-1", "my faucet drips").await;
    assert_eq!((s2, b2.as_str()), (201, b1.as_str()));

    // Same key, another body: refused, naming the header, never answered as if stored.
    let (s3, b3) = post_keyed(&h, &channel, "idem-a", "k-1", "I smell gas!").await;
    assert_eq!(s3, 422, "{b3}");
    let err: Value = serde_json::from_str(&b3).unwrap();
    assert_eq!(err["error"]["field"], "Idempotency-Key", "{b3}");
    assert_eq!(
        customer_texts(&h, &channel, "idem-a").await,
        vec!["my faucet drips"]
    );

    // Same key, another conversation: its own message, stored.
    let (s4, b4) = post_keyed(&h, &channel, "idem-b", "k-1", "I smell gas!").await;
    assert_eq!(s4, 201, "{b4}");
    assert_ne!(b4, b1);
    assert_eq!(
        customer_texts(&h, &channel, "idem-b").await,
        vec!["I smell gas!"]
    );

    // Same key and conversation from another caller: that caller's own message.
    let other = h.channel("acme-plumbing").await;
    let (s5, b5) = post_keyed(&h, &other, "idem-a", "k-1", "second caller here").await;
    assert_eq!(s5, 201, "{b5}");
    assert_eq!(
        customer_texts(&h, &channel, "idem-a").await,
        vec!["my faucet drips", "second caller here"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_escalation_answers_the_first_answer_byte_for_byte() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let post = || async {
        let resp = h
            .http
            .post(format!("{}/v1/conversations/idem-gas/events", h.url))
            .bearer_auth(&channel)
            .header("Idempotency-Key", "gas-1")
            .json(&json!({"role": "customer", "text": "I smell gas in the kitchen!"}))
            .send()
            .await
            .unwrap();
        let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
        (resp.status().as_u16(), kind, resp.text().await.unwrap())
    };
    let (s1, kind1, b1) = post().await;
    assert_eq!((s1, kind1.as_str()), (201, "application/json"), "{b1}");
    let first: Value = serde_json::from_str(&b1).unwrap();
    assert_eq!(first["decision"]["escalate"], true, "{b1}");
    assert!(first["notice"]["text"].is_string(), "{b1}");
    let handoff = first["handoff"]["id"].as_str().unwrap().to_string();

    // The replay is the same answer (decision, handoff, notice), not a second handoff.
    let (s2, kind2, b2) = post().await;
    assert_eq!(
        (s2, kind2.as_str(), b2.as_str()),
        (201, "application/json", b1.as_str())
    );
    let (_, conv) = h.get("/v1/conversations/idem-gas", &channel).await;
    assert_eq!(conv["open_handoff"]["id"], handoff.as_str());
    assert_eq!(
        customer_texts(&h, &channel, "idem-gas").await,
        vec!["I smell gas in the kitchen!"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_idempotency_keys_cannot_reach_internal_records() {
    let h = TestHost::start(&[]).await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let channel = h.channel("acme-plumbing").await;
    let resp = h
        .http
        .post(format!("{}/v1/widget/sessions", h.url))
        .bearer_auth(&widget)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let session: Value = resp.json().await.unwrap();
    let id = session["conversation_id"].as_str().unwrap();
    let token = session["token"].as_str().unwrap();

    // Asking for the widget session's record by its internal name stores a message and
    // answers about it; the session token's hash never comes back.
    let (s, body) = post_keyed(&h, &channel, id, &format!("widget-session:{id}"), "hello").await;
    assert_eq!(s, 201, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(answer.get("decision").is_some(), "{body}");
    assert!(!body.contains(&baton::store::hash_key(token)), "{body}");
    assert_eq!(customer_texts(&h, &channel, id).await, vec!["hello"]);

    // The session still works: its record was not touched.
    let resp = h
        .http
        .post(format!("{}/v1/widget/conversations/{id}/messages", h.url))
        .bearer_auth(&widget)
        .header("X-Baton-Session", token)
        .json(&json!({"text": "still me"}))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}
