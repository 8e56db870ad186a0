//! `baton load` against a real host, briefly: keys made with `baton load prepare` into the
//! host's store, a few hundred events open- and closed-loop, no failed request, and every
//! acknowledged event read back from the store. No timing is asserted (the figures are in
//! BENCHMARKS.md, from long runs on a quiet machine).

use crate::host::TestHost;
use std::process::Command;

fn baton(args: Vec<String>) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .output()
        .expect("run baton")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_loses_no_acknowledged_event() {
    let host = TestHost::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let prepare = args(&[
        "load",
        "prepare",
        "--dir",
        dir.path().to_str().unwrap(),
        "--policies",
        host.policies().to_str().unwrap(),
        "--data",
        host.data.as_str(),
    ]);
    let out = tokio::task::spawn_blocking(move || baton(prepare))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = std::fs::read_to_string(dir.path().join("keys.env")).unwrap();
    assert_eq!(
        keys.lines().filter(|l| l.contains("_CHANNEL_KEY=")).count(),
        2
    );

    let json = dir.path().join("report.json");
    let run = args(&[
        "load",
        "run",
        "--url",
        &host.url,
        "--keys",
        dir.path().join("keys.env").to_str().unwrap(),
        "--rates",
        "200",
        "--connections",
        "4",
        "--saturate",
        "4",
        "--requests",
        "150",
        "--duration",
        "30",
        "--warmup",
        "0",
        "--escalate",
        "0.2",
        "--verify",
        "--strict",
        "--json",
        json.to_str().unwrap(),
    ]);
    let out = tokio::task::spawn_blocking(move || baton(run))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let phases = report["phases"].as_array().unwrap();
    // healthz + ingest, open and closed.
    assert_eq!(phases.len(), 4, "{stdout}");
    for p in phases {
        assert_eq!(p["ok"], 150, "{p}");
        assert!(p["errors"].as_object().unwrap().is_empty(), "{p}");
        assert_eq!(p["unsent"], 0, "{p}");
    }
    let verified = &report["verified"];
    assert_eq!(verified["events"], 300, "{stdout}");
    assert!(
        verified["missing"].as_array().unwrap().is_empty(),
        "{stdout}"
    );
    // Some conversations escalated, through the real policy.
    let escalated: u64 = phases
        .iter()
        .map(|p| p["escalations"][0].as_u64().unwrap())
        .sum();
    assert!(escalated > 0, "{stdout}");
}
