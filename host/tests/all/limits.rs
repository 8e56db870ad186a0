//! Limits on what strangers can send (issue 16, item 5), on the real server and whichever
//! store the suite runs (`BATON_TEST_STORE`): rate limits answer 429 with `Retry-After` and
//! every accepted message is stored; an over-long message and a full conversation are
//! refused naming the field, before anything is stored; the trigger sees only a bounded
//! window; the transcript pages.

use crate::host::TestHost;
use baton::clock::ManualClock;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::sync::Arc;

/// A tenant on the chaos plugin in `count` mode (it reports how much of the conversation
/// it was shown, never escalates), with `limits` added to its `[limits]`.
fn tenant(name: &str, limits: &str) -> String {
    format!(
        r#"name = "{name}"

[limits]
deadline_ms = 500
{limits}

[trigger]
plugin = "plugins/chaos.wasm"

[trigger.config]
mode = "count"

[routing]
plugin = "plugins/skills-router.wasm"

[widget]
"#
    )
}

fn clock() -> Arc<ManualClock> {
    ManualClock::new("2026-12-08T15:00:00Z".parse().unwrap())
}

/// A widget session: (conversation id, token).
async fn session(h: &TestHost, widget: &str) -> (u16, Option<(String, String)>) {
    let (status, body) = h
        .call("POST", "/v1/widget/sessions", Some(widget), None)
        .await;
    let s = body["conversation_id"].as_str().zip(body["token"].as_str());
    (status, s.map(|(c, t)| (c.to_string(), t.to_string())))
}

/// Post a visitor's message: status, `Retry-After` and body.
async fn visitor_says(
    h: &TestHost,
    widget: &str,
    (id, token): &(String, String),
    text: &str,
) -> (u16, Option<u64>, Value) {
    let resp = h
        .http
        .post(format!("{}/v1/widget/conversations/{id}/messages", h.url))
        .bearer_auth(widget)
        .header("X-Baton-Session", token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    answer(resp).await
}

async fn answer(resp: reqwest::Response) -> (u16, Option<u64>, Value) {
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

async fn post_event(h: &TestHost, key: &str, id: &str, body: Value) -> (u16, Option<u64>, Value) {
    let resp = h
        .http
        .post(format!("{}/v1/conversations/{id}/events", h.url))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

/// The stored messages of conversation `id` with `role`, read back as a channel.
async fn stored(h: &TestHost, channel: &str, id: &str, role: &str) -> Vec<String> {
    let (status, conv) = h.get(&format!("/v1/conversations/{id}"), channel).await;
    if status == 404 {
        return Vec::new();
    }
    assert_eq!(status, 200, "{conv}");
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == role)
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

fn assert_limited(status: u16, retry: Option<u64>, body: &Value) {
    assert_eq!(status, 429, "{body}");
    assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_flood_gets_429s_and_every_accepted_message_is_stored() {
    let clock = clock();
    let h = TestHost::start_on_clock(
        &[("flood", &tenant("Flood", "widget_messages_per_minute = 5"))],
        clock.clone(),
    )
    .await;
    let widget = h.key(Some("flood"), KeyRole::Widget, None).await;
    let channel = h.channel("flood").await;
    let (status, s) = session(&h, &widget).await;
    assert_eq!(status, 201);
    let s = s.unwrap();
    let mut accepted = Vec::new();
    let mut refused = 0;
    for n in 0..12 {
        let text = format!("flood message {n}");
        let (status, retry, body) = visitor_says(&h, &widget, &s, &text).await;
        match status {
            201 => accepted.push(text),
            _ => {
                assert_limited(status, retry, &body);
                refused += 1;
            }
        }
    }
    // A burst of the quota, then 429s: the clock did not move, so nothing refilled.
    assert_eq!((accepted.len(), refused), (5, 7));
    assert_eq!(stored(&h, &channel, &s.0, "customer").await, accepted);

    // Another session of the same visitor address has its own quota.
    let (_, other) = session(&h, &widget).await;
    let (status, _, body) = visitor_says(&h, &widget, &other.unwrap(), "hello").await;
    assert_eq!(status, 201, "{body}");

    // After `Retry-After` seconds (12 s: one of 5 per minute), the session may send again.
    let (_, retry, _) = visitor_says(&h, &widget, &s, "still there?").await;
    clock.advance_ms(retry.unwrap() as i64 * 1000);
    let (status, _, body) = visitor_says(&h, &widget, &s, "still there?").await;
    assert_eq!(status, 201, "{body}");
    accepted.push("still there?".into());
    assert_eq!(stored(&h, &channel, &s.0, "customer").await, accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_limited_across_widget_sessions() {
    let h = TestHost::start_on_clock(
        &[("addr", &tenant("Addr", "widget_ip_requests_per_minute = 4"))],
        clock(),
    )
    .await;
    let widget = h.key(Some("addr"), KeyRole::Widget, None).await;
    let channel = h.channel("addr").await;
    let (_, a) = session(&h, &widget).await;
    let (_, b) = session(&h, &widget).await;
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(visitor_says(&h, &widget, &a, "one").await.0, 201);
    assert_eq!(visitor_says(&h, &widget, &b, "two").await.0, 201);
    // The fifth request from this address, whatever it is, waits.
    let (status, retry, body) = visitor_says(&h, &widget, &b, "three").await;
    assert_limited(status, retry, &body);
    let resp = h
        .http
        .post(format!("{}/v1/widget/sessions", h.url))
        .bearer_auth(&widget)
        .send()
        .await
        .unwrap();
    let (status, retry, body) = answer(resp).await;
    assert_limited(status, retry, &body);
    assert_eq!(stored(&h, &channel, &a.0, "customer").await, ["one"]);
    assert_eq!(stored(&h, &channel, &b.0, "customer").await, ["two"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_key_flood_gets_429s_and_every_accepted_message_is_stored() {
    let clock = clock();
    let h = TestHost::start_on_clock(
        &[("keyed", &tenant("Keyed", "messages_per_minute = 10"))],
        clock.clone(),
    )
    .await;
    let channel = h.channel("keyed").await;
    let mut accepted = Vec::new();
    let mut retry_after = None;
    for n in 0..15 {
        let id = format!("flood-{n}");
        let (status, retry, body) =
            post_event(&h, &channel, &id, json!({"role": "customer", "text": "hi"})).await;
        if status == 201 {
            accepted.push(id);
        } else {
            assert_limited(status, retry, &body);
            retry_after = retry;
        }
    }
    assert_eq!(accepted.len(), 10);
    // One of 10 per minute: a cell every 6 s.
    assert_eq!(retry_after, Some(6));
    let reader = h.channel("keyed").await;
    for n in 0..15 {
        let id = format!("flood-{n}");
        let texts = stored(&h, &reader, &id, "customer").await;
        let want: &[&str] = if accepted.contains(&id) { &["hi"] } else { &[] };
        assert_eq!(texts, want, "{id}");
    }
    // Another key of the tenant has its own quota; the limited one may post again later.
    let (status, _, body) = post_event(
        &h,
        &reader,
        "other-key",
        json!({"role": "customer", "text": "hi"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    clock.advance_ms(6_000);
    let (status, _, body) = post_event(
        &h,
        &channel,
        "later",
        json!({"role": "customer", "text": "hi"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_message_is_refused_naming_the_field_and_nothing_is_stored() {
    let h = TestHost::start(&[("short", &tenant("Short", "max_message_bytes = 100"))]).await;
    let channel = h.channel("short").await;
    let widget = h.key(Some("short"), KeyRole::Widget, None).await;
    let long = "x".repeat(101);
    let (status, _, body) = post_event(
        &h,
        &channel,
        "long-1",
        json!({"role": "customer", "text": long}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "text", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("100"),
        "{body}"
    );
    assert_eq!(h.get("/v1/conversations/long-1", &channel).await.0, 404);
    // At the limit: stored whole.
    let full = "y".repeat(100);
    let (status, _, body) = post_event(
        &h,
        &channel,
        "long-1",
        json!({"role": "customer", "text": full}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(stored(&h, &channel, "long-1", "customer").await, [full]);
    // The widget: refused the same way, the session's conversation untouched.
    let (_, s) = session(&h, &widget).await;
    let s = s.unwrap();
    let (status, _, body) = visitor_says(&h, &widget, &s, &long).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "text", "{body}");
    assert!(stored(&h, &channel, &s.0, "customer").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_conversation_takes_no_more_and_keeps_what_it_has() {
    let h = TestHost::start(&[("cap", &tenant("Cap", "max_conversation_messages = 10"))]).await;
    let channel = h.channel("cap").await;
    for n in 0..10 {
        let (status, _, body) = post_event(
            &h,
            &channel,
            "capped",
            json!({"role": "bot", "text": format!("bot {n}")}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for role in ["customer", "bot"] {
        let (status, _, body) = post_event(
            &h,
            &channel,
            "capped",
            json!({"role": role, "text": "one more"}),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["field"], "id", "{body}");
    }
    let (_, conv) = h.get("/v1/conversations/capped", &channel).await;
    assert_eq!(conv["conversation"]["message_count"], 10, "{conv}");
    let texts = stored(&h, &channel, "capped", "bot").await;
    let want: Vec<String> = (0..10).map(|n| format!("bot {n}")).collect();
    assert_eq!(texts, want);
}

/// The chaos plugin's `count` report of the last decision: (messages, bytes, first text).
fn counted(decision: &Value) -> (usize, usize, String) {
    assert!(decision["fault"].is_null(), "{decision}");
    let e = decision["explanation"].as_str().unwrap();
    let field = |k: &str| {
        e.split(' ')
            .find_map(|w| w.strip_prefix(k))
            .unwrap_or_default()
            .to_string()
    };
    (
        field("messages=").parse().unwrap(),
        field("bytes=").parse().unwrap(),
        field("first="),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_sees_only_the_window_and_the_store_keeps_everything() {
    let h = TestHost::start(&[
        ("few", &tenant("Few", "policy_window_messages = 20")),
        ("small", &tenant("Small", "policy_window_bytes = 10000")),
    ])
    .await;
    for (t, size, want_messages, want_first) in [
        // 200 short messages: the last 20.
        ("few", 10, 20, "m179"),
        // 2 KB messages: as many of the newest as fit in 10,000 bytes.
        ("small", 2000, 4, "m195"),
    ] {
        let channel = h.channel(t).await;
        let mut last = Value::Null;
        for n in 0..200 {
            let role = if n % 2 == 0 { "customer" } else { "bot" };
            let text = format!("m{n:03}{}", ".".repeat(size));
            let (status, _, body) =
                post_event(&h, &channel, "long", json!({"role": role, "text": text})).await;
            assert_eq!(status, 201, "{body}");
            if role == "customer" {
                last = body["decision"].clone();
            }
        }
        // The last customer message was m198: the window ends there.
        let (messages, bytes, first) = counted(&last);
        assert_eq!(messages, want_messages, "{t}: {last}");
        assert!(first.starts_with(want_first), "{t}: {last}");
        assert_eq!(bytes, want_messages * (size + 4), "{t}: {last}");
        let (_, conv) = h.get("/v1/conversations/long", &channel).await;
        assert_eq!(conv["messages"].as_array().unwrap().len(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_conversation_still_gets_a_decision_from_the_stock_trigger() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let filler = "the pipes are fine today. ".repeat(300);
    for n in 0..199 {
        let text = format!("{n}: {filler}");
        let (status, _, body) = post_event(
            &h,
            &channel,
            "long-stock",
            json!({"role": "bot", "text": text}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _, body) = post_event(
        &h,
        &channel,
        "long-stock",
        json!({"role": "customer", "text": "my water heater is leaking a little"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let decision = &body["decision"];
    assert!(decision.is_object(), "{body}");
    assert!(decision["fault"].is_null(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcript_pages_from_the_newest() {
    let h = TestHost::start(&[("pages", &tenant("Pages", ""))]).await;
    let channel = h.channel("pages").await;
    for n in 0..25 {
        let (status, _, body) = post_event(
            &h,
            &channel,
            "paged",
            json!({"role": "bot", "text": format!("b{n}")}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let seqs = |v: &Value| -> Vec<i64> {
        v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect()
    };
    let (_, all) = h.get("/v1/conversations/paged", &channel).await;
    assert_eq!(seqs(&all), (0..25).collect::<Vec<_>>());
    assert_eq!(all["older"], false);
    let (_, page) = h.get("/v1/conversations/paged?limit=10", &channel).await;
    assert_eq!(seqs(&page), (15..25).collect::<Vec<_>>());
    assert_eq!(page["older"], true);
    let (_, page) = h
        .get("/v1/conversations/paged?limit=10&before=15", &channel)
        .await;
    assert_eq!(seqs(&page), (5..15).collect::<Vec<_>>());
    assert_eq!(page["older"], true);
    let (_, page) = h
        .get("/v1/conversations/paged?limit=10&before=5", &channel)
        .await;
    assert_eq!(seqs(&page), (0..5).collect::<Vec<_>>());
    assert_eq!(page["older"], false);
    for bad in ["limit=0", "limit=1001", "limit=x"] {
        let (status, body) = h
            .get(&format!("/v1/conversations/paged?{bad}"), &channel)
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["error"]["field"], "limit", "{bad}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_reads_a_long_conversation_as_its_last_page_and_pages_back() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    for n in 0..149 {
        let text = match n {
            0 => "I'll book you in for Tuesday at 9".to_string(),
            n => format!("note {n} from the bot about the visit"),
        };
        let (status, _, body) = post_event(
            &h,
            &channel,
            "long-read",
            json!({"role": "bot", "text": text}),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let opened = h
        .customer_says(&channel, "long-read", "can I talk to a real person please")
        .await;
    let id = opened["handoff"]["id"].as_str().expect("a handoff opened");
    // The packet carries the last 100 messages (the notice after the escalation among
    // them), says older ones exist, and names the escalating message wherever it is.
    let (status, packet) = h.get(&format!("/v1/handoffs/{id}"), &sam).await;
    assert_eq!(status, 200, "{packet}");
    let transcript = packet["transcript"].as_array().unwrap();
    assert_eq!(transcript.len(), 100, "{}", transcript.len());
    let first = transcript[0]["seq"].as_i64().unwrap();
    let last = transcript[99]["seq"].as_i64().unwrap();
    assert_eq!(last - first, 99);
    assert_eq!(packet["transcript_older"], true);
    assert_eq!(packet["trigger"]["seq"], 149, "{}", packet["trigger"]);
    assert!(packet["trigger"]["text"]
        .as_str()
        .unwrap()
        .contains("real person"));
    // The brief still reads the whole conversation: the bot's promise in its first message,
    // long before the packet's page.
    assert!(first > 0);
    let assessment = packet["brief"]["assessment"].to_string();
    assert!(
        assessment.contains("I'll book you in for Tuesday"),
        "{assessment}"
    );
    // The inbox pages back from the packet's first message to the start.
    let (status, page) = h
        .get(
            &format!("/v1/conversations/long-read?limit=100&before={first}"),
            &sam,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let seqs: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (0..first).collect::<Vec<_>>());
    assert_eq!(page["older"], false);
}
