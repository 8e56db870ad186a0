//! Replay from history on the real server: export then replay round-trips (and compares two
//! policy folders), the HTML report is self-contained, and the decision log is pruned.

use crate::host::TestHost;
use crate::report::{script, shadowed};
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::process::Command;

fn baton(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_LOG", "warn")
        .output()
        .expect("run baton");
    assert!(
        out.status.success(),
        "baton {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn summary(stdout: &[u8]) -> Value {
    let text = String::from_utf8_lossy(stdout);
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_then_replay_round_trips() {
    let h = TestHost::start(&[("shadowed", &shadowed())]).await;
    script(&h).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("recorded.jsonl");
    let data = h.data.as_str();
    baton(&[
        "export",
        "--tenant",
        "shadowed",
        "--data",
        data,
        "--out",
        file.to_str().unwrap(),
    ]);
    let fixtures = baton_plugin_sdk::fixtures::read_file(&file).unwrap();
    type Label = Option<(bool, Option<String>, Option<usize>)>;
    let labels: Vec<(String, Label)> = fixtures
        .iter()
        .map(|f| {
            (
                f.id.clone(),
                f.expect.as_ref().map(|e| {
                    (
                        e.escalate,
                        e.reason.as_ref().map(|r| r.to_string()),
                        e.at_message,
                    )
                }),
            )
        })
        .collect();
    let pos = |at| Some((true, Some("explicit_request".to_string()), Some(at)));
    let neg = Some((false, None, None));
    assert_eq!(
        labels,
        vec![
            ("s1".into(), pos(2)),
            ("s2".into(), neg.clone()),
            ("s3".into(), neg.clone()),
            ("s4".into(), pos(0)),
            ("s5".into(), neg)
        ]
    );
    assert_eq!(fixtures[0].messages[1].intent.as_deref(), Some("faq"));

    // The live policy scores its own history perfectly; the keyword policy does not.
    let policies = h.policies().to_str().unwrap();
    let out = baton(&[
        "replay",
        "--policies",
        policies,
        "--tenant",
        "shadowed",
        "--conversations",
        file.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let s = &summary(&out.stdout)["summary"];
    assert_eq!(
        (
            s["caught"].as_i64(),
            s["false_alarms"].as_i64(),
            s["precision"].as_f64(),
            s["recall"].as_f64()
        ),
        (Some(2), Some(0), Some(1.0), Some(1.0)),
        "{s}"
    );

    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("plugins")).unwrap();
    for p in ["keyword-trigger", "skills-router"] {
        std::fs::copy(
            h.policies().join(format!("plugins/{p}.wasm")),
            other.path().join(format!("plugins/{p}.wasm")),
        )
        .unwrap();
    }
    std::fs::write(other.path().join("shadowed.toml"), "name = \"Shadowed\"\ntime_zone = \"America/Chicago\"\n\n[trigger]\nplugin = \"plugins/keyword-trigger.wasm\"\n\n[trigger.config]\nwords = [\"sink\", \"person\"]\n\n[routing]\nplugin = \"plugins/skills-router.wasm\"\n").unwrap();
    let args = [
        "replay",
        "--policies",
        policies,
        "--tenant",
        "shadowed",
        "--conversations",
        file.to_str().unwrap(),
        "--compare",
        other.path().to_str().unwrap(),
    ];
    let out = baton(&[&args[..], &["--format", "json"]].concat());
    let s = &summary(&out.stdout)["summary"];
    assert_eq!(s["b"]["score"]["caught"], 1, "{s}");
    assert_eq!(s["b"]["score"]["false_alarms"], 2, "{s}");
    assert_eq!(
        s["changes"],
        json!({"changed": 2, "caught_gained": 0, "caught_lost": 1, "false_alarms_added": 2, "false_alarms_removed": 0, "reason_changed": 0})
    );
    let table =
        String::from_utf8(baton(&[&args[..], &["--format", "table"]].concat()).stdout).unwrap();
    assert!(
        table.contains("changes A -> B: 2 conversation(s) decided differently"),
        "{table}"
    );

    // The HTML page is self-contained.
    let page = dir.path().join("r.html");
    baton(&[
        "report",
        "--tenant",
        "shadowed",
        "--data",
        data,
        "--html",
        page.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("<svg")
            && html.contains("Handoff rate")
            && !html.contains("http://")
            && !html.contains("https://")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_decision_log_is_pruned_by_age_and_count() {
    use baton::store::{ConversationRow, DecisionRow, WriteSet};
    let h = TestHost::start(&[]).await;
    let store = h.host.desk.store();
    let now = jiff::Timestamp::now().as_millisecond();
    let row = |seq: i64, at_ms: i64| DecisionRow {
        conversation_id: "old".into(),
        message_seq: seq,
        policy_version: "v".into(),
        role: "live".into(),
        decision: baton_plugin_sdk::Decision::stay(),
        fault_kind: None,
        fault_detail: None,
        latency_us: 1,
        at_ms,
    };
    let conv = ConversationRow {
        id: "old".into(),
        channel: "sms".into(),
        customer: Default::default(),
        customer_key: "k".into(),
        message_count: 0,
        created_ms: 0,
        updated_ms: 0,
    };
    // Three rows 100 days old (acme keeps 90), five recent; another tenant's rows stay.
    let writes = WriteSet {
        conversation: Some(conv.clone()),
        decisions: (0..8)
            .map(|i| row(i, if i < 3 { now - 100 * 86_400_000 } else { now }))
            .collect(),
        ..WriteSet::default()
    };
    store.apply("acme-plumbing", writes.clone()).await.unwrap();
    store.apply("someone-else", writes).await.unwrap();
    let deleted = baton::server::retention::prune(&h.host.desk, now)
        .await
        .unwrap();
    // 3 old acme rows and 3 old rows of the unloaded tenant (default 90 days); the host's own
    // first pass at start may race this one and take some of them.
    assert!(deleted <= 6, "{deleted}");
    let left = |t: &'static str| async move {
        store
            .recorded_window(t, 0, 1, 0, 10)
            .await
            .unwrap()
            .conversations[0]
            .decisions
            .len()
    };
    assert_eq!(
        (left("acme-plumbing").await, left("someone-else").await),
        (5, 5)
    );
    // The row cap keeps the newest.
    assert_eq!(
        store.prune_decisions("acme-plumbing", 0, 2).await.unwrap(),
        3
    );
    let operator = h.key(None, KeyRole::Operator, None).await;
    let text = h
        .http
        .get(format!("{}/metrics", h.url))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("baton_decision_log_pruned_total{tenant=\"acme-plumbing\"} 3\n"),
        "{text}"
    );
}
