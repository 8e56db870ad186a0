//! A channel, in a page of code: it posts a conversation's messages to Baton and reads back
//! each decision, the handoff it opened and the notice to show the customer, then follows
//! the conversation until the person who took it has answered.
//!
//! Against the demo server (`scripts/demo` in another terminal):
//!
//! ```sh
//! cargo run -p baton --example channel                 # keys from baton-data/demo-keys.env
//! BATON_URL=http://127.0.0.1:8080 ACME_CHANNEL_KEY=... cargo run -p baton --example channel -- --wait 120
//! ```
//!
//! `--wait SECS` (default 0) keeps reading the conversation for that long after the
//! handoff, printing what the agent writes (run `--example agent_tool` meanwhile, or answer
//! from the inbox at `/inbox`). The exit status is 1 when Baton refuses a request.

use serde_json::{json, Value};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("BATON_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let key = demo_key("ACME_CHANNEL_KEY")?;
    run(&base, &key, wait_secs()).await?;
    Ok(())
}

/// Post the conversation with the channel key `key` to the Baton at `base`, follow it for
/// up to `wait` seconds; returns the conversation as Baton has it at the end.
pub async fn run(base: &str, key: &str, wait: u64) -> anyhow::Result<Value> {
    let http = reqwest::Client::new();
    let conversation = format!("example-{}", jiff::Timestamp::now().as_millisecond());
    let events = format!("{base}/v1/conversations/{conversation}/events");

    // What the bot and the customer say, in order: the channel posts every message.
    let customer = json!({"name": "Dana Ruiz", "phone": "+15555550117"});
    let turns = [
        json!({"role": "customer", "text": "hi, my water heater is leaking a little", "customer": customer}),
        json!({"role": "bot", "text": "Sorry to hear that! Is the water pooling on the floor?", "intent": "troubleshoot_leak", "confidence": 0.8}),
        json!({"role": "customer", "text": "yes. can I talk to a real person please"}),
    ];
    for (i, turn) in turns.iter().enumerate() {
        let answer: Value = send(http.post(&events).bearer_auth(key).json(turn)).await?;
        println!(
            "{} {:>8}: {}",
            i + 1,
            turn["role"].as_str().unwrap_or("?"),
            turn["text"]
        );
        if let Some(d) = answer.get("decision").filter(|d| !d.is_null()) {
            println!(
                "           decision: escalate={} reason={} priority={} (policy {})",
                d["escalate"], d["reason"], d["priority"], d["policy_version"]
            );
        }
        if let Some(h) = answer.get("handoff").filter(|h| !h.is_null()) {
            println!(
                "           handoff {}: {} (offered to {})",
                h["id"], h["state"], h["offered_to"]
            );
        }
        if let Some(n) = answer.get("notice").filter(|n| !n.is_null()) {
            println!("           tell the customer: {}", n["text"]);
        }
    }

    // Follow the conversation: what the agent writes arrives as messages.
    let url = format!("{base}/v1/conversations/{conversation}");
    let mut seen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let c: Value = send(http.get(&url).bearer_auth(key)).await?;
        let messages = c["messages"].as_array().cloned().unwrap_or_default();
        for m in messages.iter().skip(seen) {
            if m["role"] == "agent" || m["role"] == "system" {
                println!("   {:>8}: {}", m["role"].as_str().unwrap_or("?"), m["text"]);
            }
        }
        seen = messages.len();
        let answered = messages.iter().any(|m| m["role"] == "agent");
        if answered || tokio::time::Instant::now() >= deadline {
            println!("conversation {conversation}: {seen} messages");
            return Ok(c);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Send a request; a refusal is an error carrying Baton's `{"error": {...}}` body.
async fn send(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        anyhow::bail!("Baton answered {status}: {body}");
    }
    Ok(body)
}

/// `NAME` from the environment, else from `scripts/demo`'s keys file.
fn demo_key(name: &str) -> anyhow::Result<String> {
    if let Ok(k) = std::env::var(name) {
        return Ok(k);
    }
    let data = std::env::var("BATON_DATA").unwrap_or_else(|_| "baton-data".into());
    let file = std::path::Path::new(&data).join("demo-keys.env");
    let text = std::fs::read_to_string(&file).map_err(|e| {
        anyhow::anyhow!(
            "set {name}, or run `scripts/demo` first ({}: {e})",
            file.display()
        )
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{} has no {name}", file.display()))
}

/// `--wait SECS`.
fn wait_secs() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--wait")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
