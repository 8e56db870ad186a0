//! After a run: every acknowledged event must be in its host's store. Each conversation is
//! read back through the API (`GET /v1/conversations/{id}`, so it works for any backend) and
//! its acknowledged texts must appear among the stored customer and bot messages, in order.

use super::conn::{Conn, Target};
use super::measure::Ack;
use hyper::header::HeaderValue;
use hyper::Method;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    /// Conversations read back.
    pub conversations: usize,
    /// Acknowledged events checked.
    pub events: usize,
    /// Acknowledged events not found in the store (a lost acknowledged write), with reasons.
    pub missing: Vec<String>,
}

/// Whether `acked` appears in `stored` in order (other messages may come between).
pub fn in_order(acked: &[&str], stored: &[String]) -> bool {
    let mut it = stored.iter();
    acked.iter().all(|a| it.any(|s| s == a))
}

/// Read back every conversation in `acks` over `connections` connections per host.
pub async fn verify(
    targets: &[Target],
    keys: &[HeaderValue],
    acks: Vec<Ack>,
    connections: usize,
) -> Verified {
    let events = acks.len();
    let mut by_conversation: BTreeMap<(usize, usize, String), Vec<&'static str>> = BTreeMap::new();
    for a in acks {
        by_conversation
            .entry((a.host, a.key, a.conversation))
            .or_default()
            .push(a.text);
    }
    let conversations = by_conversation.len();
    let work: Vec<_> = by_conversation.into_iter().collect();
    let chunk = work.len().div_ceil(connections.max(1)).max(1);
    let mut tasks = Vec::new();
    for part in work.chunks(chunk) {
        let part = part.to_vec();
        let targets = targets.to_vec();
        let keys = keys.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut conns: Vec<Conn> = targets.iter().cloned().map(Conn::new).collect();
            let mut missing = Vec::new();
            for ((host, key, id), texts) in part {
                let path = format!("/v1/conversations/{id}");
                let answer = conns[host]
                    .send(Method::GET, &path, Some(&keys[key]), None)
                    .await;
                let stored = match answer {
                    Ok(a) if a.status == 200 => serde_json::from_slice::<serde_json::Value>(&a.body)
                        .ok()
                        .and_then(|v| {
                            v["messages"].as_array().map(|m| {
                                m.iter()
                                    .filter(|m| {
                                        matches!(m["role"].as_str(), Some("customer" | "bot"))
                                    })
                                    .filter_map(|m| m["text"].as_str().map(str::to_string))
                                    .collect::<Vec<_>>()
                            })
                        }),
                    Ok(a) => {
                        missing.push(format!("{id}: reading it back answered {}", a.status));
                        continue;
                    }
                    Err(e) => {
                        missing.push(format!("{id}: reading it back failed: {e}"));
                        continue;
                    }
                };
                match stored {
                    Some(stored) if in_order(&texts, &stored) => {}
                    Some(stored) => missing.push(format!(
                        "{id}: acknowledged {} events, stored {} customer/bot messages not matching them in order",
                        texts.len(),
                        stored.len()
                    )),
                    None => missing.push(format!("{id}: the answer has no messages")),
                }
            }
            missing
        }));
    }
    let mut missing = Vec::new();
    for t in tasks {
        match t.await {
            Ok(m) => missing.extend(m),
            Err(e) => missing.push(format!("a verify task failed: {e}")),
        }
    }
    Verified {
        conversations,
        events,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledged_texts_must_appear_in_order() {
        let stored: Vec<String> = ["a", "x", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert!(in_order(&["a", "b", "c"], &stored));
        assert!(in_order(&[], &stored));
        assert!(!in_order(&["b", "a"], &stored));
        assert!(!in_order(&["a", "d"], &stored));
    }
}
