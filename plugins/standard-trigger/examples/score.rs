//! Score fixture files and print every miss:
//! `cargo run --release -p standard-trigger --example score -- a.jsonl [b.jsonl ...]`.
use baton_plugin_sdk::fixtures::{read_file, replay, score, Outcome, Verdict};
use baton_plugin_sdk::TriggerPolicy;
use standard_trigger::{Config, StandardTrigger};

fn main() {
    let policy = StandardTrigger::new(Config::default()).expect("config");
    for path in std::env::args().skip(1) {
        let fixtures = read_file(std::path::Path::new(&path)).expect("fixtures");
        let outcomes: Vec<Outcome> = fixtures
            .iter()
            .map(|f| replay(f, |c| Ok::<_, ()>(policy.evaluate(c))).expect("replay"))
            .collect();
        for (f, o) in fixtures.iter().zip(&outcomes) {
            let v = o.verdict(f);
            let e = f.expect.as_ref();
            let wrong = v == Verdict::Caught && e.and_then(|e| e.reason.clone()) != o.reason;
            if !matches!(v, Verdict::Caught | Verdict::Quiet) || wrong {
                let why = o
                    .at_message
                    .map(|i| policy.evaluate(&f.conversation_until(i)).explanation)
                    .unwrap_or_default();
                println!(
                    "{:<8} {:?}: expected {:?}@{:?}, got {:?}@{:?} ({why})",
                    f.id,
                    v,
                    e.and_then(|e| e.reason.as_ref().map(|r| r.to_string())),
                    e.and_then(|e| e.at_message),
                    o.reason.as_ref().map(|r| r.to_string()),
                    o.at_message,
                );
            }
        }
        let s = score(&fixtures, &outcomes);
        println!(
            "{path}: n={} P {:.3} R {:.3} F1 {:.3} reason {:.3} FA-neg {} late {} missed {}",
            fixtures.len(),
            s.precision,
            s.recall,
            s.f1,
            s.reason_accuracy,
            s.false_alarms_on_negatives,
            s.late,
            s.missed
        );
    }
}
