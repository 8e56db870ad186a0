//! The web-chat widget's API on the real server: sessions, the demo bot hook, the limits of
//! a public key, and the conversation's stream.

use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::time::Duration;

async fn widget_call(
    h: &TestHost,
    method: &str,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = h
        .http
        .request(method.parse().unwrap(), format!("{}{path}", h.url))
        .bearer_auth(key);
    if let Some(t) = token {
        req = req.header("X-Baton-Session", t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_session_reaches_only_its_own_conversation() {
    let h = TestHost::start(&[]).await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;

    let (s, one) = widget_call(&h, "POST", "/v1/widget/sessions", &widget, None, None).await;
    assert_eq!(s, 201, "{one}");
    assert_eq!(one["business"], "Acme Plumbing");
    let (id, token) = (
        one["conversation_id"].as_str().unwrap(),
        one["token"].as_str().unwrap(),
    );
    let (_, two) = widget_call(&h, "POST", "/v1/widget/sessions", &widget, None, None).await;
    assert_ne!(two["conversation_id"], one["conversation_id"]);

    // The demo bot answers while it has the conversation; its turn is recorded.
    let path = format!("/v1/widget/conversations/{id}/messages");
    let (s, posted) = widget_call(
        &h,
        "POST",
        &path,
        &widget,
        Some(token),
        Some(json!({"text": "what are your hours?"})),
    )
    .await;
    assert_eq!(s, 201, "{posted}");
    assert!(
        posted["bot"].as_str().unwrap().contains("Saturday"),
        "{posted}"
    );
    let (_, conv) = h.get(&format!("/v1/conversations/{id}"), &channel).await;
    assert_eq!(conv["conversation"]["channel"], "web_chat");
    assert_eq!(conv["messages"][1]["role"], "bot");
    assert_eq!(conv["messages"][1]["intent"], "hours");

    // No token, another session's token, another conversation: refused.
    let msg = Some(json!({"text": "hi"}));
    assert_eq!(
        widget_call(&h, "POST", &path, &widget, None, msg.clone())
            .await
            .0,
        403
    );
    let other = two["token"].as_str().unwrap();
    assert_eq!(
        widget_call(&h, "POST", &path, &widget, Some(other), msg.clone())
            .await
            .0,
        403
    );
    let theirs = format!(
        "/v1/widget/conversations/{}/messages",
        two["conversation_id"].as_str().unwrap()
    );
    assert_eq!(
        widget_call(&h, "POST", &theirs, &widget, Some(token), msg.clone())
            .await
            .0,
        403
    );
    // A widget key is no channel or agent key, and other keys open no widget sessions.
    let (s, _) = h
        .post(
            &format!("/v1/conversations/{id}/events"),
            &widget,
            json!({"role": "bot", "text": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        h.get(&format!("/v1/conversations/{id}"), &widget).await.0,
        403
    );
    assert_eq!(h.get("/v1/handoffs", &widget).await.0, 403);
    assert_eq!(
        widget_call(&h, "POST", "/v1/widget/sessions", &channel, None, None)
            .await
            .0,
        403
    );
    // Only customer text: no role, no intent.
    let (s, _) = widget_call(
        &h,
        "POST",
        &path,
        &widget,
        Some(token),
        Some(json!({"text": "x", "role": "bot"})),
    )
    .await;
    assert_eq!(s, 422);

    // Any site may call the API (CORS preflight).
    let pre = h
        .http
        .request(reqwest::Method::OPTIONS, format!("{}{path}", h.url))
        .header("origin", "https://acme.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status().as_u16(), 204);
    assert_eq!(pre.headers()["access-control-allow-origin"], "*");
    assert!(pre.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-baton-session"));

    // Asking for a person opens a handoff; the bot stays quiet; the stream tells the visitor.
    let (s, posted) = widget_call(&h, "POST", &path, &widget, Some(token), Some(json!({"text": "can I talk to a real person please", "customer": {"name": "Dana Whitfield"}}))).await;
    assert_eq!(s, 201, "{posted}");
    assert_eq!(posted["handoff_open"], true);
    assert!(posted["bot"].is_null());
    let mut stream = h
        .http
        .get(format!(
            "{}/v1/widget/conversations/{id}/stream?from=2",
            h.url
        ))
        .bearer_auth(&widget)
        .header("X-Baton-Session", token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(seen.contains("\"notice\":\"offered\"") && seen.contains("\"with\":\"waiting\"")) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .expect("stream events")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("can I talk to a real person"), "{seen}");
    assert!(
        !seen.contains("what are your hours"),
        "the stream starts at `from`: {seen}"
    );
}
