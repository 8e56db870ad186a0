//! The tenant TOML as written: serde structs with spans, before validation.
//!
//! Numbers are read as `i64` and range-checked by the loader, so that an out-of-range value
//! gets a message naming its range rather than a type error.

use serde::Deserialize;
use toml::Spanned;

/// Spanned string.
pub(crate) type S = Spanned<String>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub name: S,
    #[serde(default)]
    pub time_zone: Option<S>,
    #[serde(default)]
    pub emergency_phone: Option<S>,
    #[serde(default)]
    pub hours: Option<Spanned<RawHours>>,
    #[serde(default)]
    pub queues: Vec<Spanned<RawQueue>>,
    #[serde(default)]
    pub agents: Vec<Spanned<RawAgent>>,
    #[serde(default)]
    pub notices: RawNotices,
    #[serde(default)]
    pub limits: RawLimits,
    #[serde(default)]
    pub fallback: Option<Spanned<RawFallback>>,
    #[serde(default)]
    pub webhooks: Vec<Spanned<RawWebhook>>,
    pub trigger: Spanned<RawTrigger>,
    pub routing: Spanned<RawRouting>,
    #[serde(default)]
    pub shadow: Option<Spanned<RawPlugin>>,
    #[serde(default)]
    pub sms: Option<Spanned<super::channels::RawSms>>,
    #[serde(default)]
    pub widget: Option<Spanned<super::channels::RawWidget>>,
}

/// Top-level keys, for "did you mean" and "this key belongs elsewhere" hints.
pub(crate) const TOP_KEYS: &[&str] = &[
    "name",
    "time_zone",
    "emergency_phone",
    "hours",
    "queues",
    "agents",
    "notices",
    "limits",
    "fallback",
    "webhooks",
    "trigger",
    "routing",
    "shadow",
    "sms",
    "widget",
];

/// `[hours]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHours {
    pub mon: Option<S>,
    pub tue: Option<S>,
    pub wed: Option<S>,
    pub thu: Option<S>,
    pub fri: Option<S>,
    pub sat: Option<S>,
    pub sun: Option<S>,
    /// Strings (`"2026-12-25"`) or TOML local dates (`2026-12-25`).
    #[serde(default)]
    pub closed_on: Vec<Spanned<toml::Value>>,
}

impl RawHours {
    /// The days Monday first.
    pub fn days(&self) -> [&Option<S>; 7] {
        [
            &self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun,
        ]
    }
}

/// One `[[queues]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub name: S,
    #[serde(default)]
    pub skills: Vec<S>,
    pub target_wait_secs: Option<Spanned<i64>>,
}

/// One `[[agents]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgent {
    pub id: S,
    pub name: S,
    #[serde(default)]
    pub skills: Vec<S>,
    pub capacity: Option<Spanned<i64>>,
    #[serde(default)]
    pub on_call: bool,
    pub alert: Option<RawAlert>,
}

/// An agent's `alert = { email, sms }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlert {
    pub email: Option<S>,
    pub sms: Option<S>,
}

/// `[notices]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotices {
    pub queued: Option<S>,
    pub offered: Option<S>,
    pub joined: Option<S>,
    pub after_hours: Option<S>,
    pub emergency: Option<S>,
    pub paged: Option<S>,
    pub emergency_waiting: Option<S>,
    pub emergency_unstaffed: Option<S>,
    pub handback: Option<S>,
    /// `[notices.es]`: the Spanish texts, the same keys.
    pub es: Option<toml::Spanned<Box<RawNotices>>>,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    pub memory_mib: Option<Spanned<i64>>,
    pub deadline_ms: Option<Spanned<i64>>,
    pub offer_timeout_secs: Option<Spanned<i64>>,
    pub page_timeout_secs: Option<Spanned<i64>>,
    pub abandon_after_secs: Option<Spanned<i64>>,
    pub evaluations_per_second: Option<Spanned<i64>>,
    pub decision_log_days: Option<Spanned<i64>>,
    pub decision_log_max_rows: Option<Spanned<i64>>,
    pub max_message_bytes: Option<Spanned<i64>>,
    pub max_conversation_messages: Option<Spanned<i64>>,
    pub policy_window_messages: Option<Spanned<i64>>,
    pub policy_window_bytes: Option<Spanned<i64>>,
    pub messages_per_minute: Option<Spanned<i64>>,
    pub widget_messages_per_minute: Option<Spanned<i64>>,
    pub widget_ip_requests_per_minute: Option<Spanned<i64>>,
}

/// `[fallback]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFallback {
    pub queue: S,
}

/// One `[[webhooks]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    pub url: S,
    pub events: Spanned<Vec<S>>,
    pub secret_env: Option<S>,
}

/// `[routing]` and `[shadow]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlugin {
    pub plugin: S,
    pub config: Option<Spanned<toml::Table>>,
}

/// `[trigger]`: a plugin plus inline self-tests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTrigger {
    pub plugin: S,
    pub config: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub tests: Vec<Spanned<RawSelfTest>>,
    #[serde(default)]
    pub fixtures: Vec<Spanned<RawFixtures>>,
}

/// One `[[trigger.fixtures]]`: a labelled conversations file `baton test` replays, and the
/// scores it must reach. Numbers are `toml::Value`s so `min_f1 = 1` reads like `1.0`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFixtures {
    pub path: S,
    pub min_f1: Option<Spanned<toml::Value>>,
    pub min_precision: Option<Spanned<toml::Value>>,
    pub min_recall: Option<Spanned<toml::Value>>,
    pub max_missed: Option<Spanned<i64>>,
}

/// `[routing]`: a plugin plus inline self-tests.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouting {
    pub plugin: S,
    pub config: Option<Spanned<toml::Table>>,
    #[serde(default)]
    pub tests: Vec<Spanned<RawRoutingTest>>,
}

/// One `[[routing.tests]]`: a handoff, the roster and the clock, and the expected route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoutingTest {
    pub name: S,
    pub handoff: Spanned<RawHandoff>,
    #[serde(default)]
    pub roster: Vec<Spanned<RawTestAgent>>,
    pub queue_depth: Option<Spanned<toml::Table>>,
    /// An RFC 3339 string or a TOML offset date-time.
    pub at: Option<Spanned<toml::Value>>,
    pub expect: Spanned<RawRouteExpect>,
}

/// A routing self-test's `handoff`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHandoff {
    pub reason: S,
    pub priority: Option<S>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub intent: Option<String>,
    pub channel: Option<S>,
    pub customer: Option<RawTestCustomer>,
    pub previous_agent: Option<S>,
    #[serde(default)]
    pub declined_by: Vec<S>,
}

/// One agent of a routing self-test's `roster`; what it leaves out comes from the tenant's
/// `[[agents]]` entry of the same id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTestAgent {
    pub id: S,
    pub presence: Option<S>,
    pub load: Option<Spanned<i64>>,
    pub capacity: Option<Spanned<i64>>,
    pub skills: Option<Vec<String>>,
    pub on_call: Option<bool>,
}

/// A routing self-test's `expect`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouteExpect {
    pub first: Option<S>,
    pub agents: Option<Spanned<Vec<S>>>,
    pub queue: Option<S>,
    #[serde(default)]
    pub not_offered: Vec<S>,
}

/// One `[[trigger.tests]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSelfTest {
    pub name: S,
    pub channel: Option<S>,
    pub customer: Option<RawTestCustomer>,
    pub messages: Spanned<Vec<Spanned<RawTestMessage>>>,
    pub expect: Spanned<RawExpect>,
}

/// A self-test's `customer`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTestCustomer {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    #[serde(default)]
    pub repeat_customer: bool,
    pub lifetime_value_usd: Option<f64>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One message of a self-test.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTestMessage {
    pub role: S,
    pub text: String,
    /// An RFC 3339 string or a TOML offset date-time.
    pub at: Option<Spanned<toml::Value>>,
    pub intent: Option<S>,
    pub confidence: Option<Spanned<f64>>,
}

/// A self-test's `expect`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    pub escalate: bool,
    pub reason: Option<S>,
}

/// Keys that live in exactly one table, for "this key belongs in `[limits]`" hints.
pub(crate) const HOME_OF: &[(&str, &str)] = &[
    ("time_zone", "the top level"),
    ("emergency_phone", "the top level"),
    ("closed_on", "`[hours]`"),
    ("target_wait_secs", "`[[queues]]`"),
    ("capacity", "`[[agents]]`"),
    ("on_call", "`[[agents]]`"),
    ("alert", "`[[agents]]`"),
    ("queued", "`[notices]`"),
    ("offered", "`[notices]`"),
    ("joined", "`[notices]`"),
    ("after_hours", "`[notices]`"),
    ("paged", "`[notices]`"),
    ("emergency_waiting", "`[notices]`"),
    ("emergency_unstaffed", "`[notices]`"),
    ("handback", "`[notices]`"),
    ("memory_mib", "`[limits]`"),
    ("deadline_ms", "`[limits]`"),
    ("offer_timeout_secs", "`[limits]`"),
    ("page_timeout_secs", "`[limits]`"),
    ("abandon_after_secs", "`[limits]`"),
    ("evaluations_per_second", "`[limits]`"),
    ("decision_log_days", "`[limits]`"),
    ("decision_log_max_rows", "`[limits]`"),
    ("max_message_bytes", "`[limits]`"),
    ("max_conversation_messages", "`[limits]`"),
    ("policy_window_messages", "`[limits]`"),
    ("policy_window_bytes", "`[limits]`"),
    ("messages_per_minute", "`[limits]`"),
    ("widget_messages_per_minute", "`[limits]`"),
    ("widget_ip_requests_per_minute", "`[limits]`"),
    ("queue", "`[fallback]`"),
    ("url", "`[[webhooks]]`"),
    ("events", "`[[webhooks]]`"),
    ("secret_env", "`[[webhooks]]`"),
    ("plugin", "`[trigger]`, `[routing]` or `[shadow]`"),
    ("tests", "`[trigger]` or `[routing]`"),
    ("fixtures", "`[trigger]`"),
    ("min_f1", "`[[trigger.fixtures]]`"),
    ("min_precision", "`[[trigger.fixtures]]`"),
    ("min_recall", "`[[trigger.fixtures]]`"),
    ("max_missed", "`[[trigger.fixtures]]`"),
    ("handoff", "`[[routing.tests]]`"),
    ("roster", "`[[routing.tests]]`"),
    ("queue_depth", "`[[routing.tests]]`"),
    ("not_offered", "a routing self-test's `expect`"),
    ("provider", "`[sms]`"),
    ("account_sid", "`[sms]`"),
    ("auth_token_env", "`[sms]`"),
    ("from", "`[sms]`"),
    ("api_base", "`[sms]`"),
    ("webhook_url", "`[sms]`"),
    ("bot_url", "`[widget]`"),
    ("demo_bot", "`[widget]`"),
    ("demo_page", "`[widget]`"),
];
