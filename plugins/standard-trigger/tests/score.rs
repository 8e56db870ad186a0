//! Scores the policy on the public conversations and on our own held-out fixtures.

use baton_plugin_sdk::fixtures::{read_file, replay, score, Fixture, Outcome, Score, Verdict};
use baton_plugin_sdk::TriggerPolicy;
use standard_trigger::{Config, StandardTrigger};
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Replay every fixture, print the misses, return the score.
fn run(fixtures: &[Fixture], config: Config) -> Score {
    let policy = StandardTrigger::new(config).expect("config");
    let outcomes: Vec<Outcome> = fixtures
        .iter()
        .map(|f| replay(f, |c| Ok::<_, ()>(policy.evaluate(c))).expect("replay"))
        .collect();
    for (f, o) in fixtures.iter().zip(&outcomes) {
        let v = o.verdict(f);
        let expect = f.expect.as_ref();
        let wrong_reason =
            v == Verdict::Caught && expect.and_then(|e| e.reason.clone()) != o.reason;
        if !matches!(v, Verdict::Caught | Verdict::Quiet) || wrong_reason {
            let at = o.at_message.unwrap_or(usize::MAX);
            let decision = o
                .at_message
                .map(|i| policy.evaluate(&f.conversation_until(i)));
            println!(
                "{:<10} {:?}: expected {:?} at {:?}, got {:?} at {} ({})",
                f.id,
                v,
                expect.and_then(|e| e.reason.as_ref().map(|r| r.to_string())),
                expect.and_then(|e| e.at_message),
                o.reason.as_ref().map(|r| r.to_string()),
                if at == usize::MAX {
                    "-".to_string()
                } else {
                    at.to_string()
                },
                decision.map(|d| d.explanation).unwrap_or_default()
            );
        }
    }
    let s = score(fixtures, &outcomes);
    println!(
        "precision {:.3} recall {:.3} f1 {:.3} reason accuracy {:.3} false alarms {} (on negatives {}) late {} missed {} ({} positives, {} negatives)",
        s.precision, s.recall, s.f1, s.reason_accuracy, s.false_alarms, s.false_alarms_on_negatives, s.late, s.missed, s.positives, s.negatives
    );
    s
}

fn assert_thresholds(s: &Score, what: &str) {
    assert!(s.f1 >= 0.95, "{what}: f1 {:.3} < 0.95", s.f1);
    assert!(
        s.reason_accuracy >= 0.90,
        "{what}: reason accuracy {:.3} < 0.90",
        s.reason_accuracy
    );
    assert_eq!(
        s.false_alarms_on_negatives, 0,
        "{what}: false alarms on negatives"
    );
}

fn public_path() -> PathBuf {
    crate_dir().join("../../tests/fixtures/conversations/public.jsonl")
}

#[test]
fn public_set() {
    let path = public_path();
    let fixtures = read_file(&path).expect("public.jsonl");
    let s = run(&fixtures, Config::default());
    assert_thresholds(&s, "public");
}

fn own_fixtures() -> Vec<Fixture> {
    let dir = crate_dir().join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| read_file(Path::new(p)).expect("fixture"))
        .collect()
}

#[test]
fn held_out_set() {
    let fixtures = own_fixtures();
    assert!(
        fixtures.len() >= 60,
        "only {} held-out conversations",
        fixtures.len()
    );
    let s = run(&fixtures, Config::default());
    assert_thresholds(&s, "held-out");
}

/// The rules alone, without following the bot's own handoffs or the classifier: printed
/// for comparison, not asserted.
#[test]
fn rules_only_figures() {
    let config = Config {
        follow_bot_handoff: false,
        classifier: false,
        ..Config::default()
    };
    if public_path().exists() {
        println!("public, rules only:");
        run(&read_file(&public_path()).expect("public"), config.clone());
    }
    println!("held-out, rules only:");
    run(&own_fixtures(), config);
}

/// Every fresh batch on its own (`tests/fixtures/fresh-*.jsonl`): each must meet the
/// thresholds by itself, not only in the pooled held-out figures.
#[test]
fn fresh_batches_each() {
    let dir = crate_dir().join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("fresh-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fresh batches");
    for p in files {
        println!("{}:", p.display());
        let s = run(&read_file(&p).expect("fixture"), Config::default());
        assert_thresholds(&s, &p.display().to_string());
    }
}
