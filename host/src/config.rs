//! Tenant configuration: one TOML file per business in `policies/`, read, checked and turned
//! into a ready-to-use [`TenantConfig`].
//!
//! The tenant id is the file stem (`policies/acme-plumbing.toml` is `acme-plumbing`). Every
//! problem with a file is a [`Diagnostic`] that points at the offending text and renders like
//! rustc; [`load_file`] and [`parse_str`] return all the problems they can find at once as
//! [`Diagnostics`]. The fully commented example at
//! `host/tests/golden/config/good/acme-plumbing.toml` shows every key.
//!
//! - `schema` holds the TOML as written (serde structs with spans),
//! - `load` reads, parses and validates it, with `parts` (queues, agents, fallback,
//!   webhooks, plugins), `notices`, `tests_table` and `routing_tests` (the inline
//!   self-tests) and `fixture_specs` (the fixture files `baton test` replays),
//! - `hours` turns the time zone and business hours into a [`baton_plugin_sdk::Clock`],
//! - `template` parses the customer notices' placeholders,
//! - `names` says which files are tenants and what their ids are; `checks` checks shapes
//!   (emails, phone numbers, URLs, environment variable names),
//! - `diagnostic` and `translate` make the error messages.

mod channels;
mod checks;
mod diagnostic;
mod fixture_specs;
mod hours;
mod load;
mod names;
mod notices;
mod parts;
mod routing_tests;
mod schema;
mod template;
mod tests_table;
mod translate;

pub use channels::{SmsConfig, SmsProvider, WidgetConfig};
pub use diagnostic::{Diagnostic, Diagnostics, Location, Span};
pub use fixture_specs::FixtureSpec;
pub use hours::{describe_opening, Hours, TimeRange, DAY_KEYS};
pub use load::{load_file, parse_str};
pub use names::{is_tenant_file_name, is_valid_tenant_id, tenant_id_from_path};
pub use notices::{Language, NoticeKind, NoticeSet, Notices};
pub use routing_tests::{RouteExpect, RoutingTest};
pub use template::{format_wait, format_wait_es, Placeholder, Template, TemplateError, Vars};
pub use tests_table::{SelfTest, SELF_TEST_EPOCH};

use baton_plugin_sdk::Clock;
use std::path::PathBuf;
use std::sync::Arc;

/// A tenant's validated configuration, ready to use.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// The tenant id: the file stem, `[a-z0-9][a-z0-9_-]{0,63}`.
    pub tenant_id: String,
    /// The business's display name (`name`), used for `{business}`.
    pub name: String,
    /// The IANA time zone name as written (`time_zone`, default `UTC`).
    pub time_zone_name: String,
    /// The time zone, from jiff's bundled database.
    pub time_zone: jiff::tz::TimeZone,
    /// Opening hours and holidays (always open without `[hours]`).
    pub hours: Hours,
    /// The queues, in file order; when the file declares none, the one implied fallback
    /// queue.
    pub queues: Vec<QueueConfig>,
    /// The agents, in file order.
    pub agents: Vec<AgentConfig>,
    /// Customer-facing notices, parsed.
    pub notices: Notices,
    /// The number customers are told to call in an emergency (`emergency_phone`).
    pub emergency_phone: Option<String>,
    /// Plugin limits and limits on what callers send.
    pub limits: Limits,
    /// Where a handoff waits when routing picks nothing better; always one of `queues`.
    pub fallback_queue: String,
    /// Where events are posted.
    pub webhooks: Vec<Webhook>,
    /// The trigger policy.
    pub trigger: PluginSpec,
    /// The routing policy.
    pub routing: PluginSpec,
    /// A second trigger evaluated beside the live one and never acted on.
    pub shadow: Option<PluginSpec>,
    /// The trigger's inline self-tests, run before a version activates.
    pub self_tests: Vec<SelfTest>,
    /// The routing policy's inline self-tests (`[[routing.tests]]`), run before a version
    /// activates.
    pub routing_tests: Vec<RoutingTest>,
    /// Labelled conversation files `baton test` replays through the trigger, with the
    /// scores it must reach (`[[trigger.fixtures]]`); serving never reads them.
    pub fixtures: Vec<FixtureSpec>,
    /// The SMS bridge (`[sms]`), when the tenant has one.
    pub sms: Option<SmsConfig>,
    /// The web-chat widget (`[widget]`).
    pub widget: WidgetConfig,
    /// The file and its text, for pointing later errors at it with [`TenantConfig::error_at`].
    pub source: Source,
}

impl TenantConfig {
    /// The tenant's clock at `now` (see [`Hours::clock_at`]).
    pub fn clock_at(&self, now: jiff::Timestamp) -> Clock {
        self.hours.clock_at(now)
    }

    /// When the business next opens (see [`Hours::next_opening`]).
    pub fn next_opening(&self, now: jiff::Timestamp) -> Option<jiff::Zoned> {
        self.hours.next_opening(now)
    }

    /// A [`Diagnostic`] pointing at `span` of this tenant's file, e.g. at
    /// `self.trigger.path_span` when the plugin fails to load.
    pub fn error_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at_span(&self.source.path, &self.source.text, span, message)
    }

    /// The queue named `name`.
    pub fn queue(&self, name: &str) -> Option<&QueueConfig> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The agent with id `id`.
    pub fn agent(&self, id: &str) -> Option<&AgentConfig> {
        self.agents.iter().find(|a| a.id == id)
    }
}

/// A tenant file's path (as used in messages) and text, which spans index into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as given to the loader.
    pub path: PathBuf,
    /// The file's text.
    pub text: Arc<str>,
}

/// One `[[queues]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Unique name.
    pub name: String,
    /// Skills the queue serves.
    pub skills: Vec<String>,
    /// The wait the business aims for, in seconds (default 300).
    pub target_wait_secs: u32,
}

/// One `[[agents]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// Unique id, `[a-z0-9_-]`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Skills, free labels (a typo is not an error).
    pub skills: Vec<String>,
    /// How many handoffs they may hold at once, 1 to 50 (default 2).
    pub capacity: u32,
    /// Whether they take after-hours work.
    pub on_call: bool,
    /// Where to alert them of an offer.
    pub alert: Alert,
}

impl AgentConfig {
    /// The first word of the name, for `{agent_first_name}`.
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

/// How to reach an agent outside the console.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alert {
    /// Email address.
    pub email: Option<String>,
    /// Phone number for text messages, E.164 (`+15555550100`).
    pub sms: Option<String>,
}

/// `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Plugin memory cap in MiB, 1 to 512 (default 16).
    pub memory_mib: u32,
    /// Per-call deadline in milliseconds, 1 to 5000 (default 20).
    pub deadline_ms: u32,
    /// How long an offer is reserved for an agent, in seconds, 1 to 3600 (default 60).
    pub offer_timeout_secs: u32,
    /// How long an offer to a paged agent (on call, offline in the inbox: reached by their
    /// alert contacts) is reserved before the next one is paged, in seconds, 1 to 3600
    /// (default 300: someone woken by a page needs longer than someone at the inbox).
    pub page_timeout_secs: u32,
    /// How long a handoff waits for an agent (queued or offered) with no word from the
    /// customer, counted in business hours, before it closes as `abandoned`: 0 (never, the
    /// default) or 60 to 604800 (a week).
    pub abandon_after_secs: u32,
    /// Most trigger evaluations per second, 0 for no cap (default 0).
    pub evaluations_per_second: u32,
    /// Days the decision log keeps a row, 1 to 3650 (default 90).
    pub decision_log_days: u32,
    /// Most decision-log rows kept for the tenant, 1000 to 100000000 (default 1000000);
    /// the oldest go first.
    pub decision_log_max_rows: u32,
    /// Longest message text a channel may post, in bytes, 1 to 8000 (default 8000, the
    /// host's ceiling); a longer one is refused whole, never cut.
    pub max_message_bytes: u32,
    /// Most messages a conversation may hold, 10 to 1000000 (default 5000); past it a
    /// channel's next message is refused (422 naming `id`) before anything is stored.
    pub max_conversation_messages: u32,
    /// Most messages the trigger policy is shown, newest last, 1 to 1000 (default 50).
    pub policy_window_messages: u32,
    /// Most bytes of message text the trigger policy is shown, 1000 to 1048576 (default
    /// 32768); the message that prompted the call is always shown.
    pub policy_window_bytes: u32,
    /// Messages one channel key may post per minute (a burst of this many, refilled
    /// evenly), 0 for no cap (default 600).
    pub messages_per_minute: u32,
    /// Messages one widget session may post per minute, 1 to 10000 (default 20).
    pub widget_messages_per_minute: u32,
    /// Widget requests (sessions opened and messages posted) one client address may make
    /// per minute, 0 for no cap (default 120).
    pub widget_ip_requests_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 16,
            deadline_ms: 20,
            offer_timeout_secs: 60,
            page_timeout_secs: 300,
            abandon_after_secs: 0,
            evaluations_per_second: 0,
            decision_log_days: 90,
            decision_log_max_rows: 1_000_000,
            max_message_bytes: 8_000,
            max_conversation_messages: 5_000,
            policy_window_messages: 50,
            policy_window_bytes: 32_768,
            messages_per_minute: 600,
            widget_messages_per_minute: 20,
            widget_ip_requests_per_minute: 120,
        }
    }
}

/// An event a webhook can receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// `handoff.opened`
    HandoffOpened,
    /// `handoff.offered`
    HandoffOffered,
    /// `handoff.accepted`
    HandoffAccepted,
    /// `handoff.declined`
    HandoffDeclined,
    /// `handoff.queued`
    HandoffQueued,
    /// `handoff.message`
    HandoffMessage,
    /// `handoff.resolved`
    HandoffResolved,
    /// `handoff.handed_back`
    HandoffHandedBack,
    /// `handoff.abandoned`
    HandoffAbandoned,
    /// `policy.fault`
    PolicyFault,
}

impl WebhookEvent {
    /// Every event, in the order listed in the docs.
    pub const ALL: [WebhookEvent; 10] = [
        WebhookEvent::HandoffOpened,
        WebhookEvent::HandoffOffered,
        WebhookEvent::HandoffAccepted,
        WebhookEvent::HandoffDeclined,
        WebhookEvent::HandoffQueued,
        WebhookEvent::HandoffMessage,
        WebhookEvent::HandoffResolved,
        WebhookEvent::HandoffHandedBack,
        WebhookEvent::HandoffAbandoned,
        WebhookEvent::PolicyFault,
    ];

    /// The dotted name, e.g. `handoff.opened`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::HandoffOpened => "handoff.opened",
            WebhookEvent::HandoffOffered => "handoff.offered",
            WebhookEvent::HandoffAccepted => "handoff.accepted",
            WebhookEvent::HandoffDeclined => "handoff.declined",
            WebhookEvent::HandoffQueued => "handoff.queued",
            WebhookEvent::HandoffMessage => "handoff.message",
            WebhookEvent::HandoffResolved => "handoff.resolved",
            WebhookEvent::HandoffHandedBack => "handoff.handed_back",
            WebhookEvent::HandoffAbandoned => "handoff.abandoned",
            WebhookEvent::PolicyFault => "policy.fault",
        }
    }

    /// The event named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// One `[[webhooks]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// An `http://` or `https://` URL.
    pub url: String,
    /// The events to post, without repeats (`"*"` expands to all of them).
    pub events: Vec<WebhookEvent>,
    /// The name of the environment variable holding the signing secret.
    pub secret_env: Option<String>,
    /// The `[[webhooks]]` table, for messages.
    pub span: Span,
}

impl Webhook {
    /// Whether this webhook wants `event`.
    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.events.contains(&event)
    }
}

/// A policy plugin named by `[trigger]`, `[routing]` or `[shadow]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSpec {
    /// The `.wasm` file: absolute, or relative to the TOML file's folder as written, joined to
    /// it. Not checked for existence here; the plugin loader does that.
    pub path: PathBuf,
    /// The `plugin = "..."` value, for messages.
    pub path_span: Span,
    /// The `config` table as JSON text (`{}` when absent), handed to the plugin.
    pub config_json: String,
    /// The `config` table, for messages; the `plugin` value when there is no table.
    pub config_span: Span,
}
