//! A plugin cannot reach beyond its own call: the chaos plugin's `snoop` mode looks for an
//! earlier call's state (a static that remembers the previous conversation), another
//! tenant's config (through its own config or the tenant files on disk), the environment,
//! files and the network, and reports what it found. Each decision runs in a fresh instance
//! with its own tenant's config, no preopened folders, no environment, no network.

use crate::support::{conversation, root, trigger};
use baton::engine::TriggerPlugin;

fn snoop(label: &str, paths: &[String]) -> String {
    serde_json::json!({"mode": "snoop", "label": label, "paths": paths}).to_string()
}

async fn report(plugin: &TriggerPlugin, conversation_id: &str) -> String {
    let mut c = conversation(&[("customer", "my card number is 4111 1111 1111 1111")]);
    c.id = conversation_id.to_string();
    let e = plugin.evaluate(&c).await;
    assert_eq!(e.fault, None, "{:?}", e.fault);
    e.decision.explanation
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_sees_only_its_own_call_and_its_own_tenants_config() {
    let policies = root().join("policies").canonicalize().unwrap();
    let paths: Vec<String> = [
        policies.clone(),
        policies.join("acme-plumbing.toml"),
        "/".into(),
        ".".into(),
        "/etc/passwd".into(),
        "/proc/self/environ".into(),
    ]
    .iter()
    .map(|p| p.display().to_string())
    .collect();
    // Two tenants on the same plugin (one compiled module), each with its own config.
    let alpha = trigger("alpha", "chaos", &snoop("alpha-secret-7731", &paths)).await;
    let bravo = trigger("bravo", "chaos", &snoop("bravo", &paths)).await;
    let tenants = [
        (&alpha, "alpha-secret-7731", "bravo"),
        (&bravo, "bravo", "alpha-secret"),
    ];

    let mut seen = Vec::new();
    // One after another, alternating tenants and conversations...
    for round in 0..3 {
        for (plugin, own, other) in tenants {
            let conv = format!("{own}-conv-{round}");
            seen.push((report(plugin, &conv).await, own, other));
        }
    }
    // ...and at the same time.
    let (a, b) = tokio::join!(report(&alpha, "a-now"), report(&bravo, "b-now"));
    seen.push((a, "alpha-secret-7731", "bravo"));
    seen.push((b, "bravo", "alpha-secret"));

    for (r, own, other) in &seen {
        assert!(r.contains(&format!("label={own};")), "its own config: {r}");
        assert!(
            !r.contains(&format!("label={other}")),
            "another tenant's config: {r}"
        );
        assert!(
            r.contains("calls=1;"),
            "an instance served more than one call: {r}"
        );
        assert!(
            r.contains("previous=none;"),
            "a previous call's conversation survived: {r}"
        );
        assert!(r.contains("env=0;") && r.contains("args=0;"), "{r}");
        for p in &paths {
            assert!(
                r.contains(&format!("path {p}: denied")),
                "`{p}` was reachable: {r}"
            );
        }
        assert!(r.contains("net=denied"), "{r}");
    }
}
