//! The web-chat widget's turn as one desk use case: the visitor's message is stored and
//! decided on; while the bot still has the conversation, the tenant's bot hook answers and
//! its answer is stored as the bot's turn (with its intent and confidence, so the trigger
//! policy sees them). The API only checks the session and the rate limits, then asks for
//! this; it never parses an answer back.

use super::desk::{Desk, DeskError};
use super::ingest::IngestRequest;
use crate::channels::bot;
use baton_plugin_sdk::Customer;

/// Longest visitor name kept, in characters (a longer one is cut, not refused: the page
/// filled it in, and the message matters more than the name).
const MAX_VISITOR_NAME: usize = 100;
/// Longest visitor email kept, in bytes (a longer one is dropped).
const MAX_VISITOR_EMAIL: usize = 200;
/// Longest visitor phone kept, in bytes (a longer one is dropped).
const MAX_VISITOR_PHONE: usize = 30;

/// Who the visitor says they are, when the page knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visitor {
    /// Their name.
    pub name: String,
    /// Their email.
    pub email: Option<String>,
    /// Their phone.
    pub phone: Option<String>,
}

/// What the widget posts: the visitor's text and, optionally, who they are.
#[derive(Debug, Clone, PartialEq)]
pub struct WidgetTurn {
    /// What the visitor wrote.
    pub text: String,
    /// Who they are, when the page knows.
    pub visitor: Option<Visitor>,
}

/// What came of a widget turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnTaken {
    /// The stored customer message's position.
    pub seq: i64,
    /// Whether a person has the conversation or has been asked for (the bot was not asked).
    pub handoff_open: bool,
    /// What the bot answered and was stored as its turn; `None` when a person has the
    /// conversation, the bot stayed silent or failed, or its answer was refused.
    pub bot: Option<String>,
}

impl Desk {
    /// The work of [`Desk::widget_turn`] (see `operations.rs`).
    pub(super) async fn widget_turn_once(
        &self,
        tenant: &str,
        id: &str,
        turn: WidgetTurn,
    ) -> Result<TurnTaken, DeskError> {
        let fresh = self.store.conversation(tenant, id).await?.is_none();
        let request = IngestRequest {
            role: "customer".into(),
            text: turn.text.clone(),
            at: None,
            intent: None,
            confidence: None,
            customer: customer_of(turn.visitor, fresh),
            channel: fresh.then(|| "web_chat".to_string()),
        };
        let answer = self.ingest_unkeyed(tenant, id, request).await?;
        let handoff_open = answer.handoff.is_some();
        let bot = if handoff_open {
            None
        } else {
            self.bot_turn(tenant, id, &turn.text).await?
        };
        Ok(TurnTaken {
            seq: answer.seq,
            handoff_open,
            bot,
        })
    }

    /// Ask the tenant's bot for its answer to `text` and store it as the bot's turn.
    async fn bot_turn(
        &self,
        tenant: &str,
        id: &str,
        text: &str,
    ) -> Result<Option<String>, DeskError> {
        let version = self.version(tenant)?;
        let config = &version.config;
        let client = crate::channels::sms::http_client();
        let reply = match bot::ask(&client, &config.widget, tenant, &config.name, id, text).await {
            Ok(Some(reply)) => reply,
            Ok(None) => return Ok(None),
            Err(e) => {
                tracing::warn!(tenant, error = %e, "the widget's bot did not answer");
                return Ok(None);
            }
        };
        let request = IngestRequest {
            role: "bot".into(),
            text: reply.text.clone(),
            at: None,
            intent: reply.intent,
            confidence: reply.confidence.map(|c| c.clamp(0.0, 1.0)),
            customer: None,
            channel: None,
        };
        match self.ingest_unkeyed(tenant, id, request).await {
            Ok(_) => Ok(Some(reply.text)),
            // A bot answer over the tenant's limits is not stored; the visitor is not told.
            Err(e @ DeskError::Invalid { .. }) => {
                tracing::warn!(tenant, error = %e, "the widget's bot answer was refused");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The customer profile a widget turn carries: what the visitor said about themselves
/// (bounded), or, on a new conversation of someone who said nothing, the anonymous visitor.
fn customer_of(visitor: Option<Visitor>, fresh: bool) -> Option<Customer> {
    match visitor {
        Some(v) => Some(Customer {
            name: baton_plugin_sdk::text::clip(v.name.trim(), MAX_VISITOR_NAME),
            email: v.email.filter(|e| e.len() <= MAX_VISITOR_EMAIL),
            phone: v.phone.filter(|p| p.len() <= MAX_VISITOR_PHONE),
            ..Customer::default()
        }),
        None if fresh => Some(Customer {
            name: super::ANONYMOUS_CUSTOMER.into(),
            ..Customer::default()
        }),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visitor_is_bounded_and_a_silent_new_one_is_anonymous() {
        let long = Visitor {
            name: "N".repeat(300),
            email: Some(format!("{}@example.com", "e".repeat(300))),
            phone: Some("+15555550117".into()),
        };
        let c = customer_of(Some(long), true).expect("a customer");
        assert_eq!(c.name.chars().count(), MAX_VISITOR_NAME);
        assert_eq!(c.email, None);
        assert_eq!(c.phone.as_deref(), Some("+15555550117"));
        let anonymous = customer_of(None, true).expect("a customer");
        assert_eq!(anonymous.name, crate::handoff::ANONYMOUS_CUSTOMER);
        assert_eq!(customer_of(None, false), None);
    }
}
