//! Closing the loop: what the decision log and the handoffs say, per tenant.
//!
//! A report covers a window `[from, to)`: the conversation figures (conversations, bot
//! response time, faults) are over the conversations that **started** in it; the handoff
//! figures (handoffs, time to accept, handle time, outcomes, abandoned, context loss) are
//! over the handoffs that **opened** in it, whenever their conversation started: a returning
//! SMS customer's conversation is their phone number, and their later handoffs count on the
//! day they happened. The same code serves `GET /v1/report`, `baton report` and its HTML page.

pub mod context_loss;
pub mod figures;
pub mod html;
pub mod series;
pub mod shadow;

pub use figures::{Figures, Percentiles};

use crate::store::{HandoffRow, RecordedConversation, SharedStore, StoreError};
use figures::{Acc, Contacts};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most conversations one report reads (the report says when it stopped there).
pub const MAX_CONVERSATIONS: usize = 20_000;

/// What a report can be broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The tenant version that opened the conversation's first handoff (else that made its
    /// last live decision); each handoff under its own version.
    PolicyVersion,
    /// The reason of the conversation's first handoff (`none` without one); each handoff
    /// under its own reason.
    Reason,
    /// The queue of the first handoff; each handoff under its queue.
    Queue,
    /// The agent who accepted the first handoff (`none`); each handoff under its agent.
    Agent,
    /// The conversation's channel.
    Channel,
}

impl GroupBy {
    /// Parse a query value.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    fn handoff_key(self, c: &RecordedConversation, h: &crate::store::HandoffRow) -> String {
        match self {
            GroupBy::PolicyVersion => h.policy_version.clone(),
            GroupBy::Reason => h.reason.clone(),
            GroupBy::Queue => h.queue.clone(),
            GroupBy::Agent => h.accepted_by.clone().unwrap_or_else(|| "none".into()),
            GroupBy::Channel => c.conversation.channel.clone(),
        }
    }

    fn conversation_key(self, c: &RecordedConversation) -> String {
        if let Some(h) = c.handoffs.first() {
            return self.handoff_key(c, h);
        }
        match self {
            GroupBy::PolicyVersion => version_of(c),
            GroupBy::Channel => c.conversation.channel.clone(),
            _ => "none".into(),
        }
    }
}

/// A time given as RFC 3339, a UTC date (`YYYY-MM-DD`), or an age before `now_ms` such as
/// `7d`, `12h` or `30m`.
pub fn parse_when(s: &str, now_ms: i64) -> Option<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t.as_millisecond());
    }
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_millisecond());
    }
    let unit = match s.chars().last()? {
        'd' => 86_400_000,
        'h' => 3_600_000,
        'm' => 60_000,
        _ => return None,
    };
    let n: i64 = s[..s.len() - 1].parse().ok().filter(|n| *n >= 0)?;
    Some(now_ms.saturating_sub(n.saturating_mul(unit)))
}

/// The version a conversation is counted under in per-version views.
pub fn version_of(c: &RecordedConversation) -> String {
    c.handoffs
        .first()
        .map(|h| h.policy_version.clone())
        .or_else(|| {
            c.decisions
                .iter()
                .rev()
                .find(|d| d.role == "live")
                .map(|d| d.policy_version.clone())
        })
        .unwrap_or_else(|| "none".into())
}

/// One group of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Group {
    /// The value grouped by (`none` where there is none).
    pub key: String,
    /// Its figures.
    pub figures: Figures,
}

/// A tenant's report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The tenant.
    pub tenant: String,
    /// Start of the window (RFC 3339), inclusive.
    pub from: String,
    /// End of the window (RFC 3339), exclusive.
    pub to: String,
    /// What `groups` are by, if anything.
    pub group_by: Option<GroupBy>,
    /// Whether more than 20000 conversations started in the window and only the first
    /// 20000 were read.
    pub truncated: bool,
    /// The figures over every conversation of the window.
    pub totals: Figures,
    /// The figures per group, by key.
    pub groups: Vec<Group>,
    /// Every context-loss finding, so a person can check it.
    pub context_loss: Vec<context_loss::Finding>,
    /// Live against shadow (null when the tenant logged no shadow decision in the window).
    pub shadow: Option<shadow::ShadowReport>,
}

/// The contacts index for first-contact resolution.
pub fn contacts(window: &crate::store::RecordedWindow) -> Contacts {
    let mut out: Contacts = Contacts::new();
    for (key, at) in &window.contacts {
        out.entry(key.clone()).or_default().push(*at);
    }
    out
}

/// A report's window, `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Start, inclusive, ms since the epoch.
    pub from_ms: i64,
    /// End, exclusive, ms since the epoch.
    pub to_ms: i64,
}

impl Window {
    fn holds(self, ms: i64) -> bool {
        self.from_ms <= ms && ms < self.to_ms
    }

    /// Whether the window counts `c` itself: it started in it.
    pub fn counts_conversation(self, c: &RecordedConversation) -> bool {
        self.holds(c.conversation.created_ms)
    }

    /// The handoffs of `c` the window counts: those opened in it.
    pub fn handoffs(self, c: &RecordedConversation) -> impl Iterator<Item = &HandoffRow> {
        c.handoffs.iter().filter(move |h| self.holds(h.opened_ms))
    }
}

/// Add to `acc` what `window` counts of `c` (the conversation if it started in the window,
/// the handoffs that opened in it), returning those handoffs' context-loss findings.
pub fn accumulate(
    acc: &mut Acc,
    c: &RecordedConversation,
    contacts: &Contacts,
    window: Window,
) -> Vec<context_loss::Finding> {
    if window.counts_conversation(c) {
        acc.conversation(c);
    }
    let mut found = Vec::new();
    for h in window.handoffs(c) {
        let mine = context_loss::detect(h, &c.conversation, &c.messages);
        acc.handoff(h, c, contacts, !mine.is_empty());
        found.extend(mine);
    }
    found
}

/// Every conversation a window's report reads: those that started in it, then the earlier
/// ones with a handoff opened in it.
pub fn all_conversations(
    window: &crate::store::RecordedWindow,
) -> impl Iterator<Item = &RecordedConversation> {
    window.conversations.iter().chain(&window.earlier)
}

/// Build the report from what the store recorded.
pub fn build(
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
    group_by: Option<GroupBy>,
    window: &crate::store::RecordedWindow,
) -> Report {
    let contacts = contacts(window);
    let span = Window { from_ms, to_ms };
    let mut totals = Acc::default();
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let mut findings = Vec::new();
    for c in all_conversations(window) {
        let found = accumulate(&mut totals, c, &contacts, span);
        if let Some(g) = group_by {
            if span.counts_conversation(c) {
                groups
                    .entry(g.conversation_key(c))
                    .or_default()
                    .conversation(c);
            }
            for h in span.handoffs(c) {
                let lost = found.iter().any(|f| f.handoff_id == h.id);
                groups
                    .entry(g.handoff_key(c, h))
                    .or_default()
                    .handoff(h, c, &contacts, lost);
            }
        }
        findings.extend(found);
    }
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    Report {
        tenant: tenant.to_string(),
        from: time(from_ms),
        to: time(to_ms),
        group_by,
        truncated: window.truncated,
        totals: totals.finish(),
        groups: groups
            .into_iter()
            .map(|(key, acc)| Group {
                key,
                figures: acc.finish(),
            })
            .collect(),
        context_loss: findings,
        shadow: shadow::report(&window.conversations),
    }
}

/// The recorded window a report and its page are built from (one reading).
async fn read_window(
    store: &SharedStore,
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<crate::store::RecordedWindow, StoreError> {
    store
        .recorded_window(
            tenant,
            from_ms,
            to_ms,
            figures::REPEAT_CONTACT_MS,
            MAX_CONVERSATIONS,
        )
        .await
}

/// Read the window from the store and build the report.
pub async fn load(
    store: &SharedStore,
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
    group_by: Option<GroupBy>,
) -> Result<Report, StoreError> {
    let window = read_window(store, tenant, from_ms, to_ms).await?;
    Ok(build(tenant, from_ms, to_ms, group_by, &window))
}

/// The report as a self-contained HTML page (inline SVG charts, no external assets): what
/// `baton report --html` writes and `GET /v1/report/html` answers, from one reading.
pub struct Page {
    /// The page.
    pub html: String,
    /// Conversations the report counts.
    pub conversations: u64,
    /// Policy versions its series show.
    pub versions: usize,
}

/// Read the window from the store and render it as a [`Page`].
pub async fn load_page(
    store: &SharedStore,
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Page, StoreError> {
    let window = read_window(store, tenant, from_ms, to_ms).await?;
    let built = build(tenant, from_ms, to_ms, None, &window);
    let series = series::build(&window, from_ms, to_ms);
    Ok(Page {
        html: html::render(&built, &series, from_ms, to_ms),
        conversations: built.totals.conversations,
        versions: series.versions.len(),
    })
}
