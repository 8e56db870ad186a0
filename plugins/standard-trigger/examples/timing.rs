//! Rough native timing of `new` + `evaluate` on the public set's longest conversation:
//! `cargo run --release -p standard-trigger --example timing -- path/to/public.jsonl`.
use baton_plugin_sdk::TriggerPolicy;
use standard_trigger::{Config, StandardTrigger};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tests/fixtures/conversations/public.jsonl".into());
    let text = std::fs::read_to_string(&path).expect("read fixtures");
    let convs: Vec<baton_plugin_sdk::Conversation> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let messages = v["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| baton_plugin_sdk::Message {
                    role: serde_json::from_value(m["role"].clone()).expect("role"),
                    text: m["text"].as_str().unwrap_or_default().to_string(),
                    at_ms: 0,
                    intent: m["intent"].as_str().map(str::to_string),
                    confidence: m["confidence"].as_f64().map(|c| c as f32),
                })
                .collect();
            baton_plugin_sdk::Conversation {
                id: String::new(),
                channel: String::new(),
                customer: baton_plugin_sdk::Customer::default(),
                messages,
                clock: baton_plugin_sdk::Clock::default(),
            }
        })
        .collect();
    let mut longest = convs
        .iter()
        .max_by_key(|c| c.messages.len())
        .expect("a conversation")
        .clone();
    // Pad to 20 messages, ending with a customer message.
    let seed = longest.messages.clone();
    while longest.messages.len() < 20 {
        longest.messages.extend(seed.iter().cloned());
    }
    longest.messages.truncate(20);
    let last = longest
        .messages
        .iter()
        .rposition(|m| m.is_customer())
        .unwrap_or(0);
    longest.messages.truncate(last + 1);
    let n = 20_000;
    let t = std::time::Instant::now();
    let mut escalations = 0;
    for _ in 0..n {
        let p = StandardTrigger::new(Config::default()).expect("config");
        escalations += usize::from(p.evaluate(std::hint::black_box(&longest)).escalate);
    }
    let per = t.elapsed() / n;
    println!(
        "{} messages: {:?} per new+evaluate ({escalations} escalations)",
        longest.messages.len(),
        per
    );
}
