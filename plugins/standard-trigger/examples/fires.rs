//! Where the classifier alone would decide: for every customer message before the rules
//! fire, the classifier's guess on the latest message, its position and the bot's last
//! turn, and whether firing there would be a hit, early, or a false alarm:
//! `cargo run --release -p standard-trigger --example fires -- a.jsonl [...]`.
use baton_plugin_sdk::fixtures::read_file;
use baton_plugin_sdk::TriggerPolicy;
use standard_trigger::classifier::classify_text;
use standard_trigger::{Config, StandardTrigger};

fn main() {
    let rules = StandardTrigger::new(Config {
        classifier: false,
        follow_bot_handoff: false,
        ..Config::default()
    })
    .expect("config");
    let open = StandardTrigger::new(Config {
        classifier_threshold: 0.5,
        follow_bot_handoff: false,
        ..Config::default()
    })
    .expect("config");
    for path in std::env::args().skip(1) {
        for f in read_file(std::path::Path::new(&path)).expect("fixtures") {
            let e = f.expect.as_ref();
            let at = e.and_then(|e| e.at_message);
            let reason = e.and_then(|e| e.reason.as_ref().map(|r| r.to_string()));
            let mut nth = 0;
            let mut after = 0;
            for (i, m) in f.messages.iter().enumerate() {
                if !m.is_customer() {
                    continue;
                }
                let c = f.conversation_until(i);
                if rules.evaluate(&c).escalate {
                    break;
                }
                let d = open.evaluate(&c);
                if d.escalate && d.explanation.starts_with("the text classifier") {
                    let g = classify_text(&m.text);
                    let kind = match at {
                        None => "FA",
                        Some(a) if i < a => "EARLY",
                        Some(_) if after <= 1 => {
                            if reason.as_deref() == Some(g.label) {
                                "HIT"
                            } else {
                                "HIT-wrong"
                            }
                        }
                        Some(_) => "LATE",
                    };
                    let bot = f.messages[..i].iter().rev().find(|m| m.is_bot());
                    let logodds = (g.prob / g.none.max(1e-9)).ln();
                    println!(
                        "{kind:<9} {:<7} nth {nth} {:<16} p {:.4} lo {logodds:5.1} bot {:?} {:?} | {}",
                        f.id,
                        g.label,
                        g.prob,
                        bot.and_then(|b| b.intent.clone()),
                        bot.and_then(|b| b.confidence),
                        if d.explanation.contains("weak") { "WEAK" } else { "-" }
                    );
                }
                nth += 1;
                if at.is_some_and(|a| i >= a) {
                    after += 1;
                }
            }
        }
    }
}
