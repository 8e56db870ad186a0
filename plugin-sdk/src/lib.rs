//! # Baton plugin SDK
//!
//! Write a Baton policy in Rust: implement [`TriggerPolicy`] (when to hand a conversation
//! to a person) or [`RoutingPolicy`] (which person or queue takes it), then export it with
//! one macro, [`export_trigger!`] or [`export_routing!`]. Build with
//! `cargo build --target wasm32-wasip2 --release` and point a tenant's TOML at the `.wasm`.
//!
//! The contract lives in `wit/policy.wit` inside this crate; the host generates its side
//! from the same file. The types in [`types`] mirror it as plain Rust values, so the same
//! policy code runs natively in your unit tests and benchmarks, and in the sandbox.
//!
//! ```no_run
//! use baton_plugin_sdk::prelude::*;
//!
//! #[derive(serde::Deserialize, Default)]
//! #[serde(deny_unknown_fields, default)]
//! struct Config { words: Vec<String> }
//!
//! struct Keywords(Config);
//!
//! impl TriggerPolicy for Keywords {
//!     type Config = Config;
//!     fn new(config: Config) -> Result<Self, String> { Ok(Keywords(config)) }
//!     fn evaluate(&self, conversation: &Conversation) -> Decision {
//!         let last = conversation.last_customer_text().to_lowercase();
//!         match self.0.words.iter().find(|w| last.contains(w.as_str())) {
//!             Some(w) => Decision::escalate(Reason::ExplicitRequest, Priority::Normal)
//!                 .because(format!("the customer wrote `{w}`")),
//!             None => Decision::stay(),
//!         }
//!     }
//! }
//!
//! baton_plugin_sdk::export_trigger!(Keywords);
//! ```
#![warn(missing_docs)]

pub mod config;
mod export;
pub mod routing;
pub mod segment;
pub mod trigger;
pub mod types;

#[cfg(feature = "fixtures")]
pub mod fixtures;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;

pub use config::{parse_config, NoConfig};
pub use routing::RoutingPolicy;
pub use segment::{SegmentMarker, SEGMENT_MARKER};
pub use trigger::TriggerPolicy;
pub use types::*;

/// The contract version this SDK builds against (the WIT package version).
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The WIT contract text, for tools that need it (e.g. `baton new policy`).
pub const WIT: &str = include_str!("../wit/policy.wit");

/// Everything a policy usually needs, in one `use`.
pub mod prelude {
    pub use crate::config::NoConfig;
    pub use crate::routing::RoutingPolicy;
    pub use crate::segment::SegmentMarker;
    pub use crate::trigger::TriggerPolicy;
    pub use crate::types::*;
}

#[cfg(test)]
mod contract_version_tests {
    #[test]
    fn the_wit_declares_the_contract_version() {
        let package = format!("package baton:policy@{};", super::CONTRACT_VERSION);
        assert!(
            super::WIT.lines().any(|l| l.trim() == package),
            "plugin-sdk/wit/policy.wit does not declare `{package}`"
        );
    }
}
