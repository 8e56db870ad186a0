//! An agent tool, in a page of code: Sam says he is available, takes the handoff offered
//! to him, reads its brief, replies with the read-back line and resolves it.
//!
//! Against the demo server (`scripts/demo` in another terminal), with a handoff to take
//! (start `--example channel -- --wait 120` first, or ask for a person in the widget):
//!
//! ```sh
//! cargo run -p baton --example agent_tool                # keys from baton-data/demo-keys.env
//! BATON_URL=http://127.0.0.1:8080 ACME_SAM_KEY=... cargo run -p baton --example agent_tool -- --wait 60
//! ```
//!
//! `--wait SECS` (default 30) is how long to wait for an offer. The exit status is 1 when
//! no offer came or Baton refuses a request.

use serde_json::{json, Value};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("BATON_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let key = demo_key("ACME_SAM_KEY")?;
    run(&base, &key, wait_secs()).await?;
    Ok(())
}

/// As Sam (agent key `key`) at the Baton at `base`: take the first handoff offered within
/// `wait` seconds, reply and resolve it; returns the resolved handoff.
pub async fn run(base: &str, key: &str, wait: u64) -> anyhow::Result<Value> {
    let http = reqwest::Client::new();

    // Be reachable: only an available agent with room is offered handoffs.
    send(
        http.put(format!("{base}/v1/agents/sam/presence"))
            .bearer_auth(key)
            .json(&json!({"presence": "available"})),
    )
    .await?;
    println!("sam is available");

    // Wait for an offer (`GET /v1/events` streams them live; polling keeps this short).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let offer = loop {
        let list: Value = send(
            http.get(format!("{base}/v1/handoffs?state=offered"))
                .bearer_auth(key),
        )
        .await?;
        let mine = list
            .as_array()
            .and_then(|l| l.iter().find(|h| h["offered_to"] == "sam").cloned());
        if let Some(h) = mine {
            break h;
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("no handoff was offered to sam in {wait} s");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let id = offer["id"].as_str().unwrap_or_default().to_string();
    let handoff = format!("{base}/v1/handoffs/{id}");

    // Accept it (if another agent accepted first, Baton answers 409), then read the brief.
    send(http.post(format!("{handoff}/accept")).bearer_auth(key)).await?;
    let packet: Value = send(http.get(&handoff).bearer_auth(key)).await?;
    let brief = &packet["brief"];
    println!("accepted {id} ({})", packet["decision"]["reason"]);
    println!("  situation: {}", brief["situation"]);
    println!("  recommendation: {}", brief["recommendation"]);
    println!("  don't ask again: {}", brief["dont_ask_again"]);

    // Reply: the read-back tells the customer what the bot already learned.
    let reply = brief["read_back"]
        .as_str()
        .unwrap_or("Hi, I'm here to help.");
    send(
        http.post(format!("{handoff}/messages"))
            .bearer_auth(key)
            .json(&json!({"text": reply})),
    )
    .await?;
    println!("replied: {reply}");

    let resolved: Value = send(
        http.post(format!("{handoff}/resolve"))
            .bearer_auth(key)
            .json(&json!({"outcome": "booked", "note": "visit booked for tomorrow"})),
    )
    .await?;
    println!("handoff {id}: {}", resolved["state"]);
    Ok(resolved)
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
        .unwrap_or(30)
}
