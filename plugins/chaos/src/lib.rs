//! A trigger policy that misbehaves on purpose, so tests can prove the host contains it.
//!
//! `[trigger.config] mode = "ok" | "loop" | "oom" | "trap" | "garbage" | "snoop" | "count"`.

use baton_plugin_sdk::prelude::*;
use serde::Deserialize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// The misbehaviour to show.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Behave: never escalate.
    #[default]
    Ok,
    /// Spin forever.
    Loop,
    /// Allocate until the memory cap stops it.
    Oom,
    /// Trap (a Rust panic with `panic = "abort"`).
    Trap,
    /// Return a decision (or route) that breaks the contract's limits.
    Garbage,
    /// Look for anything beyond this call and its own config, and report what it found in
    /// the explanation: state left by an earlier call (a static), the environment and
    /// arguments, files (`paths`), the network.
    Snoop,
    /// Behave, and say in the explanation how much of the conversation it was shown:
    /// `messages=<n> bytes=<bytes of text> first=<the first message's text>`, so a test
    /// sees the host's window.
    Count,
}

/// The chaos policy's config.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// What to do on `evaluate`.
    pub mode: Mode,
    /// `snoop`: a label echoed in the report, so a test sees whose config the call got.
    pub label: String,
    /// `snoop`: files and folders to try to read.
    pub paths: Vec<String>,
}

/// A policy that does what its config says, however bad.
pub struct Chaos(pub Config);

/// Calls this instance has served: more than one means state survived between calls.
static CALLS: AtomicU32 = AtomicU32::new(0);
/// The conversation of this instance's previous call.
static PREVIOUS: Mutex<Option<String>> = Mutex::new(None);

/// What `snoop` could see, one `key=value` per finding.
fn snoop(config: &Config, conversation: &Conversation) -> String {
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    let previous = PREVIOUS
        .lock()
        .map(|mut p| p.replace(conversation.id.clone()))
        .unwrap_or(None);
    let mut found = vec![
        format!("label={}", config.label),
        format!("calls={calls}"),
        format!("previous={}", previous.as_deref().unwrap_or("none")),
        format!("env={}", std::env::vars_os().count()),
        format!("args={}", std::env::args_os().count()),
    ];
    for path in &config.paths {
        let seen = match (std::fs::read(path), std::fs::read_dir(path)) {
            (Ok(bytes), _) => format!("read {} bytes", bytes.len()),
            (_, Ok(entries)) => format!("listed {} entries", entries.count()),
            (Err(e), _) => format!("denied ({})", e.kind()),
        };
        found.push(format!("path {path}: {seen}"));
    }
    let net = match std::net::TcpStream::connect("127.0.0.1:80") {
        Ok(_) => "connected".to_string(),
        Err(e) => format!("denied ({})", e.kind()),
    };
    found.push(format!("net={net}"));
    found.join("; ")
}

impl TriggerPolicy for Chaos {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        Ok(Chaos(config))
    }

    fn evaluate(&self, conversation: &Conversation) -> Decision {
        match self.0.mode {
            Mode::Ok => Decision::stay().because("chaos in `ok` mode never escalates"),
            Mode::Loop => {
                let mut n: u64 = conversation.messages.len() as u64;
                loop {
                    n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            Mode::Oom => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    let mut block = vec![0u8; 1 << 20];
                    block[0] = hoard.len() as u8;
                    hoard.push(std::hint::black_box(block));
                }
            }
            Mode::Trap => panic!("chaos plugin asked to trap"),
            Mode::Garbage => Decision {
                escalate: true,
                reason: Some(Reason::Custom("Not A Reason!".repeat(10))),
                priority: Priority::Urgent,
                tags: (0..10_000).map(|i| format!("tag-{i}")).collect(),
                explanation: "x".repeat(100_000),
            },
            Mode::Snoop => Decision::stay().because(snoop(&self.0, conversation)),
            Mode::Count => {
                let m = &conversation.messages;
                let bytes: usize = m.iter().map(|m| m.text.len()).sum();
                let first: String = m
                    .first()
                    .map(|f| f.text.chars().take(40).collect())
                    .unwrap_or_default();
                Decision::stay()
                    .because(format!("messages={} bytes={bytes} first={first}", m.len()))
            }
        }
    }
}

baton_plugin_sdk::export_trigger!(Chaos);
