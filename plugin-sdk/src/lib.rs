//! # Baton plugin SDK
//!
//! Write a Baton policy in Rust: implement [`TriggerPolicy`] (when to hand a conversation
//! to a person) or [`RoutingPolicy`] (which person or queue takes it), then export it with
//! one macro, [`export_trigger!`] or [`export_routing!`]. Build with
//! `cargo build --target wasm32-wasip2 --release` and point a tenant's TOML at the `.wasm`.
//!
//! The contract lives in `wit/since_v0.1.0/policy.wit` inside this crate ([`WIT_PATH`]); the
//! host generates its side from the same file. The types in [`types`] mirror it as plain Rust
//! values, so the same policy code runs natively in your unit tests and benchmarks, and in the
//! sandbox.
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
pub mod text;
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

/// The contract version this SDK builds against (the WIT package version): its one source.
/// The WIT file declares it, its folder is named for it (`wit/since_v0.1.0/`), the host
/// speaks it, and the Python and JavaScript builds read it from this line.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The WIT contract of [`CONTRACT_VERSION`], relative to this crate's root. Each version is
/// frozen in its own folder; `wit/README.md` says how to add one.
pub const WIT_PATH: &str = "wit/since_v0.1.0/policy.wit";

/// The WIT contract text (the file at [`WIT_PATH`]), for tools that need it (e.g. `baton new
/// policy`).
pub const WIT: &str = include_str!("../wit/since_v0.1.0/policy.wit");

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
    use super::{CONTRACT_VERSION, WIT, WIT_PATH};
    use std::path::Path;

    #[test]
    fn the_wit_declares_the_contract_version() {
        let package = format!("package baton:policy@{CONTRACT_VERSION};");
        assert!(
            WIT.lines().any(|l| l.trim() == package),
            "{WIT_PATH} does not declare `{package}`"
        );
    }

    #[test]
    fn the_folder_is_named_for_the_contract_version() {
        assert_eq!(
            WIT_PATH,
            format!("wit/since_v{CONTRACT_VERSION}/policy.wit")
        );
        let on_disk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(WIT_PATH))
            .expect("the WIT file at WIT_PATH");
        assert_eq!(on_disk, WIT, "WIT is not the file at WIT_PATH");
    }

    /// Every frozen folder declares the version it is named for, so an old contract is never
    /// edited into another version by mistake.
    #[test]
    fn every_frozen_folder_declares_its_own_version() {
        let wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit");
        let mut versions = Vec::new();
        for entry in std::fs::read_dir(&wit).expect("plugin-sdk/wit") {
            let path = entry.expect("a folder entry").path();
            let Some(version) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("since_v"))
            else {
                continue;
            };
            let text = std::fs::read_to_string(path.join("policy.wit")).expect("policy.wit");
            let package = format!("package baton:policy@{version};");
            assert!(
                text.lines().any(|l| l.trim() == package),
                "{} does not declare `{package}`",
                path.display()
            );
            versions.push(version.to_string());
        }
        assert!(
            versions.iter().any(|v| v == CONTRACT_VERSION),
            "no wit/since_v{CONTRACT_VERSION}/ among {versions:?}"
        );
    }
}
