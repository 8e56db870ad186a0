//! Every offer is the routing policy's: a queued handoff is promoted only to an agent the
//! tenant's router returns for it, and a declined offer is routed again with the roster as
//! it is now, not as it was when the handoff opened (issue 17, items 2 and 3).

use crate::host::TestHost;
use crate::lifecycle::always_open_tenant;
use serde_json::{json, Value};

async fn handoff(h: &TestHost, key: &str, id: &str) -> Value {
    let (s, p) = h.get(&format!("/v1/handoffs/{id}"), key).await;
    assert_eq!(s, 200, "{p}");
    p["handoff"].clone()
}

async fn presence(h: &TestHost, key: &str, agent: &str, presence: &str) {
    let (s, p) = h
        .call(
            "PUT",
            &format!("/v1/agents/{agent}/presence"),
            Some(key),
            Some(json!({ "presence": presence })),
        )
        .await;
    assert_eq!(s, 200, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_billing_dispute_is_promoted_only_to_someone_the_router_returns() {
    let tenant = "route-plumbing";
    let h = TestHost::start(&[(tenant, &always_open_tenant())]).await;
    let channel = h.channel(tenant).await;
    let sam = h.agent(tenant, "sam").await;
    let jo = h.agent(tenant, "jo").await;
    // Everyone is offline: the dispute waits in the office queue.
    let opened = h
        .customer_says(
            &channel,
            "bill-1",
            "WHY AM I STILL BEING CHARGED. I CANCELLED IN JANUARY. I want my money back.",
        )
        .await;
    let d = &opened["decision"];
    assert_eq!(d["escalate"], true, "{opened}");
    assert_eq!(d["reason"], "billing_dispute", "{opened}");
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    assert_eq!(opened["handoff"]["state"], "queued", "{opened}");
    assert_eq!(opened["handoff"]["queue"], "office", "{opened}");

    // Sam has room but no billing skill: the skills router never returns him for it.
    presence(&h, &sam, "sam", "available").await;
    for _ in 0..3 {
        h.host.desk.promote(tenant).await.unwrap();
    }
    let waiting = handoff(&h, &sam, &id).await;
    assert_eq!(
        waiting["state"], "queued",
        "offered to someone the router did not return: {waiting}"
    );
    assert!(waiting["offered_to"].is_null(), "{waiting}");

    // Jo handles billing: the next round offers it to her.
    presence(&h, &jo, "jo", "available").await;
    h.host.desk.promote(tenant).await.unwrap();
    let offered = handoff(&h, &jo, &id).await;
    assert_eq!(offered["state"], "offered", "{offered}");
    assert_eq!(offered["offered_to"], "jo", "{offered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_offer_is_routed_again_with_the_roster_as_it_is_now() {
    let tenant = "reroute-plumbing";
    let h = TestHost::start(&[(tenant, &always_open_tenant())]).await;
    let channel = h.channel(tenant).await;
    let keys = [
        ("sam", h.agent(tenant, "sam").await),
        ("jo", h.agent(tenant, "jo").await),
        ("lee", h.agent(tenant, "lee").await),
    ];
    let key = |who: &str| keys.iter().find(|(a, _)| *a == who).unwrap().1.clone();
    presence(&h, &key("sam"), "sam", "available").await;
    presence(&h, &key("jo"), "jo", "available").await;
    let opened = h
        .customer_says(
            &channel,
            "drain-1",
            "can I please talk to a real person about my drain",
        )
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let first = opened["handoff"]["offered_to"]
        .as_str()
        .unwrap()
        .to_string();
    let other = if first == "sam" { "jo" } else { "sam" };
    // Since the handoff opened, the other first-choice agent left and Lee arrived.
    presence(&h, &key(other), other, "offline").await;
    presence(&h, &key("lee"), "lee", "available").await;

    let (s, declined) = h
        .post(
            &format!("/v1/handoffs/{id}/decline"),
            &key(&first),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{declined}");
    assert_eq!(declined["state"], "offered", "{declined}");
    assert_eq!(
        declined["offered_to"], "lee",
        "a stale route list offered someone who left: {declined}"
    );
}
