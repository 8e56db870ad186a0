//! Keys by API and the manager role, on the real server and store: an operator creates,
//! lists and revokes a tenant's keys; a key expires on the test clock (no sleeping) and a
//! revoked or expired key answers 401 saying which; a manager reads every handoff, the
//! report and its HTML page (the page `baton report --html` writes), manages its own
//! agents' keys, and cannot accept, make an operator key or touch another tenant. Runs on
//! whichever store the hosts use (`BATON_TEST_STORE=postgres` in scripts/test).

use crate::host::TestHost;
use baton::clock::{Clock, ManualClock};
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::process::Command;

const ACME: &str = "acme-plumbing";

fn baton(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_LOG", "warn")
        .output()
        .expect("run baton")
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("")
}

fn field(body: &Value) -> &str {
    body["error"]["field"].as_str().unwrap_or("")
}

fn id_of(secret: &str) -> String {
    secret.split('_').nth(1).unwrap().to_string()
}

/// Make a key through `POST /v1/admin/keys`; returns (id, secret).
async fn made(h: &TestHost, operator: &str, body: Value) -> (String, String) {
    let (s, key) = h.post("/v1/admin/keys", operator, body).await;
    assert_eq!(s, 201, "{key}");
    assert_eq!(key["state"], "live", "{key}");
    (
        key["id"].as_str().unwrap().to_string(),
        key["secret"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_lists_and_revokes_keys_and_they_expire() {
    let clock = ManualClock::new(jiff::Timestamp::now());
    let h = TestHost::start_on_clock(&[], clock.clone()).await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let now = clock.now_ms();
    let (s, key) = h
        .post(
            "/v1/admin/keys",
            &operator,
            json!({"tenant": ACME, "role": "agent", "agent_id": "sam", "expires_in_secs": 3600}),
        )
        .await;
    assert_eq!(s, 201, "{key}");
    assert_eq!(
        (&key["tenant"], &key["role"], &key["agent_id"]),
        (&json!(ACME), &json!("agent"), &json!("sam"))
    );
    assert_eq!(key["expires_ms"], json!(now + 3_600_000));
    let (sam_id, sam) = (
        key["id"].as_str().unwrap().to_string(),
        key["secret"].as_str().unwrap().to_string(),
    );
    // It works at once, as sam of acme.
    let (s, me) = h.get("/v1/me", &sam).await;
    assert_eq!((s, &me["agent_id"]), (200, &json!("sam")), "{me}");
    // Listed, never with its secret or hash.
    let (s, list) = h
        .get(&format!("/v1/admin/keys?tenant={ACME}"), &operator)
        .await;
    assert_eq!(s, 200, "{list}");
    let text = list.to_string();
    assert!(text.contains(&sam_id) && !text.contains(&sam), "{text}");
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["tenant"] == ACME && k.get("hash").is_none() && k.get("secret").is_none()));

    // It expires on the clock: a moment before, it works; at its expiry, 401 key_expired.
    clock.advance_ms(3_600_000 - 1);
    assert_eq!(h.get("/v1/me", &sam).await.0, 200);
    clock.advance_ms(1);
    let (s, e) = h.get("/v1/handoffs", &sam).await;
    assert_eq!((s, code(&e)), (401, "key_expired"), "{e}");
    let (_, list) = h
        .get(&format!("/v1/admin/keys?tenant={ACME}"), &operator)
        .await;
    let listed = |list: &Value, id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(listed(&list, &sam_id)["state"], "expired");

    // A channel key, revoked: 401 key_revoked from then on; revoking it again is 404.
    let (channel_id, channel) =
        made(&h, &operator, json!({"tenant": ACME, "role": "channel"})).await;
    assert_eq!(h.get("/v1/handoffs", &channel).await.0, 200);
    let (s, gone) = h
        .call(
            "DELETE",
            &format!("/v1/admin/keys/{channel_id}"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!((s, &gone["state"]), (200, &json!("revoked")), "{gone}");
    let (s, e) = h.get("/v1/handoffs", &channel).await;
    assert_eq!((s, code(&e)), (401, "key_revoked"), "{e}");
    let (s, e) = h
        .call(
            "DELETE",
            &format!("/v1/admin/keys/{channel_id}"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!((s, code(&e)), (404, "not_found"), "{e}");
    // An expired key can still be revoked, and then says so.
    let (s, _) = h
        .call(
            "DELETE",
            &format!("/v1/admin/keys/{sam_id}"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(code(&h.get("/v1/me", &sam).await.1), "key_revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_requests_the_rules_refuse_name_their_field() {
    let h = TestHost::start(&[]).await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    for (body, want) in [
        (
            json!({"tenant": ACME, "role": "channel", "expires_in_secs": 0}),
            "expires_in_secs",
        ),
        (
            json!({"tenant": ACME, "role": "channel", "expires_in_secs": 315_360_001u64}),
            "expires_in_secs",
        ),
        (json!({"tenant": "nowhere", "role": "channel"}), "tenant"),
        (json!({"tenant": ACME, "role": "agent"}), "agent_id"),
        (
            json!({"tenant": ACME, "role": "agent", "agent_id": "nobody"}),
            "agent_id",
        ),
        (
            json!({"tenant": ACME, "role": "agent", "agent_id": "maria"}),
            "agent_id",
        ),
        (
            json!({"tenant": ACME, "role": "channel", "agent_id": "sam"}),
            "agent_id",
        ),
    ] {
        let (s, e) = h.post("/v1/admin/keys", &operator, body.clone()).await;
        assert_eq!((s, field(&e)), (422, want), "{body}: {e}");
    }
    // Operator keys are made on the host only.
    let (s, e) = h
        .post(
            "/v1/admin/keys",
            &operator,
            json!({"tenant": ACME, "role": "operator"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (_, all) = h.get("/v1/admin/keys", &operator).await;
    let operators = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["role"] == "operator")
        .count();
    assert_eq!(operators, 1, "{all}");
    // A whole number written as 5.0 is 5.
    let (s, key) = h
        .post(
            "/v1/admin/keys",
            &operator,
            json!({"tenant": ACME, "role": "widget", "expires_in_secs": 60.0}),
        )
        .await;
    assert_eq!(s, 201, "{key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_reads_everything_of_its_tenant_and_manages_only_its_agents() {
    let h = TestHost::start(&[]).await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let (_, manager) = made(&h, &operator, json!({"tenant": ACME, "role": "manager"})).await;
    let (_, other_manager) = made(
        &h,
        &operator,
        json!({"tenant": "comfort-hvac", "role": "manager"}),
    )
    .await;
    let channel = h.channel(ACME).await;
    let sam = h.agent(ACME, "sam").await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(&channel, "c-owner", "let me talk to a person please")
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();

    // Reads every handoff, and the packet of one.
    let (s, list) = h.get("/v1/handoffs", &manager).await;
    assert_eq!(s, 200, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id.as_str()),
        "{list}"
    );
    let (s, packet) = h.get(&format!("/v1/handoffs/{id}"), &manager).await;
    assert_eq!(s, 200, "{packet}");

    // The report, and its HTML page: the page `baton report --html` writes.
    let now = jiff::Timestamp::now();
    let from = (now - jiff::SignedDuration::from_hours(24)).to_string();
    let to = (now + jiff::SignedDuration::from_hours(1)).to_string();
    let (s, report) = h
        .get(&format!("/v1/report?from={from}&to={to}"), &manager)
        .await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["totals"]["conversations"], 1, "{report}");
    let resp = h
        .http
        .get(format!("{}/v1/report/html", h.url))
        .query(&[("from", &from), ("to", &to)])
        .bearer_auth(&manager)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/html"), "{kind}");
    let page = resp.text().await.unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().to_str().unwrap();
    let out = baton(&[
        "report", "--tenant", ACME, "--from", &from, "--to", &to, "--html", path, "--data", &h.data,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        page,
        std::fs::read_to_string(path).unwrap(),
        "the API's page is the CLI's"
    );

    // Never claims a handoff, never an operator's work.
    let (s, e) = h
        .post(&format!("/v1/handoffs/{id}/accept"), &manager, json!({}))
        .await;
    assert_eq!(s, 403, "{e}");
    for (method, path, body) in [
        (
            "POST",
            "/v1/admin/keys",
            Some(json!({"tenant": ACME, "role": "agent", "agent_id": "jo"})),
        ),
        ("GET", "/v1/admin/keys", None),
        ("GET", "/v1/admin/tenants", None),
    ] {
        let (s, e) = h.call(method, path, Some(&manager), body).await;
        assert_eq!(s, 403, "{method} {path}: {e}");
    }
    let (s, e) = h
        .post(
            "/v1/keys",
            &manager,
            json!({"agent_id": "jo", "role": "operator"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");

    // Makes, lists and revokes its own agents' keys.
    let (s, jo) = h
        .post(
            "/v1/keys",
            &manager,
            json!({"agent_id": "jo", "expires_in_secs": 600}),
        )
        .await;
    assert_eq!(s, 201, "{jo}");
    assert_eq!(
        (&jo["role"], &jo["tenant"]),
        (&json!("agent"), &json!(ACME))
    );
    let (jo_id, jo) = (
        jo["id"].as_str().unwrap().to_string(),
        jo["secret"].as_str().unwrap().to_string(),
    );
    assert_eq!(h.get("/v1/me", &jo).await.1["agent_id"], "jo");
    let (s, e) = h
        .post("/v1/keys", &manager, json!({"agent_id": "maria"}))
        .await;
    assert_eq!(
        (s, field(&e)),
        (422, "agent_id"),
        "another tenant's agent: {e}"
    );
    let (s, keys) = h.get("/v1/keys", &manager).await;
    assert_eq!(s, 200, "{keys}");
    let keys = keys.as_array().unwrap();
    assert!(
        keys.iter()
            .all(|k| k["role"] == "agent" && k["tenant"] == ACME),
        "{keys:?}"
    );
    let ids: Vec<&str> = keys.iter().filter_map(|k| k["id"].as_str()).collect();
    assert!(
        ids.contains(&id_of(&sam).as_str()) && ids.contains(&jo_id.as_str()),
        "{ids:?}"
    );
    assert!(!ids.contains(&id_of(&channel).as_str()));

    // Never another tenant's keys or handoffs, nor its own tenant's other keys.
    let maria = h.agent("comfort-hvac", "maria").await;
    for victim in [&maria, &channel] {
        let (s, e) = h
            .call(
                "DELETE",
                &format!("/v1/keys/{}", id_of(victim)),
                Some(&manager),
                None,
            )
            .await;
        assert_eq!(s, 404, "{e}");
    }
    assert_eq!(h.get("/v1/me", &maria).await.0, 200);
    assert_eq!(h.get("/v1/me", &channel).await.0, 200);
    let (s, _) = h.get(&format!("/v1/handoffs/{id}"), &other_manager).await;
    assert_eq!(s, 404);
    let (s, theirs) = h.get("/v1/handoffs", &other_manager).await;
    assert!(s == 200 && !theirs.to_string().contains(&id), "{theirs}");
    let (s, e) = h
        .call(
            "DELETE",
            &format!("/v1/keys/{jo_id}"),
            Some(&other_manager),
            None,
        )
        .await;
    assert_eq!(s, 404, "{e}");

    let (s, _) = h
        .call("DELETE", &format!("/v1/keys/{jo_id}"), Some(&manager), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(code(&h.get("/v1/me", &jo).await.1), "key_revoked");
}

#[test]
fn the_cli_makes_keys_that_expire_and_shares_the_rules() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let create = |extra: &[&str]| {
        let mut args = vec!["keys", "create", "--tenant", ACME, "--data", d];
        args.extend_from_slice(extra);
        baton(&args)
    };
    let out = create(&["--role", "manager", "--expires-in", "2h"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.contains("expires"), "{err}");
    let id = id_of(String::from_utf8(out.stdout).unwrap().trim());
    let list = String::from_utf8(baton(&["keys", "list", "--data", d]).stdout).unwrap();
    let line = list
        .lines()
        .find(|l| l.starts_with(&id))
        .unwrap_or_default();
    assert!(
        line.contains("manager") && line.contains("live") && !line.contains("never"),
        "{list}"
    );
    for bad in ["0", "3651d", "soon", "5w"] {
        let out = create(&["--role", "channel", "--expires-in", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("--expires-in"),
            "{bad}: {err}"
        );
    }
    // The shared rules, in the command's words.
    let out = create(&["--role", "widget", "--agent", "sam"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--agent"), "{err}");
}
