//! Conversation-level figures at several classifier thresholds, to choose
//! `classifier_threshold` on sets the classifier never trained on:
//! `cargo run --release -p standard-trigger --example sweep -- a.jsonl [b.jsonl ...]`.
use baton_plugin_sdk::fixtures::{read_file, replay, score, Outcome};
use baton_plugin_sdk::TriggerPolicy;
use standard_trigger::{Config, StandardTrigger};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let sets: Vec<_> = paths
        .iter()
        .map(|p| (p, read_file(std::path::Path::new(p)).expect("fixtures")))
        .collect();
    let mut runs: Vec<(String, Config)> = vec![(
        "rules only".into(),
        Config {
            classifier: false,
            ..Config::default()
        },
    )];
    for t in [0.9f32, 0.95, 0.97, 0.98, 0.99, 0.995] {
        let c = Config {
            classifier_threshold: t,
            ..Config::default()
        };
        runs.push((format!("threshold {t:.2}"), c));
    }
    for (name, config) in runs {
        let policy = StandardTrigger::new(config).expect("config");
        let mut line = format!("{name:<16}");
        for (path, fixtures) in &sets {
            let outcomes: Vec<Outcome> = fixtures
                .iter()
                .map(|f| replay(f, |c| Ok::<_, ()>(policy.evaluate(c))).expect("replay"))
                .collect();
            let s = score(fixtures, &outcomes);
            let short = path
                .rsplit('/')
                .next()
                .unwrap_or(path)
                .trim_end_matches(".jsonl");
            line += &format!(
                " | {short} R {:.2} F1 {:.2} rsn {:.2} FA {}",
                s.recall, s.f1, s.reason_accuracy, s.false_alarms_on_negatives
            );
        }
        println!("{line}");
    }
}
