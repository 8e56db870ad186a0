//! Hot reload with real files changed on disk while the server runs.

use crate::host::TestHost;
use std::path::Path;
use std::time::{Duration, Instant};

/// Wait (bounded) until `check` holds; the bound is generous: this asserts the change is
/// picked up, not how fast.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn version(h: &TestHost, tenant: &str) -> Option<String> {
    h.host.desk.tenants().get(tenant).map(|v| v.id.clone())
}

fn last_error(h: &TestHost, tenant: &str) -> Option<String> {
    h.host
        .desk
        .tenants()
        .status()
        .into_iter()
        .find(|s| s.tenant == tenant)
        .and_then(|s| s.last_error)
}

fn acme(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("acme-plumbing.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_on_disk_are_served_and_bad_ones_refused() {
    let h = TestHost::start(&[]).await;
    let dir = h.policies().to_path_buf();
    let file = dir.join("acme-plumbing.toml");
    let v1 = version(&h, "acme-plumbing").expect("serving");

    // An editor's atomic save: write a temporary file, rename it over the old one.
    let changed = acme(&dir).replace("offer_timeout_secs = 45", "offer_timeout_secs = 50");
    let tmp = dir.join(".acme-plumbing.toml.swp");
    std::fs::write(&tmp, &changed).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    eventually("the renamed file is served", || {
        version(&h, "acme-plumbing").is_some_and(|v| v != v1)
    })
    .await;
    let v2 = version(&h, "acme-plumbing").unwrap();
    assert_eq!(
        h.host
            .desk
            .tenants()
            .get("acme-plumbing")
            .unwrap()
            .config
            .limits
            .offer_timeout_secs,
        50
    );

    // A broken change in place: refused with a clear error; the last good keeps serving.
    std::fs::write(&file, changed.replace("[fallback]", "[fallbak]")).unwrap();
    eventually("the broken change is refused", || {
        last_error(&h, "acme-plumbing").is_some()
    })
    .await;
    let error = last_error(&h, "acme-plumbing").unwrap();
    assert!(
        error.contains("acme-plumbing.toml") && error.contains("fallbak"),
        "{error}"
    );
    assert_eq!(
        version(&h, "acme-plumbing").as_deref(),
        Some(v2.as_str()),
        "the last good version keeps serving"
    );
    let channel = h.channel("acme-plumbing").await;
    let answer = h.customer_says(&channel, "during-bad", "hello").await;
    assert_eq!(answer["decision"]["policy_version"], v2.as_str());

    // A plugin that is not there, and a failing self-test, are refused the same way.
    std::fs::write(
        &file,
        changed.replace("plugins/skills-router.wasm", "plugins/missing.wasm"),
    )
    .unwrap();
    eventually("a missing plugin is refused", || {
        last_error(&h, "acme-plumbing").is_some_and(|e| e.contains("missing.wasm"))
    })
    .await;
    std::fs::write(
        &file,
        changed
            .replace(
                "name = \"a routine question stays with the bot\"",
                "name = \"a routine question\"",
            )
            .replace(
                "expect = { escalate = false }",
                "expect = { escalate = true }",
            ),
    )
    .unwrap();
    eventually("a failing self-test is refused", || {
        last_error(&h, "acme-plumbing").is_some_and(|e| e.contains("self-test"))
    })
    .await;
    assert_eq!(version(&h, "acme-plumbing").as_deref(), Some(v2.as_str()));

    // The fix is served.
    let fixed = changed.replace("offer_timeout_secs = 50", "offer_timeout_secs = 55");
    std::fs::write(&file, &fixed).unwrap();
    eventually("the fix is served", || {
        version(&h, "acme-plumbing").is_some_and(|v| v != v2)
    })
    .await;
    assert!(last_error(&h, "acme-plumbing").is_none());

    // A new tenant appears; a deleted one goes.
    std::fs::write(
        dir.join("rapid-rooter.toml"),
        fixed.replace("Acme Plumbing", "Rapid Rooter"),
    )
    .unwrap();
    eventually("the new tenant serves", || {
        version(&h, "rapid-rooter").is_some()
    })
    .await;
    std::fs::remove_file(dir.join("rapid-rooter.toml")).unwrap();
    eventually("the deleted tenant is gone", || {
        !h.host
            .desk
            .tenants()
            .ids()
            .contains(&"rapid-rooter".to_string())
    })
    .await;

    // Temporary and backup files are not tenants.
    std::fs::write(dir.join("acme-plumbing.toml~"), "garbage").unwrap();
    std::fs::write(dir.join("#acme-plumbing.toml#"), "garbage").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(last_error(&h, "acme-plumbing").is_none());
    assert_eq!(h.host.desk.tenants().ids().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_whose_first_version_is_invalid_serves_nothing_and_says_why() {
    let h = TestHost::start(&[(
        "broken-co",
        "name = \"Broken Co\"\n[trigger]\nplugin = \"plugins/standard-trigger.wasm\"\n",
    )])
    .await;
    assert!(version(&h, "broken-co").is_none());
    let error = last_error(&h, "broken-co").expect("says why");
    assert!(error.contains("routing"), "{error}");
    let channel = h.channel("broken-co").await;
    let (s, e) = h
        .post(
            "/v1/conversations/x/events",
            &channel,
            serde_json::json!({"role": "customer", "text": "hi"}),
        )
        .await;
    assert_eq!(s, 503, "{e}");
    assert_eq!(e["error"]["code"], "tenant_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reload_under_load_fails_no_request_and_every_decision_names_a_real_version() {
    let h = std::sync::Arc::new(TestHost::start(&[]).await);
    let dir = h.policies().to_path_buf();
    let file = dir.join("comfort-hvac.toml");
    let original = std::fs::read_to_string(&file).unwrap();
    let channel = h.channel("comfort-hvac").await;
    let mut versions = std::collections::HashSet::from([version(&h, "comfort-hvac").unwrap()]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (h, channel, stop) = (h.clone(), channel.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let (s, body) = h
                    .post(&format!("/v1/conversations/load-{c}-{n}/events"), &channel, serde_json::json!({"role": "customer", "text": "what size filter do I need?"}))
                    .await;
                assert_eq!(s, 201, "a request failed during reloads: {body}");
                seen.push(body["decision"]["policy_version"].as_str().unwrap().to_string());
                n += 1;
            }
            seen
        }));
    }
    for i in 0..10 {
        let text = original.replace(
            "offer_timeout_secs = 60",
            &format!("offer_timeout_secs = {}", 61 + i),
        );
        let tmp = dir.join("comfort-hvac.toml.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        let before = versions.len();
        let start = Instant::now();
        while versions.len() == before && start.elapsed() < Duration::from_secs(20) {
            if let Some(v) = version(&h, "comfort-hvac") {
                versions.insert(v);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut decided = 0;
    for c in clients {
        for v in c.await.unwrap() {
            assert!(
                versions.contains(&v),
                "a decision named version {v}, which was never served"
            );
            decided += 1;
        }
    }
    assert!(
        versions.len() >= 11,
        "every reload was served: {versions:?}"
    );
    assert!(decided > 0);
}
