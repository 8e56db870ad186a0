//! A storm of reloads: a tenant's file is rewritten 100 times in 10 s, alternating between
//! valid versions and broken ones, while its channel keeps posting. No request fails, every
//! decision names a version that was valid, and after a broken change the last good version
//! is the one serving.

use crate::host::{demo_tenant, without_rate_limit, TestHost};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TENANT: &str = "comfort-hvac";
const WRITES: usize = 100;
const STORM: Duration = Duration::from_secs(10);

/// The tenant's valid versions (offer timeouts 61..=63 s) and broken ones, each broken a
/// different way: TOML syntax, an unknown table, a missing plugin, a failing self-test.
fn variants(original: &str) -> (Vec<String>, Vec<(&'static str, String)>) {
    let valid = (61..=63)
        .map(|t| {
            original.replace(
                "offer_timeout_secs = 60",
                &format!("offer_timeout_secs = {t}"),
            )
        })
        .collect();
    let broken = vec![
        ("syntax", original.replace("[fallback]", "[fallback")),
        ("unknown table", original.replace("[fallback]", "[fallbak]")),
        (
            "missing plugin",
            original.replace("plugins/skills-router.wasm", "plugins/missing.wasm"),
        ),
        (
            "failing self-test",
            original.replace(
                "expect = { escalate = false }",
                "expect = { escalate = true }",
            ),
        ),
    ];
    (valid, broken)
}

/// An editor's atomic save: write a temporary file, rename it over the tenant file (a
/// reader never sees half a file, so every version a request can meet is one of ours).
fn save(dir: &Path, text: &str) {
    let tmp = dir.join(format!(".{TENANT}.toml.swp"));
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{TENANT}.toml"))).unwrap();
}

fn active(h: &TestHost) -> Option<String> {
    h.host.desk.tenants().get(TENANT).map(|v| v.id.clone())
}

/// `(reloads, refusals)` so far.
fn counts(h: &TestHost) -> (u64, u64) {
    let status = h.host.desk.tenants().status();
    let s = status.iter().find(|s| s.tenant == TENANT).unwrap();
    (s.reloads, s.reload_failures)
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_reloads_fails_no_request_and_serves_only_valid_versions() {
    let tenant = without_rate_limit(&demo_tenant(TENANT));
    let h = Arc::new(TestHost::start(&[(TENANT, &tenant)]).await);
    let dir = h.policies().to_path_buf();
    let original = std::fs::read_to_string(dir.join(format!("{TENANT}.toml"))).unwrap();
    let (valid, broken) = variants(&original);

    // Learn each valid version's id by serving it once.
    let mut ids = vec![active(&h).expect("serving")];
    for text in &valid {
        save(&dir, text);
        let before = ids.clone();
        eventually("a valid version is served", || {
            active(&h).is_some_and(|v| !before.contains(&v))
        })
        .await;
        ids.push(active(&h).unwrap());
    }
    let valid_ids: BTreeSet<String> = ids.into_iter().collect();
    assert_eq!(valid_ids.len(), 4);

    // The channel posts throughout, from several clients.
    let channel = h.channel(TENANT).await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            let (h, channel, stop) = (h.clone(), channel.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let (status, body) = h
                        .post(
                            &format!("/v1/conversations/storm-{c}-{}/events", n / 2),
                            &channel,
                            json!({"role": "customer", "text": "what size filter do I need?"}),
                        )
                        .await;
                    assert_eq!(status, 201, "a request failed during the storm: {body}");
                    assert!(body["decision"]["fault"].is_null(), "{body}");
                    seen.push(
                        body["decision"]["policy_version"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    );
                }
                seen
            })
        })
        .collect();

    // The storm: every 100 ms a save, two valid ones then a broken one, round and round.
    let (reloads0, refusals0) = counts(&h);
    let start = Instant::now();
    let mut pace = tokio::time::interval(STORM / WRITES as u32);
    for i in 0..WRITES {
        pace.tick().await;
        match i % 3 {
            2 => save(&dir, &broken[(i / 3) % broken.len()].1),
            _ => save(&dir, &valid[(i / 3 + i % 3) % valid.len()]),
        }
    }
    let storm = start.elapsed();

    // Last: a valid version never saved before (so once it serves, the watcher has worked
    // through the whole storm), then broken changes to it. It keeps serving.
    let last_good = original.replace("offer_timeout_secs = 60", "offer_timeout_secs = 64");
    save(&dir, &last_good);
    eventually("the last good version is served", || {
        active(&h).is_some_and(|v| !valid_ids.contains(&v))
    })
    .await;
    let last_id = active(&h).unwrap();
    for (how, text) in &broken {
        let refused = counts(&h).1;
        save(&dir, text);
        eventually(&format!("the {how} change is refused"), || {
            counts(&h).1 > refused
        })
        .await;
        assert_eq!(
            active(&h).as_deref(),
            Some(last_id.as_str()),
            "after a {how} change the last good version serves"
        );
        let (status, body) = h
            .post(
                "/v1/conversations/after-storm/events",
                &channel,
                json!({"role": "customer", "text": "is the filter in stock?"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            body["decision"]["policy_version"],
            last_id.as_str(),
            "{body}"
        );
    }

    stop.store(true, Ordering::SeqCst);
    let mut decided: BTreeMap<String, usize> = BTreeMap::new();
    for c in clients {
        for v in c.await.expect("a client failed") {
            *decided.entry(v).or_default() += 1;
        }
    }
    let (reloads, refusals) = counts(&h);
    eprintln!(
        "{WRITES} saves in {:.1} s: {} versions activated, {} refused; decisions by version: {decided:?}",
        storm.as_secs_f64(),
        reloads - reloads0,
        refusals - refusals0,
    );
    for v in decided.keys() {
        assert!(
            valid_ids.contains(v) || *v == last_id,
            "a decision named version {v}, never valid"
        );
    }
    assert!(storm < Duration::from_secs(12), "the storm took {storm:?}");
    assert!(
        decided.len() >= 3,
        "requests met several versions: {decided:?}"
    );
    assert!(reloads - reloads0 >= 10 && refusals - refusals0 >= 5);
}
