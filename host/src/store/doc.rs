//! The schemas of the plugin SDK's types as the API shows them (the SDK is a plugin's
//! dependency and carries no OpenAPI derive). Each mirrors its SDK type field for field and
//! exists only for `/openapi.json`: `Customer`, `Message`, `Priority`, `Role`.

use utoipa::ToSchema;

/// Who wrote a message.
#[derive(ToSchema)]
#[schema(as = Role)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum RoleDoc {
    /// The business's customer.
    Customer,
    /// The business's chat or SMS bot.
    Bot,
    /// A human agent of the business.
    Agent,
    /// A system notice (e.g. "an agent has joined").
    System,
}

/// How urgent a handoff is.
#[derive(ToSchema)]
#[schema(as = Priority)]
#[allow(dead_code)]
#[serde(rename_all = "snake_case")]
pub enum PriorityDoc {
    /// Can wait for the next working day.
    Low,
    /// The usual.
    Normal,
    /// Ahead of normal work.
    High,
    /// Jumps every queue: danger now.
    Urgent,
}

/// What the business knows about the customer. Only `name` is always present.
#[derive(ToSchema)]
#[schema(as = Customer)]
#[allow(dead_code)]
pub struct CustomerDoc {
    /// The customer's name as the channel knows it (not blank).
    #[schema(pattern = "\\S")]
    name: String,
    /// Phone number, E.164 where known.
    phone: Option<String>,
    /// Email address, as the channel gave it (not checked: a typo must not lose the message).
    email: Option<String>,
    /// Service address.
    address: Option<String>,
    /// Whether the customer has been served before.
    #[schema(default = false, required = false)]
    repeat_customer: bool,
    /// What the customer has spent with the business, in US dollars (not negative).
    #[schema(minimum = 0.0)]
    lifetime_value_usd: Option<f64>,
    /// Free labels from the channel or CRM, e.g. `vip` (default none).
    #[schema(required = false)]
    tags: Vec<String>,
}

/// One stored message of a conversation.
#[derive(ToSchema)]
#[schema(as = Message)]
#[allow(dead_code)]
pub struct MessageDoc {
    /// 0-based position in the conversation.
    #[schema(minimum = 0)]
    seq: i64,
    /// Who wrote it.
    role: RoleDoc,
    /// What was written.
    text: String,
    /// When, in milliseconds since the Unix epoch (UTC).
    at_ms: i64,
    /// The bot's intent label for its turn (bot messages only).
    intent: Option<String>,
    /// The bot's confidence for its turn, 0.0 to 1.0 (bot messages only).
    #[schema(minimum = 0.0, maximum = 1.0)]
    confidence: Option<f32>,
    /// The agent who wrote it (agent messages).
    agent_id: Option<String>,
}
