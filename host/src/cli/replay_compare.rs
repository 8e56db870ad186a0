//! `baton replay --compare OTHER_POLICIES_DIR`: two versions' decisions on the same
//! conversations, side by side, and what changes.

use baton_plugin_sdk::fixtures::{self, Fixture, Outcome, Score, Verdict};
use serde::Serialize;
use serde_json::json;

/// What changes from version A to version B.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    /// Conversations where B decides differently (escalate, reason or message).
    pub changed: usize,
    /// Positives B catches that A did not.
    pub caught_gained: usize,
    /// Positives A caught that B does not.
    pub caught_lost: usize,
    /// False alarms B raises that A did not.
    pub false_alarms_added: usize,
    /// False alarms A raised that B does not.
    pub false_alarms_removed: usize,
    /// Conversations both escalate at, with a different reason.
    pub reason_changed: usize,
}

fn decided(o: &Outcome) -> String {
    match (&o.reason, o.at_message) {
        (Some(r), Some(at)) if o.escalate => format!("{r}@{at}"),
        _ => "stay".into(),
    }
}

fn verdict_name(v: Verdict) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Count the changes between two replays of the same fixtures.
pub fn changes(fixtures: &[Fixture], a: &[Outcome], b: &[Outcome]) -> Changes {
    let mut c = Changes::default();
    for ((f, x), y) in fixtures.iter().zip(a).zip(b) {
        if (x.escalate, &x.reason, x.at_message) != (y.escalate, &y.reason, y.at_message) {
            c.changed += 1;
        }
        let (vx, vy) = (x.verdict(f), y.verdict(f));
        c.caught_gained += (vy == Verdict::Caught && vx != Verdict::Caught) as usize;
        c.caught_lost += (vx == Verdict::Caught && vy != Verdict::Caught) as usize;
        c.false_alarms_added += (vy == Verdict::FalseAlarm && vx != Verdict::FalseAlarm) as usize;
        c.false_alarms_removed += (vx == Verdict::FalseAlarm && vy != Verdict::FalseAlarm) as usize;
        c.reason_changed += (x.escalate && y.escalate && x.reason != y.reason) as usize;
    }
    c
}

fn score_json(s: &Score) -> serde_json::Value {
    json!({"precision": s.precision, "recall": s.recall, "f1": s.f1, "reason_accuracy": s.reason_accuracy,
           "false_alarms": s.false_alarms, "late": s.late, "missed": s.missed, "caught": s.caught})
}

/// Print the comparison: a table, or one JSON line per conversation and a summary line.
pub fn print(fixtures: &[Fixture], versions: [&str; 2], outcomes: [&[Outcome]; 2], json: bool) {
    let [a, b] = outcomes;
    let labelled = fixtures.iter().any(|f| f.expect.is_some());
    let scores = [fixtures::score(fixtures, a), fixtures::score(fixtures, b)];
    let c = changes(fixtures, a, b);
    if json {
        for ((f, x), y) in fixtures.iter().zip(a).zip(b) {
            let side = |o: &Outcome| {
                json!({"escalate": o.escalate, "reason": o.reason.as_ref().map(|r| r.as_str()),
                "at_message": o.at_message, "verdict": verdict_name(o.verdict(f)), "faults": o.faults})
            };
            println!(
                "{}",
                json!({"id": f.id, "a": side(x), "b": side(y), "changed": decided(x) != decided(y)})
            );
        }
        println!(
            "{}",
            json!({"summary": {
                "a": {"policy_version": versions[0], "score": labelled.then(|| score_json(&scores[0]))},
                "b": {"policy_version": versions[1], "score": labelled.then(|| score_json(&scores[1]))},
                "changes": c,
            }})
        );
        return;
    }
    println!(
        "{:<14} {:<22} {:<30} {:<30} change",
        "id",
        "expected",
        format!("A {}", versions[0]),
        format!("B {}", versions[1])
    );
    for ((f, x), y) in fixtures.iter().zip(a).zip(b) {
        let expected = match &f.expect {
            Some(e) if e.escalate => format!(
                "{}@{}",
                e.reason.as_ref().map(|r| r.as_str()).unwrap_or("-"),
                e.at_message.unwrap_or(0)
            ),
            Some(_) => "stay".into(),
            None => "-".into(),
        };
        let cell = |o: &Outcome| format!("{} ({})", decided(o), verdict_name(o.verdict(f)));
        let change = if decided(x) == decided(y) {
            ""
        } else {
            "changed"
        };
        println!(
            "{:<14} {:<22} {:<30} {:<30} {change}",
            f.id,
            expected,
            cell(x),
            cell(y)
        );
    }
    if labelled {
        for (name, v, s) in [
            ("A", versions[0], &scores[0]),
            ("B", versions[1], &scores[1]),
        ] {
            println!(
                "{name} {v}: precision {:.3}  recall {:.3}  f1 {:.3}  reason accuracy {:.3}  false alarms {}  late {}  missed {}",
                s.precision, s.recall, s.f1, s.reason_accuracy, s.false_alarms, s.late, s.missed
            );
        }
    }
    println!(
        "changes A -> B: {} conversation(s) decided differently; caught +{} -{}; false alarms +{} -{}; reason changed {}",
        c.changed, c.caught_gained, c.caught_lost, c.false_alarms_added, c.false_alarms_removed, c.reason_changed
    );
}
