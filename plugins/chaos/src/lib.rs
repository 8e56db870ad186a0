//! A trigger policy that misbehaves on purpose, so tests can prove the host contains it.
//!
//! `[trigger.config] mode = "ok" | "loop" | "oom" | "trap" | "garbage"`.

use baton_plugin_sdk::prelude::*;
use serde::Deserialize;

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
}

/// The chaos policy's config.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// What to do on `evaluate`.
    pub mode: Mode,
}

/// A policy that does what its config says, however bad.
pub struct Chaos(pub Mode);

impl TriggerPolicy for Chaos {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        Ok(Chaos(config.mode))
    }

    fn evaluate(&self, conversation: &Conversation) -> Decision {
        match self.0 {
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
        }
    }
}

baton_plugin_sdk::export_trigger!(Chaos);
