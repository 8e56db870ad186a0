//! Abandonment through the real server: the channel says the customer left, an agent
//! clears a stale offer with a reason, and the tenant's `abandon_after_secs` closes an idle
//! handoff, on a manual clock, counted only in business hours and never for an emergency.

use super::always_open_tenant;
use crate::host::TestHost;
use baton::clock::{Clock, ManualClock};
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::sync::Arc;

/// Tuesday 2026-12-08, 09:00 in Chicago: acme is open.
const TUESDAY_9AM: &str = "2026-12-08T15:00:00Z";

fn at(s: &str) -> Arc<ManualClock> {
    ManualClock::new(s.parse().unwrap())
}

/// A tenant open around the clock whose waiting handoffs are abandoned after 10 idle minutes.
fn idle_tenant() -> String {
    always_open_tenant().replace(
        "offer_timeout_secs = 1",
        "offer_timeout_secs = 45\nabandon_after_secs = 600",
    )
}

/// Open a handoff in conversation `id` (nobody is available: it waits in the queue).
async fn open(h: &TestHost, channel: &str, id: &str, text: &str) -> String {
    let opened = h.customer_says(channel, id, text).await;
    assert_eq!(opened["decision"]["escalate"], true, "{opened}");
    opened["handoff"]["id"].as_str().unwrap().to_string()
}

async fn state(h: &TestHost, agent: &str, id: &str) -> Value {
    let (s, p) = h.get(&format!("/v1/handoffs/{id}"), agent).await;
    assert_eq!(s, 200, "{p}");
    p["handoff"].clone()
}

/// The `handoff.abandoned` events of `tenant`, oldest first.
async fn abandoned_events(h: &TestHost, tenant: &str) -> Vec<Value> {
    let events = h.host.desk.store().events_after(tenant, 0, 1000).await;
    events
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "handoff.abandoned")
        .map(|e| e.data)
        .collect()
}

async fn metrics(h: &TestHost) -> String {
    let operator = h.key(None, KeyRole::Operator, None).await;
    let resp = h
        .http
        .get(format!("{}/metrics", h.url))
        .bearer_auth(operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_leaves_is_recorded_once_and_the_conversation_is_free_again() {
    let clock = at(TUESDAY_9AM);
    let h = TestHost::start_on_clock(&[("idle-plumbing", &idle_tenant())], clock.clone()).await;
    let channel = h.channel("idle-plumbing").await;
    let sam = h.agent("idle-plumbing", "sam").await;
    let id = open(
        &h,
        &channel,
        "left-1",
        "please let me talk to a real person",
    )
    .await;
    assert_eq!(state(&h, &sam, &id).await["state"], "queued");
    clock.advance_ms(90_000);
    let path = format!("/v1/handoffs/{id}/abandon");
    let (s, first) = h
        .post(
            &path,
            &channel,
            json!({"reason": "visitor closed the chat"}),
        )
        .await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["state"], "abandoned");
    assert_eq!(first["note"], "visitor closed the chat");
    assert_eq!(first["closed_ms"], clock.now_ms());
    assert!(first["offered_to"].is_null(), "{first}");
    // Twice: the same answer, nothing new recorded, never a 5xx.
    clock.advance_ms(5_000);
    let (s, again) = h.post(&path, &channel, json!({})).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again, first);
    let events = abandoned_events(&h, "idle-plumbing").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["by"], "customer");
    assert_eq!(events[0]["reason"], "visitor closed the chat");
    assert!(metrics(&h)
        .await
        .contains("baton_handoffs_abandoned_total{tenant=\"idle-plumbing\",by=\"customer\"} 1\n"));
    // Closed: the conversation has no open handoff, and the listing finds it as abandoned.
    let (s, conversation) = h.get("/v1/conversations/left-1", &channel).await;
    assert_eq!(s, 200, "{conversation}");
    assert!(conversation["handoff"].is_null(), "{conversation}");
    let (s, listed) = h.get("/v1/handoffs?state=abandoned", &sam).await;
    assert_eq!(s, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_clears_a_stale_offer_with_a_reason_and_bad_calls_are_refused() {
    let clock = at(TUESDAY_9AM);
    let h = TestHost::start_on_clock(&[("idle-plumbing", &idle_tenant())], clock.clone()).await;
    let channel = h.channel("idle-plumbing").await;
    let sam = h.agent("idle-plumbing", "sam").await;
    let jo = h.agent("idle-plumbing", "jo").await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(&channel, "stale-1", "please let me talk to a real person")
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
    let path = format!("/v1/handoffs/{id}/abandon");
    // An agent must say why; a blank reason, an unknown field, an unknown handoff: refused.
    for (body, field) in [
        (json!({}), "reason"),
        (json!({"reason": "  "}), "reason"),
        (json!({"reason": "x".repeat(2001)}), "reason"),
        (json!({"why": "gone"}), "why"),
    ] {
        let (s, e) = h.post(&path, &jo, body).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (s, e) = h
        .post("/v1/handoffs/nope/abandon", &jo, json!({"reason": "gone"}))
        .await;
    assert_eq!(s, 404, "{e}");
    // Jo clears Sam's stale offer: closed, Sam's reservation gone.
    let (s, closed) = h
        .post(
            &path,
            &jo,
            json!({"reason": "customer called the office instead"}),
        )
        .await;
    assert_eq!(s, 200, "{closed}");
    assert_eq!(closed["state"], "abandoned");
    assert!(closed["offered_to"].is_null() && closed["offer_expires_ms"].is_null());
    assert_eq!(closed["note"], "customer called the office instead");
    let events = abandoned_events(&h, "idle-plumbing").await;
    assert_eq!(
        (&events[0]["by"], &events[0]["agent_id"]),
        (&json!("agent"), &json!("jo"))
    );
    // Sam can no longer accept it.
    let (s, e) = h
        .post(&format!("/v1/handoffs/{id}/accept"), &sam, json!({}))
        .await;
    assert_eq!(s, 409, "{e}");

    // An accepted handoff is the agent's: abandon answers 409 naming its state, and so
    // does a resolved one.
    let id = open(
        &h,
        &channel,
        "busy-1",
        "please let me talk to a real person",
    )
    .await;
    let (s, _) = h
        .post(&format!("/v1/handoffs/{id}/accept"), &sam, json!({}))
        .await;
    assert_eq!(s, 200);
    let path = format!("/v1/handoffs/{id}/abandon");
    let (s, e) = h.post(&path, &channel, json!({})).await;
    assert_eq!(s, 409, "{e}");
    assert_eq!(e["error"]["code"], "conflict");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("is accepted by `sam`"), "{message}");
    assert!(message.contains("no_response"), "{message}");
    let (s, _) = h
        .post(
            &format!("/v1/handoffs/{id}/resolve"),
            &sam,
            json!({"outcome": "booked"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, e) = h.post(&path, &jo, json!({"reason": "stale"})).await;
    assert_eq!(s, 409, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is resolved"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_abandons_a_handoff_idle_that_long_but_never_an_emergency() {
    let clock = at(TUESDAY_9AM);
    let h = TestHost::start_on_clock(&[("idle-plumbing", &idle_tenant())], clock.clone()).await;
    let channel = h.channel("idle-plumbing").await;
    let sam = h.agent("idle-plumbing", "sam").await;
    let quiet = open(
        &h,
        &channel,
        "quiet-1",
        "please let me talk to a real person",
    )
    .await;
    let urgent = open(
        &h,
        &channel,
        "flood-1",
        "water is pouring through the ceiling",
    )
    .await;
    assert_eq!(state(&h, &sam, &urgent).await["priority"], "urgent");
    // The customer writes again 5 minutes in: the idle time starts over.
    clock.advance_ms(300_000);
    let (s, _) = h
        .post(
            "/v1/conversations/quiet-1/events",
            &channel,
            json!({"role": "customer", "text": "still there?"}),
        )
        .await;
    assert_eq!(s, 201);
    // 13 minutes after opening, 8 after the last word: still waiting.
    clock.advance_ms(480_000);
    h.host.desk.abandon_idle().await.unwrap();
    assert_eq!(state(&h, &sam, &quiet).await["state"], "queued");
    // 10 minutes after the last word: abandoned by the limit; the emergency keeps waiting.
    clock.advance_ms(120_001);
    h.host.desk.abandon_idle().await.unwrap();
    let closed = state(&h, &sam, &quiet).await;
    assert_eq!(closed["state"], "abandoned", "{closed}");
    assert!(
        closed["note"]
            .as_str()
            .unwrap()
            .contains("abandon_after_secs"),
        "{closed}"
    );
    // (Sam, on call, was paged for it in hours: it is still his offer, never abandoned.)
    let waiting = state(&h, &sam, &urgent).await;
    assert!(
        waiting["state"] == "offered" || waiting["state"] == "queued",
        "{waiting}"
    );
    let events = abandoned_events(&h, "idle-plumbing").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["by"], "limit");
    assert_eq!(events[0]["idle_ms"], 600_001);
    assert!(metrics(&h)
        .await
        .contains("baton_handoffs_abandoned_total{tenant=\"idle-plumbing\",by=\"limit\"} 1\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_counts_only_business_hours() {
    // Acme opens at 07:00 in Chicago; a customer writes at 06:00 on a Tuesday.
    let tenant =
        std::fs::read_to_string(crate::support::root().join("policies/acme-plumbing.toml"))
            .unwrap()
            .replace(
                "offer_timeout_secs = 45",
                "offer_timeout_secs = 45\nabandon_after_secs = 600",
            );
    let clock = at("2026-12-08T12:00:00Z");
    let h = TestHost::start_on_clock(&[("early-plumbing", &tenant)], clock.clone()).await;
    let channel = h.channel("early-plumbing").await;
    let jo = h.agent("early-plumbing", "jo").await;
    let id = open(
        &h,
        &channel,
        "early-1",
        "please let me talk to a real person",
    )
    .await;
    let waiting = state(&h, &jo, &id).await;
    assert_eq!(
        (&waiting["state"], &waiting["after_hours"]),
        (&json!("queued"), &json!(true))
    );
    // 06:50, closed; 07:09:59, not yet ten open minutes: it keeps its place.
    for step in [50 * 60_000, 19 * 60_000 + 59_000] {
        clock.advance_ms(step);
        h.host.desk.abandon_idle().await.unwrap();
        assert_eq!(state(&h, &jo, &id).await["state"], "queued");
    }
    // 07:10: ten minutes of business hours without a word.
    clock.advance_ms(1_000);
    h.host.desk.abandon_idle().await.unwrap();
    assert_eq!(state(&h, &jo, &id).await["state"], "abandoned");
}
