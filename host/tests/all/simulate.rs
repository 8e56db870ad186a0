//! `baton simulate`: the shipped example day plays through the real plugins and desk on
//! simulated time, deterministically, and keeps the lifecycle invariants at every step; the
//! checks do fire when a rule is broken.

use crate::host::policies_dir;
use crate::support::{engine, root};
use baton::simulate::{self, checks, Run, Scenario};
use std::collections::BTreeMap;
use std::process::Command;

fn example() -> Scenario {
    Scenario::load(&root().join("scenarios/acme-day.toml")).expect("the example scenario")
}

fn by_invariant(run: &Run) -> BTreeMap<&'static str, Vec<String>> {
    let mut out: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for v in &run.violations {
        out.entry(v.invariant).or_default().push(format!(
            "{} {}: {}",
            v.at,
            v.handoff.as_deref().unwrap_or("-"),
            v.detail
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_day_plays_deterministically_and_keeps_the_invariants() {
    let policies = policies_dir();
    let scenario = example();
    let run = simulate::run(&scenario, policies.path(), engine())
        .await
        .expect("the day plays");
    let l = &run.levels;
    // A real day happened: conversations, handoffs, accepts, emergencies, estimates.
    assert!(l.conversations >= 60, "{l:#?}");
    assert!(l.handoffs >= 15, "{l:#?}");
    assert!(l.accepted >= 10, "{l:#?}");
    assert!(l.emergencies.count >= 1, "{l:#?}");
    assert!(l.wait_estimate.samples >= 5, "{l:#?}");
    assert!(l.occupancy.is_some_and(|o| o > 0.0 && o <= 1.0), "{l:#?}");
    let broken = by_invariant(&run);
    assert!(broken.is_empty(), "invariants broken: {broken:#?}");
    // The same seed plays the same day.
    let again = simulate::run(&scenario, policies.path(), engine())
        .await
        .expect("the day plays again");
    assert_eq!(again.levels, run.levels);
    // Handoff ids are fresh UUIDs each run; the rest of every violation is the same.
    let without_ids = |r: &Run| {
        r.violations
            .iter()
            .map(|v| (v.invariant, v.at.clone(), v.detail.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(without_ids(&again), without_ids(&run));
}

/// A night with nobody on call and nobody working, and only emergencies arriving: each
/// reaches no person. Writes the changed tenant into `policies` and returns the scenario.
fn night(policies: &std::path::Path) -> std::path::PathBuf {
    let tenant = policies.join("acme-plumbing.toml");
    let mut text = std::fs::read_to_string(&tenant)
        .unwrap()
        .replace("on_call = true\n", "");
    // Its routing self-tests expect an on-call agent: this tenant has none.
    if let (Some(from), Some(to)) = (text.find("[[routing.tests]]"), text.find("[widget]")) {
        text.replace_range(from..to, "");
    }
    std::fs::write(&tenant, text).unwrap();
    let file = policies.join("night.toml");
    let conversations = root().join("tests/fixtures/conversations/public.jsonl");
    std::fs::write(
        &file,
        format!(
            r#"tenant = "acme-plumbing"
date = "2026-12-08"
start = "03:00"
end = "05:00"
seed = 3
conversations = "{}"
[[arrivals]]
hours = "03:00-04:00"
per_hour = 4
[mix]
emergency = 1.0
escalating = 0.0
"#,
            conversations.display()
        ),
    )
    .unwrap();
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_nobody_can_be_paged_for_is_a_named_violation() {
    let policies = policies_dir();
    let scenario = Scenario::load(&night(policies.path())).unwrap();
    let run = simulate::run(&scenario, policies.path(), engine())
        .await
        .unwrap();
    assert!(run.levels.emergencies.count >= 1, "{:#?}", run.levels);
    assert_eq!(
        run.levels.emergencies.unreached,
        run.levels.emergencies.count
    );
    let broken = by_invariant(&run);
    let unreached = broken
        .get(checks::EMERGENCY_UNREACHED)
        .unwrap_or_else(|| panic!("no emergency-unreached violation: {broken:#?}"));
    assert_eq!(unreached.len() as u64, run.levels.emergencies.count);
    assert!(
        unreached[0].contains("nobody was offered or paged"),
        "{unreached:?}"
    );
}

fn baton(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_names_a_scenario_mistake_and_exits_1_on_a_broken_invariant() {
    let policies = policies_dir();
    let bad = policies.path().join("typo.toml");
    let text = std::fs::read_to_string(root().join("scenarios/acme-day.toml"))
        .unwrap()
        .replace("id = \"lee\"", "id = \"leee\"")
        .replace(
            "../tests/fixtures",
            &root().join("tests/fixtures").display().to_string(),
        );
    std::fs::write(&bad, text).unwrap();
    let dir = policies.path().as_os_str();
    let (code, _, err) = baton(&[
        "simulate".as_ref(),
        bad.as_os_str(),
        "--policies".as_ref(),
        dir,
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("typo.toml:"), "{err}");
    assert!(
        err.contains("`leee` is not an agent of tenant `acme-plumbing`"),
        "{err}"
    );
    assert!(err.contains("did you mean `lee`?"), "{err}");
    // A broken invariant: exit 1 with `--check`, named; without it the levels still print.
    let night = night(policies.path());
    let args = [
        "simulate".as_ref(),
        night.as_os_str(),
        "--policies".as_ref(),
        dir,
        "--format".as_ref(),
        "json".as_ref(),
    ];
    let (code, out, err) = baton(&args);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(
        v["runs"][0]["violations"][0]["invariant"],
        checks::EMERGENCY_UNREACHED,
        "{v}"
    );
    let (code, _, err) = baton(&[&args[..], &["--check".as_ref()]].concat());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("violation: emergency-unreached"), "{err}");
}
