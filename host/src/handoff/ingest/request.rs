//! What a channel may send: the event as it arrives (`IngestRequest`) and the checks it
//! passes before anything is stored (a valid conversation id, no NUL, a known role, the
//! tenant's length and size caps), and what identifies it under an idempotency key.

use super::super::desk::DeskError;
use crate::store::{hash_key, ConversationRow, StoredResponse};
use baton_plugin_sdk::text::{clip, QUOTE_CHARS};
use baton_plugin_sdk::{Customer, Message, Role, SegmentMarker, SEGMENT_MARKER};
use serde::{Deserialize, Serialize};

/// Longest message text accepted, in bytes.
pub const MAX_TEXT: usize = 8_000;

/// `POST /v1/conversations/{id}/events`: one message in the shape of the fixture format.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestRequest {
    /// `customer`, `bot` or `system` (agents write through their handoff).
    #[schema(pattern = "^(customer|bot|system)$")]
    pub role: String,
    /// The message text (not blank; at most 8,000 bytes).
    #[schema(pattern = "\\S", max_length = 8000)]
    pub text: String,
    /// When it was written (RFC 3339); default: when it arrives.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub at: Option<String>,
    /// The bot's intent label (bot messages only; at most 100 characters).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub intent: Option<String>,
    /// The bot's confidence, 0.0 to 1.0 (bot messages only).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub confidence: Option<f32>,
    /// The customer profile (first event, or to update it).
    #[serde(default)]
    #[schema(value_type = Option<crate::store::CustomerDoc>)]
    pub customer: Option<Customer>,
    /// The channel, e.g. `web_chat`, `sms` (first event; 1 to 40 characters).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 40)]
    pub channel: Option<String>,
}

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> DeskError {
    DeskError::Invalid {
        field,
        message: message.into(),
    }
}

/// What identifies a request under its idempotency key: the SHA-256 of its canonical JSON.
pub(super) fn request_fingerprint(req: &IngestRequest) -> String {
    hash_key(&serde_json::to_string(req).unwrap_or_default())
}

/// The stored answer of a replayed key, or 422 when the key answered another request: a
/// reused key must never swallow a new message.
pub(super) fn replayed(stored: StoredResponse, fingerprint: &str) -> Result<String, DeskError> {
    if !stored.request.is_empty() && stored.request != fingerprint {
        return Err(invalid(
            "Idempotency-Key",
            "this key was already used for a different message in this conversation; \
             send a new key for a new message",
        ));
    }
    Ok(stored.body)
}

/// The first text field of an event holding a NUL character: PostgreSQL cannot store one
/// and SQLite can, so the desk refuses it on both (the API already refuses it in any body;
/// this covers every other way in, e.g. `baton replay` and the SMS bridge).
fn nul_field(req: &IngestRequest) -> Option<&'static str> {
    let has = |s: &Option<String>| s.as_deref().is_some_and(|s| s.contains('\0'));
    let c = req.customer.as_ref();
    [
        ("role", req.role.contains('\0')),
        ("text", req.text.contains('\0')),
        ("at", has(&req.at)),
        ("intent", has(&req.intent)),
        ("channel", has(&req.channel)),
        ("customer.name", c.is_some_and(|c| c.name.contains('\0'))),
        ("customer.phone", c.is_some_and(|c| has(&c.phone))),
        ("customer.email", c.is_some_and(|c| has(&c.email))),
        ("customer.address", c.is_some_and(|c| has(&c.address))),
        (
            "customer.tags",
            c.is_some_and(|c| c.tags.iter().any(|t| t.contains('\0'))),
        ),
    ]
    .into_iter()
    .find_map(|(field, nul)| nul.then_some(field))
}

/// Check an event and turn it into a message.
pub(super) fn message_of(req: &IngestRequest, now: jiff::Timestamp) -> Result<Message, DeskError> {
    if let Some(field) = nul_field(req) {
        return Err(invalid(
            field,
            "contains a NUL character (\\u0000), which Baton does not store",
        ));
    }
    let role = match req.role.as_str() {
        "customer" => Role::Customer,
        "bot" => Role::Bot,
        "system" => Role::System,
        "agent" => {
            return Err(invalid(
                "role",
                "agents write through `POST /v1/handoffs/{id}/messages`",
            ))
        }
        other => {
            return Err(invalid(
                "role",
                format!(
                    "`{}` is not a role: use `customer`, `bot` or `system`",
                    clip(other, QUOTE_CHARS)
                ),
            ))
        }
    };
    if req.text.trim().is_empty() {
        return Err(invalid("text", "the text is empty"));
    }
    if req.text.len() > MAX_TEXT {
        return Err(invalid(
            "text",
            format!("the text is {} bytes; at most {MAX_TEXT}", req.text.len()),
        ));
    }
    let at = match &req.at {
        None => now,
        Some(s) => s.parse::<jiff::Timestamp>().map_err(|e| {
            invalid(
                "at",
                format!("`{}` is not an RFC 3339 time: {e}", clip(s, QUOTE_CHARS)),
            )
        })?,
    };
    if role != Role::Bot && (req.intent.is_some() || req.confidence.is_some()) {
        return Err(invalid(
            if req.intent.is_some() {
                "intent"
            } else {
                "confidence"
            },
            "only bot messages carry an intent and a confidence",
        ));
    }
    if let Some(c) = req.confidence {
        if !(0.0..=1.0).contains(&c) || c.is_nan() {
            return Err(invalid("confidence", format!("{c} is outside 0.0 to 1.0")));
        }
    }
    if let Some(i) = &req.intent {
        if i.chars().count() > 100 {
            return Err(invalid(
                "intent",
                "the intent is longer than 100 characters",
            ));
        }
    }
    let message = Message {
        role,
        text: req.text.clone(),
        at_ms: at.as_millisecond(),
        intent: req.intent.clone(),
        confidence: req.confidence,
    };
    if SegmentMarker::parse(&message).is_some() {
        return Err(invalid(
            "text",
            format!(
                "a system message may not begin with `{SEGMENT_MARKER}`: the host marks \
                 conversation segments with it"
            ),
        ));
    }
    Ok(message)
}

/// A text over the tenant's `[limits] max_message_bytes` is refused whole (never cut).
pub(super) fn over_length(
    req: &IngestRequest,
    limits: &crate::config::Limits,
) -> Result<(), DeskError> {
    let max = limits.max_message_bytes as usize;
    if req.text.len() > max {
        return Err(invalid(
            "text",
            format!(
                "the text is {} bytes; this business takes at most {max}",
                req.text.len()
            ),
        ));
    }
    Ok(())
}

/// A conversation holding `[limits] max_conversation_messages` takes no more from a
/// channel; refused before anything is stored.
pub(super) fn full(
    conversation: &ConversationRow,
    limits: &crate::config::Limits,
) -> Result<(), DeskError> {
    let max = i64::from(limits.max_conversation_messages);
    if conversation.message_count >= max {
        return Err(invalid(
            "id",
            format!(
                "this conversation holds {} messages, the most this business keeps in one; \
                 start a new conversation",
                conversation.message_count
            ),
        ));
    }
    Ok(())
}

pub(super) fn customer_key(c: &Customer, conversation: &str) -> String {
    match (&c.phone, &c.email) {
        (Some(phone), _) => phone.clone(),
        (None, Some(email)) => email.clone(),
        // An anonymous visitor is only ever the same customer as themselves.
        _ if c.name == super::super::ANONYMOUS_CUSTOMER => format!("visitor:{conversation}"),
        _ => format!("name:{}", c.name.to_lowercase()),
    }
}

/// A conversation id that is not [`valid_conversation_id`] is refused before anything else.
pub(super) fn check_id(id: &str) -> Result<(), DeskError> {
    if valid_conversation_id(id) {
        return Ok(());
    }
    Err(invalid(
        "id",
        "a conversation id is 1 to 128 letters, digits or `-_.:@+`",
    ))
}

/// Whether `id` is acceptable as a conversation id.
pub fn valid_conversation_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:@+".contains(&b))
}
