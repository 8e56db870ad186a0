//! Who may accept a handoff (issue 16 item 9): an offer only by the agent it is offered to;
//! a queued handoff by an agent signed in with room; an emergency by anyone on the roster,
//! whatever their presence. Refusals say why, as 403 (offline) or 409.

use crate::host::TestHost;
use crate::notices::patient_tenant;
use serde_json::{json, Value};

async fn accept(h: &TestHost, key: &str, id: &str) -> (u16, Value) {
    h.call(
        "POST",
        &format!("/v1/handoffs/{id}/accept"),
        Some(key),
        None,
    )
    .await
}

async fn presence(h: &TestHost, key: &str, agent: &str, body: Value) {
    let (s, p) = h
        .call(
            "PUT",
            &format!("/v1/agents/{agent}/presence"),
            Some(key),
            Some(body),
        )
        .await;
    assert_eq!(s, 200, "{p}");
}

async fn escalate(h: &TestHost, channel: &str, conversation: &str, text: &str) -> Value {
    let opened = h.customer_says(channel, conversation, text).await;
    assert_eq!(opened["decision"]["escalate"], true, "{opened}");
    opened["handoff"].clone()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_offered_agent_takes_an_offer_and_the_queue_needs_a_signed_in_agent_with_room() {
    let tenant = "rule-plumbing";
    let h = TestHost::start(&[(tenant, &patient_tenant())]).await;
    let channel = h.channel(tenant).await;
    let (sam, jo, lee) = (
        h.agent(tenant, "sam").await,
        h.agent(tenant, "jo").await,
        h.agent(tenant, "lee").await,
    );
    // Nobody is signed in: both wait in the queue.
    let a = escalate(&h, &channel, "rule-a", "can I please talk to a real person").await;
    let b = escalate(&h, &channel, "rule-b", "I want to talk to a human please").await;
    assert_eq!(a["state"], "queued", "{a}");
    assert_eq!(b["state"], "queued", "{b}");
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    // Offline, Lee cannot pick one from the queue.
    let (s, body) = accept(&h, &lee, a).await;
    assert_eq!(s, 403, "{body}");
    assert!(message(&body).contains("offline"), "{body}");

    // Jo is busy (nothing is offered to her) with room for one: she picks one, not two.
    presence(&h, &jo, "jo", json!({"presence": "busy", "capacity": 1})).await;
    let (s, body) = accept(&h, &jo, a).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["accepted_by"], "jo", "{body}");
    let (s, body) = accept(&h, &jo, b).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict", "{body}");
    assert!(message(&body).contains("no room"), "{body}");

    // Sam signs in: the queue offers him the other one. It is his: Jo (busy, full) and Lee
    // (available, with room) are refused, naming him; he takes it.
    presence(&h, &sam, "sam", json!({"presence": "available"})).await;
    presence(&h, &lee, "lee", json!({"presence": "available"})).await;
    let (_, p) = h.get(&format!("/v1/handoffs/{b}"), &sam).await;
    assert_eq!(p["handoff"]["state"], "offered", "{p}");
    let to = p["handoff"]["offered_to"].as_str().unwrap().to_string();
    let (owner, other) = if to == "sam" {
        (&sam, &lee)
    } else {
        (&lee, &sam)
    };
    let (s, body) = accept(&h, other, b).await;
    assert_eq!(s, 409, "{body}");
    assert!(
        message(&body).contains(&format!("is offered to `{to}`")),
        "{body}"
    );
    let (s, body) = accept(&h, owner, b).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["accepted_by"], to.as_str(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_on_the_roster_may_take_an_emergency() {
    let tenant = "rule-urgent-plumbing";
    let h = TestHost::start(&[(tenant, &patient_tenant())]).await;
    let channel = h.channel(tenant).await;
    let sam = h.agent(tenant, "sam").await;
    let lee = h.agent(tenant, "lee").await;
    h.available(&sam, "sam").await;
    let urgent = escalate(
        &h,
        &channel,
        "rule-gas",
        "I smell gas near the water heater, it's really strong",
    )
    .await;
    assert_eq!(urgent["priority"], "urgent", "{urgent}");
    assert_eq!(urgent["state"], "offered", "{urgent}");
    assert_eq!(urgent["offered_to"], "sam", "{urgent}");
    // Lee is offline and it is offered to Sam: an emergency is anyone's to take.
    let (s, body) = accept(&h, &lee, urgent["id"].as_str().unwrap()).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["accepted_by"], "lee", "{body}");
}
