//! What went wrong inside a plugin call.

use serde::Serialize;
use std::fmt;

/// The kind of a plugin fault; each leads to the safe decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The call ran past the tenant's deadline (an endless loop, or just too slow).
    Timeout,
    /// The plugin asked for more memory than the tenant's cap.
    OutOfMemory,
    /// The plugin trapped (a panic, `unreachable`, a bad memory access, stack overflow).
    Trap,
    /// The plugin returned something outside the contract (unknown reason, absurd sizes,
    /// an agent or queue not in the roster).
    InvalidOutput,
    /// The plugin returned an error of its own.
    PluginError,
}

impl FaultKind {
    /// Every kind, for metrics and status pages.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::Timeout,
        FaultKind::OutOfMemory,
        FaultKind::Trap,
        FaultKind::InvalidOutput,
        FaultKind::PluginError,
    ];

    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Timeout => "timeout",
            FaultKind::OutOfMemory => "out_of_memory",
            FaultKind::Trap => "trap",
            FaultKind::InvalidOutput => "invalid_output",
            FaultKind::PluginError => "plugin_error",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recorded plugin fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    /// What kind.
    pub kind: FaultKind,
    /// What exactly, for a person (capped in length).
    pub detail: String,
}

impl Fault {
    /// Longest detail kept, in bytes.
    pub const MAX_DETAIL: usize = 500;

    /// A fault with its detail capped.
    pub fn new(kind: FaultKind, detail: impl Into<String>) -> Self {
        let mut detail = detail.into();
        if detail.len() > Self::MAX_DETAIL {
            let mut cut = Self::MAX_DETAIL;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
            detail.push('…');
        }
        Fault { kind, detail }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for Fault {}
