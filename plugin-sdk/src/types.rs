//! The values a policy sees and returns: plain Rust mirrors of `wit/since_v0.1.0/policy.wit`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The business's customer.
    Customer,
    /// The business's chat or SMS bot.
    Bot,
    /// A human agent of the business.
    Agent,
    /// A system notice (e.g. "an agent has joined"), or a segment marker the host inserts
    /// in the trigger input ([`crate::SegmentMarker`]).
    System,
}

/// One message of a conversation, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// What was written.
    pub text: String,
    /// When, in milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    /// The bot's intent label for its turn (bot messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The bot's confidence for its turn, 0.0 to 1.0 (bot messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

impl Message {
    /// Whether the customer wrote this message.
    pub fn is_customer(&self) -> bool {
        self.role == Role::Customer
    }
    /// Whether the bot wrote this message.
    pub fn is_bot(&self) -> bool {
        self.role == Role::Bot
    }
}

/// What the business knows about the customer. Only `name` is always present.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Customer {
    /// The customer's name as the channel knows it.
    pub name: String,
    /// Phone number, E.164 where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Service address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Whether the customer has been served before.
    #[serde(default)]
    pub repeat_customer: bool,
    /// What the customer has spent with the business, in US dollars.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_value_usd: Option<f64>,
    /// Free labels from the channel or CRM, e.g. `vip`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The tenant's clock at the moment of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Clock {
    /// Now, milliseconds since the Unix epoch (UTC).
    pub now_ms: i64,
    /// Local day of the week, 0 = Monday ... 6 = Sunday.
    pub weekday: u8,
    /// Local minutes since midnight, 0 to 1439.
    pub minute_of_day: u16,
    /// Whether the business is open now by its configured hours.
    pub open: bool,
}

/// Why a conversation should pass to a person.
///
/// Written as `snake_case` strings in TOML, JSON and reports: `explicit_request`,
/// `frustration`, ..., or a tenant's own reason such as `warranty_claim`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The customer asks for a person.
    ExplicitRequest,
    /// The customer is annoyed, angry or giving up.
    Frustration,
    /// The bot is out of its depth: its confidence stays low.
    LowConfidence,
    /// Danger to people or property now: gas, flooding, sparks, no heat for someone vulnerable.
    Emergency,
    /// A large job: whole-home repipe, full system replacement, multi-system install.
    HighValue,
    /// A wrong charge, a refund, a disputed bill.
    BillingDispute,
    /// Non-standard needs the bot can't quote.
    Customization,
    /// Financing, insurance claims, permits, coordination with third parties.
    ComplexInquiry,
    /// The customer has to repeat themselves, or the bot loops.
    Repetition,
    /// A tenant-specific reason (lowercase `snake_case`, at most 40 bytes).
    Custom(String),
}

impl Reason {
    /// The nine stock reasons, in the order a receiver needs to know them.
    pub const STOCK: [Reason; 9] = [
        Reason::Emergency,
        Reason::ExplicitRequest,
        Reason::BillingDispute,
        Reason::Frustration,
        Reason::Repetition,
        Reason::HighValue,
        Reason::ComplexInquiry,
        Reason::Customization,
        Reason::LowConfidence,
    ];

    /// The `snake_case` name.
    pub fn as_str(&self) -> &str {
        match self {
            Reason::ExplicitRequest => "explicit_request",
            Reason::Frustration => "frustration",
            Reason::LowConfidence => "low_confidence",
            Reason::Emergency => "emergency",
            Reason::HighValue => "high_value",
            Reason::BillingDispute => "billing_dispute",
            Reason::Customization => "customization",
            Reason::ComplexInquiry => "complex_inquiry",
            Reason::Repetition => "repetition",
            Reason::Custom(name) => name,
        }
    }

    /// Whether `name` is acceptable as a custom reason: 1 to 40 bytes of `a-z`, `0-9`, `_`,
    /// starting with a letter.
    pub fn is_valid_custom(name: &str) -> bool {
        (1..=40).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }
}

/// An error for a reason name that is neither stock nor a valid custom name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidReason(pub String);

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a reason: use one of the nine stock reasons or a lowercase snake_case name of at most 40 characters",
            self.0
        )
    }
}

impl std::error::Error for InvalidReason {}

impl FromStr for Reason {
    type Err = InvalidReason;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "explicit_request" => Reason::ExplicitRequest,
            "frustration" => Reason::Frustration,
            "low_confidence" => Reason::LowConfidence,
            "emergency" => Reason::Emergency,
            "high_value" => Reason::HighValue,
            "billing_dispute" => Reason::BillingDispute,
            "customization" => Reason::Customization,
            "complex_inquiry" => Reason::ComplexInquiry,
            "repetition" => Reason::Repetition,
            other if Reason::is_valid_custom(other) => Reason::Custom(other.to_string()),
            other => return Err(InvalidReason(other.to_string())),
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How urgently a person is needed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Can wait for the next working day.
    Low,
    /// The usual.
    #[default]
    Normal,
    /// Ahead of normal work.
    High,
    /// Jumps every queue: danger now.
    Urgent,
}

impl Priority {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }
}

/// The conversation so far, as a trigger policy sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// The channel's id for the conversation.
    pub id: String,
    /// `web_chat`, `sms`, `email`, ...
    pub channel: String,
    /// Who the customer is.
    pub customer: Customer,
    /// The messages up to and including the customer message that prompted the call, with
    /// a `system` segment marker where each closed handoff of the conversation ended (see
    /// [`crate::segment`]: [`Conversation::current_segment`] is the episode to judge).
    pub messages: Vec<Message>,
    /// The tenant's clock.
    #[serde(default)]
    pub clock: Clock,
}

impl Conversation {
    /// The customer's messages, oldest first.
    pub fn customer_messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter().filter(|m| m.is_customer())
    }
    /// The bot's messages, oldest first.
    pub fn bot_messages(&self) -> impl DoubleEndedIterator<Item = &Message> {
        self.messages.iter().filter(|m| m.is_bot())
    }
    /// The text of the customer's latest message, or `""`.
    pub fn last_customer_text(&self) -> &str {
        self.customer_messages()
            .next_back()
            .map(|m| m.text.as_str())
            .unwrap_or("")
    }
}

/// A trigger policy's answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Decision {
    /// Whether to hand the conversation to a person now.
    pub escalate: bool,
    /// Why; required when `escalate` is true.
    pub reason: Option<Reason>,
    /// How urgently.
    pub priority: Priority,
    /// Short labels for routing and reporting (at most 16, each at most 64 bytes).
    #[serde(default)]
    pub tags: Vec<String>,
    /// One or two sentences a person can read (at most 1,000 bytes).
    #[serde(default)]
    pub explanation: String,
}

impl Decision {
    /// Most tags a decision may carry.
    pub const MAX_TAGS: usize = 16;
    /// Longest tag, in bytes.
    pub const MAX_TAG_LEN: usize = 64;
    /// Longest explanation, in bytes.
    pub const MAX_EXPLANATION_LEN: usize = 1000;

    /// Keep the bot on the conversation.
    pub fn stay() -> Self {
        Decision::default()
    }

    /// Hand the conversation to a person for `reason`.
    pub fn escalate(reason: Reason, priority: Priority) -> Self {
        Decision {
            escalate: true,
            reason: Some(reason),
            priority,
            tags: Vec::new(),
            explanation: String::new(),
        }
    }

    /// Set the explanation a person reads.
    pub fn because(mut self, explanation: impl Into<String>) -> Self {
        self.explanation = explanation.into();
        self
    }

    /// Add a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Check the limits the host enforces; `Err` names what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.escalate && self.reason.is_none() {
            return Err("an escalating decision has no reason".into());
        }
        if let Some(Reason::Custom(name)) = &self.reason {
            if !Reason::is_valid_custom(name) {
                return Err(
                    InvalidReason(crate::text::clip(name, crate::text::QUOTE_CHARS)).to_string(),
                );
            }
        }
        if self.tags.len() > Self::MAX_TAGS {
            return Err(format!(
                "{} tags, at most {} allowed",
                self.tags.len(),
                Self::MAX_TAGS
            ));
        }
        if let Some(t) = self.tags.iter().find(|t| t.len() > Self::MAX_TAG_LEN) {
            return Err(format!(
                "a tag of {} bytes, at most {} allowed",
                t.len(),
                Self::MAX_TAG_LEN
            ));
        }
        if self.explanation.len() > Self::MAX_EXPLANATION_LEN {
            return Err(format!(
                "an explanation of {} bytes, at most {} allowed",
                self.explanation.len(),
                Self::MAX_EXPLANATION_LEN
            ));
        }
        Ok(())
    }
}

/// Availability an agent has set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Ready to take handoffs.
    Available,
    /// Signed in but not taking new handoffs.
    Busy,
    /// Away.
    #[default]
    Offline,
}

/// One person who can take handoffs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Agent {
    /// Stable id from the tenant's roster.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Skills, e.g. `gas`, `billing`, `spanish`.
    #[serde(default)]
    pub skills: Vec<String>,
    /// Availability now.
    #[serde(default)]
    pub presence: Presence,
    /// How many handoffs they may hold at once.
    #[serde(default)]
    pub capacity: u32,
    /// How many they hold now.
    #[serde(default)]
    pub load: u32,
    /// Whether they take after-hours work.
    #[serde(default)]
    pub on_call: bool,
}

impl Agent {
    /// Whether the agent can take one more handoff now.
    pub fn has_room(&self) -> bool {
        self.presence == Presence::Available && self.load < self.capacity
    }
    /// Whether the agent has `skill`.
    pub fn has_skill(&self, skill: &str) -> bool {
        self.skills.iter().any(|s| s == skill)
    }
}

/// A named waiting line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Queue {
    /// Name from the tenant's TOML.
    pub name: String,
    /// Skills the queue serves.
    #[serde(default)]
    pub skills: Vec<String>,
    /// The wait the business aims for, in seconds.
    #[serde(default)]
    pub target_wait_secs: u32,
    /// How many handoffs wait in it now.
    #[serde(default)]
    pub depth: u32,
}

/// The tenant's people and queues at the moment of the call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Roster {
    /// Every agent on the roster, whatever their presence.
    pub agents: Vec<Agent>,
    /// Every queue.
    pub queues: Vec<Queue>,
    /// Where a handoff goes when nothing better fits.
    pub fallback_queue: String,
}

/// The handoff a routing policy is asked to place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRequest {
    /// The conversation being handed off.
    pub conversation_id: String,
    /// The channel it came from.
    pub channel: String,
    /// Why the trigger policy escalated.
    pub reason: Reason,
    /// How urgently.
    pub priority: Priority,
    /// The trigger decision's tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The bot's last intent label.
    #[serde(default)]
    pub intent: Option<String>,
    /// Who the customer is.
    pub customer: Customer,
    /// The agent who served this customer last.
    #[serde(default)]
    pub previous_agent: Option<String>,
    /// Agents who already declined this handoff or let the offer time out.
    #[serde(default)]
    pub declined_by: Vec<String>,
    /// The tenant's clock.
    #[serde(default)]
    pub clock: Clock,
}

/// A routing policy's answer: offer to `agents` in order; if none accepts, wait in `queue`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RouteChoice {
    /// Agent ids from the roster, best first (may be empty).
    pub agents: Vec<String>,
    /// A queue name from the roster.
    pub queue: String,
    /// Why, for a person reading the handoff.
    #[serde(default)]
    pub explanation: String,
}
