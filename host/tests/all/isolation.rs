//! Tenant isolation and roles: every operation of `/openapi.json` with no key, a forged key,
//! a revoked key, another tenant's key and each wrong role answers 401, 403 or 404 (a status
//! it documents), and never another tenant's data. The list of operations is checked against
//! the document, so a new endpoint cannot be left out, and where the document names an
//! operation's roles (its `security` scopes) they are the matrix's.

use crate::contract::documented;
use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// Who may call an operation.
enum Access {
    /// Anyone (liveness).
    Public,
    /// Keys of these roles.
    Roles(&'static [KeyRole]),
    /// Twilio's signature, never a key.
    Twilio,
    /// A one-time accept link's token in the path, never a key.
    Link,
}

struct Endpoint {
    method: &'static str,
    /// The documented path template.
    template: &'static str,
    /// The path called: acme's resources.
    path: String,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
    access: Access,
    /// Whether it names one of acme's resources (another tenant gets 403 or 404).
    resource: bool,
}

/// Status and body of a call, reading at most a moment of an event stream.
async fn probe(h: &TestHost, e: &Endpoint, key: Option<&str>) -> (u16, String) {
    let mut req = h
        .http
        .request(e.method.parse().unwrap(), format!("{}{}", h.url, e.path));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    for (k, v) in &e.headers {
        req = req.header(*k, v);
    }
    if let Some(b) = &e.body {
        req = req.json(b);
    }
    let mut resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = resp.chunk().await {
            body.extend_from_slice(&chunk);
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(400), read).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The roles an operation's `security` names (its bearer scopes); empty when it names none.
fn documented_roles(doc: &Value, method: &str, template: &str) -> BTreeSet<String> {
    doc["paths"][template][method.to_lowercase()]["security"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|req| req["bearer"].as_array())
        .flatten()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_refuses_the_wrong_caller() {
    let h = TestHost::start(&[]).await;
    let doc = crate::contract::openapi(&h).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(
            &channel,
            "secret-conv",
            "let me talk to a person, my code is 4417",
        )
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    // A widget session of acme's, with a message of its own.
    let (s, session) = h
        .call("POST", "/v1/widget/sessions", Some(&widget), None)
        .await;
    assert_eq!(s, 201, "{session}");
    let web = session["conversation_id"].as_str().unwrap().to_string();
    let token = session["token"].as_str().unwrap().to_string();
    let mut req = h
        .http
        .post(format!("{}/v1/widget/conversations/{web}/messages", h.url))
        .bearer_auth(&widget)
        .header("x-baton-session", &token)
        .json(&json!({"text": "my gate code is 4417"}));
    req = req.timeout(Duration::from_secs(30));
    assert_eq!(req.send().await.unwrap().status(), 201);

    let other_channel = h.channel("comfort-hvac").await;
    let other_agent = h.agent("comfort-hvac", "maria").await;
    let other_widget = h.key(Some("comfort-hvac"), KeyRole::Widget, None).await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let manager = h.key(Some("acme-plumbing"), KeyRole::Manager, None).await;
    let other_manager = h.key(Some("comfort-hvac"), KeyRole::Manager, None).await;
    // An agent key of acme's that the key endpoints aim at: no wrong caller may revoke it.
    let victim = h.agent("acme-plumbing", "lee").await;
    let victim_id = victim.split('_').nth(1).unwrap().to_string();
    let revoked = h.agent("acme-plumbing", "jo").await;
    let revoked_id = revoked.split('_').nth(1).unwrap().to_string();
    assert!(h
        .host
        .desk
        .store()
        .revoke_key(&revoked_id, 0)
        .await
        .unwrap());

    use KeyRole::*;
    let session = vec![("x-baton-session", token.clone())];
    let ep = |method, template, path: String, body, access, resource| Endpoint {
        method,
        template,
        path,
        body,
        headers: vec![],
        access,
        resource,
    };
    let endpoints = vec![
        ep(
            "GET",
            "/healthz",
            "/healthz".into(),
            None,
            Access::Public,
            false,
        ),
        ep(
            "GET",
            "/v1/conversations/{id}",
            "/v1/conversations/secret-conv".into(),
            None,
            Access::Roles(&[Channel, Agent]),
            true,
        ),
        ep(
            "GET",
            "/v1/handoffs",
            "/v1/handoffs".into(),
            None,
            Access::Roles(&[Agent, Channel, Manager]),
            false,
        ),
        ep(
            "GET",
            "/v1/handoffs/{id}",
            format!("/v1/handoffs/{id}"),
            None,
            Access::Roles(&[Agent, Manager]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/accept",
            format!("/v1/handoffs/{id}/accept"),
            None,
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/decline",
            format!("/v1/handoffs/{id}/decline"),
            None,
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/messages",
            format!("/v1/handoffs/{id}/messages"),
            Some(json!({"text": "hi"})),
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/resolve",
            format!("/v1/handoffs/{id}/resolve"),
            Some(json!({"outcome": "resolved"})),
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/handback",
            format!("/v1/handoffs/{id}/handback"),
            Some(json!({})),
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "POST",
            "/v1/handoffs/{id}/abandon",
            format!("/v1/handoffs/{id}/abandon"),
            Some(json!({"reason": "customer left"})),
            Access::Roles(&[Channel, Agent]),
            true,
        ),
        ep(
            "PUT",
            "/v1/agents/{id}/presence",
            "/v1/agents/sam/presence".into(),
            Some(json!({"presence": "busy"})),
            Access::Roles(&[Agent]),
            true,
        ),
        ep(
            "GET",
            "/v1/me",
            "/v1/me".into(),
            None,
            Access::Roles(&[Channel, Agent, Operator, Widget, Manager]),
            false,
        ),
        ep(
            "GET",
            "/v1/events",
            "/v1/events?after=0".into(),
            None,
            Access::Roles(&[Agent, Channel]),
            false,
        ),
        ep(
            "GET",
            "/v1/report",
            "/v1/report".into(),
            None,
            Access::Roles(&[Agent, Manager]),
            false,
        ),
        ep(
            "GET",
            "/v1/report/html",
            "/v1/report/html".into(),
            None,
            Access::Roles(&[Agent, Manager]),
            false,
        ),
        ep(
            "POST",
            "/v1/admin/keys",
            "/v1/admin/keys".into(),
            Some(json!({"tenant": "acme-plumbing", "role": "channel"})),
            Access::Roles(&[Operator]),
            false,
        ),
        ep(
            "GET",
            "/v1/admin/keys",
            "/v1/admin/keys?tenant=acme-plumbing".into(),
            None,
            Access::Roles(&[Operator]),
            false,
        ),
        ep(
            "DELETE",
            "/v1/admin/keys/{id}",
            format!("/v1/admin/keys/{victim_id}"),
            None,
            Access::Roles(&[Operator]),
            true,
        ),
        ep(
            "POST",
            "/v1/keys",
            "/v1/keys".into(),
            Some(json!({"agent_id": "sam"})),
            Access::Roles(&[Manager]),
            false,
        ),
        ep(
            "GET",
            "/v1/keys",
            "/v1/keys".into(),
            None,
            Access::Roles(&[Manager]),
            false,
        ),
        ep(
            "DELETE",
            "/v1/keys/{id}",
            format!("/v1/keys/{victim_id}"),
            None,
            Access::Roles(&[Manager]),
            true,
        ),
        ep(
            "GET",
            "/v1/admin/tenants",
            "/v1/admin/tenants".into(),
            None,
            Access::Roles(&[Operator]),
            false,
        ),
        ep(
            "GET",
            "/metrics",
            "/metrics".into(),
            None,
            Access::Roles(&[Operator]),
            false,
        ),
        ep(
            "POST",
            "/v1/widget/sessions",
            "/v1/widget/sessions".into(),
            None,
            Access::Roles(&[Widget]),
            false,
        ),
        Endpoint {
            headers: session.clone(),
            ..ep(
                "POST",
                "/v1/widget/conversations/{id}/messages",
                format!("/v1/widget/conversations/{web}/messages"),
                Some(json!({"text": "hi"})),
                Access::Roles(&[Widget]),
                true,
            )
        },
        Endpoint {
            headers: session.clone(),
            ..ep(
                "POST",
                "/v1/widget/conversations/{id}/leave",
                format!("/v1/widget/conversations/{web}/leave"),
                None,
                Access::Roles(&[Widget]),
                true,
            )
        },
        Endpoint {
            headers: session.clone(),
            ..ep(
                "GET",
                "/v1/widget/conversations/{id}/stream",
                format!("/v1/widget/conversations/{web}/stream"),
                None,
                Access::Roles(&[Widget]),
                true,
            )
        },
        ep(
            "GET",
            "/v1/accept-links/{token}",
            format!("/v1/accept-links/al.acme-plumbing.{}", "0".repeat(64)),
            None,
            Access::Link,
            true,
        ),
        ep(
            "POST",
            "/v1/accept-links/{token}/accept",
            format!(
                "/v1/accept-links/al.acme-plumbing.{}/accept",
                "0".repeat(64)
            ),
            None,
            Access::Link,
            true,
        ),
        ep(
            "POST",
            "/v1/sms/twilio/{tenant}",
            "/v1/sms/twilio/acme-plumbing".into(),
            None,
            Access::Twilio,
            false,
        ),
        // Last: another tenant posting to the same conversation id makes its own conversation.
        ep(
            "POST",
            "/v1/conversations/{id}/events",
            "/v1/conversations/secret-conv/events".into(),
            Some(json!({"role": "customer", "text": "hi"})),
            Access::Roles(&[Channel]),
            false,
        ),
    ];

    // The matrix covers every documented operation.
    let listed: BTreeSet<String> = endpoints
        .iter()
        .map(|e| format!("{} {}", e.method, e.template))
        .collect();
    let mut documented_ops = BTreeSet::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented_ops.insert(format!("{} {template}", method.to_uppercase()));
        }
    }
    assert_eq!(
        listed, documented_ops,
        "the isolation matrix and /openapi.json list different operations"
    );
    for e in &endpoints {
        if let Access::Roles(roles) = e.access {
            let named = documented_roles(&doc, e.method, e.template);
            let matrix: BTreeSet<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
            assert!(
                named.is_empty() || named == matrix,
                "{} {} names roles {named:?} in /openapi.json, the matrix {matrix:?}",
                e.method,
                e.template
            );
        }
    }

    let secrets = ["4417", id.as_str(), web.as_str(), token.as_str()];
    let leaks = |body: &str| secrets.iter().find(|s| body.contains(*s)).copied();
    let keys = [
        (Channel, &channel),
        (Agent, &sam),
        (Operator, &operator),
        (Widget, &widget),
        (Manager, &manager),
    ];
    for e in &endpoints {
        let what = format!("{} {}", e.method, e.path);
        let check = |s: u16, body: &str, who: &str| {
            assert!(
                documented(&doc, e.method, e.template, s),
                "{what} with {who} answered {s}, which it does not document: {body}"
            );
            if let Some(secret) = leaks(body) {
                panic!("{what} with {who} leaked `{secret}`: {body}");
            }
        };
        match e.access {
            Access::Public => {
                let (s, body) = probe(&h, e, None).await;
                assert_eq!(s, 200, "{what}");
                check(s, &body, "no key");
            }
            Access::Twilio => {
                // Keys mean nothing here and acme has no SMS bridge: 404 for everyone,
                // signed or not (forged signatures: channels.rs).
                for (who, key) in [("no key", None), ("an agent key", Some(sam.as_str()))] {
                    let (s, body) = probe(&h, e, key).await;
                    assert_eq!(s, 404, "{what} with {who}: {body}");
                    check(s, &body, who);
                }
            }
            Access::Link => {
                // Keys mean nothing here: a token nobody was sent is unknown to everyone
                // (real links, used, expired and forged: after_hours.rs).
                for (who, key) in [("no key", None), ("an agent key", Some(sam.as_str()))] {
                    let (s, body) = probe(&h, e, key).await;
                    assert_eq!(s, 404, "{what} with {who}: {body}");
                    check(s, &body, who);
                }
            }
            Access::Roles(roles) => {
                for (who, key) in [
                    ("no key", None),
                    ("a forged key", Some("bk_forged_000")),
                    ("a revoked key", Some(revoked.as_str())),
                ] {
                    let (s, body) = probe(&h, e, key).await;
                    assert_eq!(s, 401, "{what} with {who}: {body}");
                    check(s, &body, who);
                }
                for (role, key) in keys {
                    if !roles.contains(&role) {
                        let (s, body) = probe(&h, e, Some(key)).await;
                        assert_eq!(s, 403, "{what} with a {role:?} key: {body}");
                        check(s, &body, &format!("a {role:?} key"));
                    }
                }
                // Another tenant's key of an allowed role: never acme's data.
                for (role, key) in [
                    (Channel, &other_channel),
                    (Agent, &other_agent),
                    (Widget, &other_widget),
                    (Manager, &other_manager),
                ] {
                    if !roles.contains(&role) {
                        continue;
                    }
                    let (s, body) = probe(&h, e, Some(key)).await;
                    check(s, &body, &format!("another tenant's {role:?} key"));
                    if e.resource {
                        assert!(
                            s == 404 || s == 403,
                            "{what} with another tenant's {role:?} key: {s} {body}"
                        );
                    }
                }
            }
        }
    }
    // No wrong caller revoked acme's key.
    let (s, _) = h.get("/v1/handoffs", &victim).await;
    assert_eq!(
        s, 200,
        "a key endpoint let a wrong caller revoke acme's key"
    );
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
