//! Tenant isolation and roles: every endpoint with no key, a revoked key, another tenant's
//! key and each wrong role answers 401, 404 or 403, and never another tenant's data.

use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};

struct Endpoint {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Roles allowed on it.
    roles: &'static [KeyRole],
    /// Whether it names one of acme's resources (another tenant gets 404).
    resource: bool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_refuses_the_wrong_caller() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(
            &channel,
            "secret-conv",
            "let me talk to a person, my code is 4417",
        )
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();

    let other_channel = h.channel("comfort-hvac").await;
    let other_agent = h.agent("comfort-hvac", "maria").await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let revoked = h.agent("acme-plumbing", "jo").await;
    let revoked_id = revoked.split('_').nth(1).unwrap().to_string();
    assert!(h.host.desk.store().revoke_key(&revoked_id).await.unwrap());

    use KeyRole::*;
    let endpoints = vec![
        Endpoint {
            method: "GET",
            path: "/v1/conversations/secret-conv".into(),
            body: None,
            roles: &[Channel, Agent],
            resource: true,
        },
        Endpoint {
            method: "GET",
            path: "/v1/handoffs".into(),
            body: None,
            roles: &[Agent, Channel],
            resource: false,
        },
        Endpoint {
            method: "GET",
            path: format!("/v1/handoffs/{id}"),
            body: None,
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "POST",
            path: format!("/v1/handoffs/{id}/accept"),
            body: None,
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "POST",
            path: format!("/v1/handoffs/{id}/decline"),
            body: None,
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "POST",
            path: format!("/v1/handoffs/{id}/messages"),
            body: Some(json!({"text": "hi"})),
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "POST",
            path: format!("/v1/handoffs/{id}/resolve"),
            body: Some(json!({"outcome": "resolved"})),
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "POST",
            path: format!("/v1/handoffs/{id}/handback"),
            body: Some(json!({})),
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "PUT",
            path: "/v1/agents/sam/presence".into(),
            body: Some(json!({"presence": "busy"})),
            roles: &[Agent],
            resource: true,
        },
        Endpoint {
            method: "GET",
            path: "/v1/admin/tenants".into(),
            body: None,
            roles: &[Operator],
            resource: false,
        },
        // Last: another tenant posting to the same conversation id makes its own conversation.
        Endpoint {
            method: "POST",
            path: "/v1/conversations/secret-conv/events".into(),
            body: Some(json!({"role": "customer", "text": "hi"})),
            roles: &[Channel],
            resource: false,
        },
    ];

    for e in &endpoints {
        let what = format!("{} {}", e.method, e.path);
        // No key, a malformed one, a revoked one.
        assert_eq!(
            h.call(e.method, &e.path, None, e.body.clone()).await.0,
            401,
            "{what} without a key"
        );
        assert_eq!(
            h.call(e.method, &e.path, Some("bk_forged_000"), e.body.clone())
                .await
                .0,
            401,
            "{what} with a forged key"
        );
        assert_eq!(
            h.call(e.method, &e.path, Some(&revoked), e.body.clone())
                .await
                .0,
            401,
            "{what} with a revoked key"
        );
        // Each wrong role.
        for (role, key) in [(Channel, &channel), (Agent, &sam), (Operator, &operator)] {
            if !e.roles.contains(&role) {
                let (s, body) = h.call(e.method, &e.path, Some(key), e.body.clone()).await;
                assert_eq!(s, 403, "{what} with a {role:?} key: {body}");
                assert!(!body.to_string().contains("4417"), "{what} leaked data");
            }
        }
        // Another tenant's key of an allowed role: never acme's data.
        for (role, key) in [(Channel, &other_channel), (Agent, &other_agent)] {
            if !e.roles.contains(&role) {
                continue;
            }
            let (s, body) = h.call(e.method, &e.path, Some(key), e.body.clone()).await;
            assert!(
                !body.to_string().contains("4417"),
                "{what} with another tenant's key leaked: {body}"
            );
            assert!(
                !body.to_string().contains(&id),
                "{what} with another tenant's key leaked the handoff: {body}"
            );
            if e.resource {
                assert_eq!(s, 404, "{what} with another tenant's {role:?} key: {body}");
            }
        }
    }
    // Acme's data is intact and only acme sees it.
    let (s, conv) = h.get("/v1/conversations/secret-conv", &channel).await;
    assert_eq!(s, 200);
    assert!(conv.to_string().contains("4417"));
    let (_, theirs) = h.get("/v1/conversations/secret-conv", &other_channel).await;
    assert!(
        !theirs.to_string().contains("4417"),
        "the other tenant's conversation of the same id is its own"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_can_only_set_their_own_presence() {
    let h = TestHost::start(&[]).await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let (s, e) = h
        .call(
            "PUT",
            "/v1/agents/jo/presence",
            Some(&sam),
            Some(json!({"presence": "offline"})),
        )
        .await;
    assert_eq!(s, 403, "{e}");
}
