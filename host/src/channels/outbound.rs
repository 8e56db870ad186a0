//! What goes out through the durable outbox besides webhooks: replies and notices of SMS
//! conversations to the customer's phone, and offer alerts to the agent's email and phone.
//!
//! These are outbox rows like webhook deliveries, written in the same transaction as the
//! change they report, and retried with the same backoff. Their `url` names the channel
//! and the address: `baton-sms:+15555550117` (to a customer), `baton-alert-sms:+1555...`
//! and `baton-alert-email:sam@acme.example` (to an agent). The row's body is the event as
//! webhooks get it; the text is written from it when it is sent.

use crate::alerts::email::{offer_email, Mailer};
use crate::alerts::sms::{offer_text, AlertFacts};
use crate::channels::sms::{SmsSender, TwilioSender};
use crate::config::{TenantConfig, WebhookEvent};
use crate::store::{HandoffState, NewDelivery, OutboxRow, SharedStore, WriteSet};
use crate::tenants::Tenants;
use baton_plugin_sdk::Role;
use serde_json::Value;
use std::sync::Arc;

/// To a customer's phone.
pub const CUSTOMER_SMS: &str = "baton-sms:";
/// An offer alert to an agent's phone.
pub const ALERT_SMS: &str = "baton-alert-sms:";
/// An offer alert to an agent's email.
pub const ALERT_EMAIL: &str = "baton-alert-email:";

/// The conversation id the SMS bridge gives a customer's number.
pub fn sms_conversation_id(number: &str) -> String {
    format!("sms:{number}")
}

/// The customer's number of an SMS bridge conversation.
pub fn sms_number(conversation_id: &str) -> Option<&str> {
    conversation_id
        .strip_prefix("sms:")
        .filter(|n| n.starts_with('+'))
}

/// The kind of an outbox row, for status counts: `sms`, `alert_sms`, `alert_email` or
/// `webhook`.
pub fn row_kind(url: &str) -> &'static str {
    if url.starts_with(CUSTOMER_SMS) {
        "sms"
    } else if url.starts_with(ALERT_SMS) {
        "alert_sms"
    } else if url.starts_with(ALERT_EMAIL) {
        "alert_email"
    } else {
        "webhook"
    }
}

fn deliver_to(w: &mut WriteSet, event: usize, url: String) {
    w.deliveries.push(NewDelivery {
        event,
        url,
        secret_env: String::new(),
    });
}

/// Add the channel deliveries event `index` of `w` calls for (called by `push_event`).
pub(crate) fn push(
    w: &mut WriteSet,
    config: &TenantConfig,
    kind: WebhookEvent,
    conversation_id: &str,
    index: usize,
) {
    let Some(data) = w.events.get(index).map(|e| e.data.clone()) else {
        return;
    };
    if let (Some(_), Some(number)) = (&config.sms, sms_number(conversation_id)) {
        let wanted = match kind {
            WebhookEvent::HandoffMessage => data["message"]["role"] == "agent",
            WebhookEvent::HandoffOpened
            | WebhookEvent::HandoffAccepted
            | WebhookEvent::HandoffHandedBack => data["notice"]["text"].is_string(),
            _ => false,
        };
        if wanted {
            deliver_to(w, index, format!("{CUSTOMER_SMS}{number}"));
        }
    }
    if kind == WebhookEvent::HandoffOffered {
        let agent = data["agent_id"].as_str().and_then(|id| config.agent(id));
        if let Some(a) = agent {
            if let Some(email) = &a.alert.email {
                deliver_to(w, index, format!("{ALERT_EMAIL}{email}"));
            }
            if let (Some(phone), Some(_)) = (&a.alert.sms, &config.sms) {
                deliver_to(w, index, format!("{ALERT_SMS}{phone}"));
            }
        }
    }
}

/// Sends the channel rows of the outbox.
#[derive(Clone)]
pub struct ChannelSender {
    store: SharedStore,
    tenants: Arc<Tenants>,
    client: reqwest::Client,
    mailer: Option<Arc<Mailer>>,
}

impl ChannelSender {
    /// A sender; without a `mailer`, email alerts fail (and are retried) saying so.
    pub fn new(store: SharedStore, tenants: Arc<Tenants>, mailer: Option<Arc<Mailer>>) -> Self {
        ChannelSender {
            store,
            tenants,
            client: super::sms::http_client(),
            mailer,
        }
    }

    /// Send `row` when it is a channel row (`None` for a webhook).
    pub async fn deliver(&self, row: &OutboxRow) -> Option<Result<(), String>> {
        let kind = row_kind(&row.url);
        if kind == "webhook" {
            return None;
        }
        Some(self.send(kind, row).await)
    }

    async fn send(&self, kind: &str, row: &OutboxRow) -> Result<(), String> {
        let body: Value = serde_json::from_str(&row.body).map_err(|e| e.to_string())?;
        let version = self
            .tenants
            .get(&row.tenant)
            .ok_or_else(|| format!("tenant `{}` has no serving version", row.tenant))?;
        let config = &version.config;
        let address = row.url.split_once(':').map(|(_, a)| a).unwrap_or("");
        let sender = || -> Result<TwilioSender, String> {
            let sms = config
                .sms
                .as_ref()
                .ok_or("the tenant has no `[sms]` any more")?;
            TwilioSender::from_config(self.client.clone(), sms)
        };
        match kind {
            "sms" => {
                let data = &body["data"];
                let text = data["message"]["text"]
                    .as_str()
                    .or_else(|| data["notice"]["text"].as_str())
                    .ok_or("the event carries no text to send")?;
                sender()?.send(address, text).await.map(|_| ())
            }
            _ => {
                let Some(facts) = self.facts(config, &body).await? else {
                    return Ok(()); // no longer offered to this agent: nothing to alert
                };
                if kind == "alert_sms" {
                    sender()?
                        .send(address, &offer_text(&facts))
                        .await
                        .map(|_| ())
                } else {
                    let mailer = self.mailer.as_ref().ok_or(
                        "no SMTP relay is configured (`baton serve --smtp URL` or BATON_SMTP_URL)",
                    )?;
                    let (subject, text) = offer_email(&facts);
                    mailer.send(address, &subject, text).await
                }
            }
        }
    }

    /// The facts of an offer alert, or `None` when the offer has moved on (a retried alert
    /// must not send an agent to a handoff that is no longer theirs).
    async fn facts(
        &self,
        config: &TenantConfig,
        body: &Value,
    ) -> Result<Option<AlertFacts>, String> {
        let data = &body["data"];
        let agent_id = data["agent_id"].as_str().unwrap_or("");
        let handoff_id = body["handoff_id"].as_str().unwrap_or("");
        let tenant = &config.tenant_id;
        let h = self
            .store
            .handoff(tenant, handoff_id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(h) = h.filter(|h| {
            h.state == HandoffState::Offered && h.offered_to.as_deref() == Some(agent_id)
        }) else {
            return Ok(None);
        };
        let conversation = self
            .store
            .conversation(tenant, &h.conversation_id)
            .await
            .map_err(|e| e.to_string())?;
        let messages = self
            .store
            .messages(tenant, &h.conversation_id)
            .await
            .map_err(|e| e.to_string())?;
        let last_customer_text = messages
            .iter()
            .rev()
            .find(|m| m.message.role == Role::Customer)
            .map(|m| m.message.text.clone());
        let agent = config.agent(agent_id);
        Ok(Some(AlertFacts {
            business: config.name.clone(),
            agent_first_name: agent
                .map(|a| a.first_name().to_string())
                .unwrap_or_default(),
            customer: conversation
                .map(|c| c.customer.name)
                .unwrap_or_else(|| "A customer".into()),
            reason: h.reason.replace('_', " "),
            priority: h.priority.as_str().to_string(),
            explanation: h.explanation.clone(),
            last_customer_text,
            hold_secs: config.limits.offer_timeout_secs,
            handoff_id: h.id.clone(),
            conversation_id: h.conversation_id.clone(),
        }))
    }
}
