//! `baton export`: recorded conversations in the fixture format, labelled with what happened,
//! so real conversations become replay tests.

use crate::store::{RecordedConversation, RecordedWindow};
use baton_plugin_sdk::Role;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Most conversations one export writes.
pub const MAX_EXPORT: usize = 100_000;

/// Arguments of `baton export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant whose conversations to export.
    #[arg(long)]
    tenant: String,
    /// Only conversations that started at or after this (RFC 3339, YYYY-MM-DD, or an age
    /// such as `30d`); default: all.
    #[arg(long)]
    since: Option<String>,
    /// The data folder.
    #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
    data: String,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// One fixture line for a recorded conversation. The label is what happened: its first
/// handoff (`escalate`, its `reason`, `at_message` = the message that triggered it), or no
/// handoff (`escalate: false`). A handoff opened by a policy fault, or one whose trigger
/// message is not a customer message, gives no label. The messages carry the segment markers
/// the live trigger policy saw (`baton:segment`, where each closed handoff ended), so a replay
/// judges the later segments as live did.
pub fn fixture(c: &RecordedConversation) -> Value {
    let marked = crate::handoff::segments::marked(&c.messages, &c.handoffs);
    let messages: Vec<Value> = marked
        .iter()
        .map(|(_, m)| {
            let mut v = json!({
                "role": m.role,
                "text": m.text,
                "at": time(m.at_ms),
            });
            if m.role == Role::Bot {
                if let Some(i) = &m.intent {
                    v["intent"] = json!(i);
                }
                if let Some(c) = m.confidence {
                    v["confidence"] = json!((c as f64 * 1000.0).round() / 1000.0);
                }
            }
            v
        })
        .collect();
    let expect = match c.handoffs.first() {
        None => Some(json!({"escalate": false})),
        Some(h) => {
            // The trigger message's position among the exported (marked) messages.
            let at = marked
                .iter()
                .position(|(seq, m)| *seq == Some(h.trigger_seq) && m.role == Role::Customer);
            match at {
                Some(at) if h.reason != "policy_fault" => {
                    Some(json!({"escalate": true, "reason": h.reason, "at_message": at}))
                }
                _ => None,
            }
        }
    };
    let mut line = json!({
        "id": c.conversation.id,
        "channel": c.conversation.channel,
        "customer": c.conversation.customer,
        "messages": messages,
    });
    if let Some(e) = expect {
        line["expect"] = e;
    }
    line
}

/// The fixture file's text for a window.
pub fn fixtures(window: &RecordedWindow) -> String {
    let mut out = String::new();
    for c in &window.conversations {
        // Message indices must be positions: a gap (never expected) would shift labels.
        if c.messages
            .iter()
            .enumerate()
            .any(|(i, m)| m.seq != i as i64)
        {
            tracing::warn!(conversation = %c.conversation.id, "messages are not contiguous; skipped");
            continue;
        }
        out.push_str(&fixture(c).to_string());
        out.push('\n');
    }
    out
}

/// Export.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = jiff::Timestamp::now().as_millisecond();
    let since = match &args.since {
        None => 0,
        Some(s) => match crate::report::parse_when(s, now) {
            Some(t) => t,
            None => {
                eprintln!("error: `--since {s}` is not an RFC 3339 time, a YYYY-MM-DD date or an age such as `30d`");
                return Ok(ExitCode::FAILURE);
            }
        },
    };
    let store = crate::store::open(&args.data).await?;
    let window = store
        .recorded_window(&args.tenant, since, i64::MAX, 0, MAX_EXPORT)
        .await?;
    let text = fixtures(&window);
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    eprintln!(
        "exported {} conversation(s) of `{}`{}",
        text.lines().count(),
        args.tenant,
        if window.truncated {
            format!(" (stopped at {MAX_EXPORT})")
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}
