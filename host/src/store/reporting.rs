//! What the store hands the report, the exporter and the decision-log retention.

use super::{ConversationRow, HandoffRow, MessageRow};

/// One decision-log row as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedDecision {
    /// The conversation.
    pub conversation_id: String,
    /// The message that prompted it.
    pub message_seq: i64,
    /// The tenant version that made it.
    pub policy_version: String,
    /// `live` or `shadow`.
    pub role: String,
    /// Whether it escalated.
    pub escalate: bool,
    /// Its reason (`snake_case`), if it escalated.
    pub reason: Option<String>,
    /// The fault kind, if the policy faulted.
    pub fault_kind: Option<String>,
    /// Wall time of the call, µs.
    pub latency_us: i64,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// A conversation with everything recorded about it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedConversation {
    /// The header.
    pub conversation: ConversationRow,
    /// Its messages, oldest first.
    pub messages: Vec<MessageRow>,
    /// Its handoffs, oldest first.
    pub handoffs: Vec<HandoffRow>,
    /// Its decision-log rows, in message order (live before shadow).
    pub decisions: Vec<LoggedDecision>,
}

/// The conversations that started in a window, and what a report needs around them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordedWindow {
    /// Conversations with `created_ms` in `[from, to)`, oldest first, at most the limit.
    pub conversations: Vec<RecordedConversation>,
    /// Conversations that started before the window and had a handoff opened in it (a
    /// returning SMS customer's conversation is their phone number), oldest first, at most
    /// the limit: a report counts those handoffs, not the conversations.
    pub earlier: Vec<RecordedConversation>,
    /// Whether more conversations started in the window (or earlier ones had a handoff in
    /// it) than the limit allowed.
    pub truncated: bool,
    /// `(customer_key, created_ms)` of every conversation started in `[from, to + follow)`,
    /// for repeat-contact checks.
    pub contacts: Vec<(String, i64)>,
}
