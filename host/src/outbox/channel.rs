//! Sending the outbox's channel rows: replies and notices to a customer's phone, and offer
//! alerts to an agent's phone and email. The row's body is the event as webhooks get it; the
//! text is written from it when it is sent.

use super::accept_link::LinkMinter;
use super::alert_text::{offer_text, AlertFacts};
use super::email::{offer_email, Mailer};
use crate::channels::sms::{SmsSender, TwilioSender};
use crate::config::TenantConfig;
use crate::store::{Destination, HandoffState, OutboxRow, SharedStore};
use crate::tenants::Tenants;
use baton_plugin_sdk::Role;
use serde_json::Value;
use std::sync::Arc;

/// Sends the channel rows of the outbox.
#[derive(Clone)]
pub struct ChannelSender {
    store: SharedStore,
    tenants: Arc<Tenants>,
    client: reqwest::Client,
    mailer: Option<Arc<Mailer>>,
    /// Makes the alerts' accept links (none without a public address: alerts then point to
    /// the inbox).
    links: Option<LinkMinter>,
}

impl ChannelSender {
    /// A sender; without a `mailer`, email alerts fail (and are retried) saying so.
    pub fn new(store: SharedStore, tenants: Arc<Tenants>, mailer: Option<Arc<Mailer>>) -> Self {
        ChannelSender {
            store,
            tenants,
            client: crate::channels::sms::http_client(),
            mailer,
            links: None,
        }
    }

    /// Put a one-time accept link (from `links`) in every offer alert.
    pub fn with_links(mut self, links: LinkMinter) -> Self {
        self.links = Some(links);
        self
    }

    /// Send `row` when it is a channel row (`None` for a webhook).
    pub async fn deliver(&self, row: &OutboxRow) -> Option<Result<(), String>> {
        if matches!(row.to, Destination::Webhook { .. }) {
            return None;
        }
        Some(self.send(row).await)
    }

    async fn send(&self, row: &OutboxRow) -> Result<(), String> {
        let body: Value = serde_json::from_str(&row.body).map_err(|e| e.to_string())?;
        let version = self
            .tenants
            .get(&row.tenant)
            .ok_or_else(|| format!("tenant `{}` has no serving version", row.tenant))?;
        let config = &version.config;
        let sender = || -> Result<TwilioSender, String> {
            let sms = config
                .sms
                .as_ref()
                .ok_or("the tenant has no `[sms]` any more")?;
            TwilioSender::from_config(self.client.clone(), sms)
        };
        if let Destination::CustomerSms { number } = &row.to {
            let data = &body["data"];
            let text = data["message"]["text"]
                .as_str()
                .or_else(|| data["notice"]["text"].as_str())
                .ok_or("the event carries no text to send")?;
            return sender()?.send(number, text).await.map(|_| ());
        }
        let Some(facts) = self.facts(config, &body).await? else {
            return Ok(()); // no longer offered to this agent: nothing to alert
        };
        let agent = body["data"]["agent_id"].as_str().unwrap_or("");
        // The link is made only once the alert can go out, so a channel that is not set up
        // does not leave a link behind on every retry.
        match &row.to {
            Destination::AgentSms { phone } => {
                let sms = sender()?;
                let facts = self.with_link(config, facts, agent).await?;
                sms.send(phone, &offer_text(&facts)).await.map(|_| ())
            }
            Destination::AgentEmail { address } => {
                let mailer = self.mailer.as_ref().ok_or(
                    "no SMTP relay is configured (`baton serve --smtp URL` or BATON_SMTP_URL)",
                )?;
                let facts = self.with_link(config, facts, agent).await?;
                let (subject, text) = offer_email(&facts);
                mailer.send(address, &subject, text).await
            }
            Destination::Webhook { .. } | Destination::CustomerSms { .. } => Ok(()),
        }
    }

    /// `facts` with a new one-time accept link for `agent`, when links are made.
    async fn with_link(
        &self,
        config: &TenantConfig,
        mut facts: AlertFacts,
        agent: &str,
    ) -> Result<AlertFacts, String> {
        if let Some(links) = &self.links {
            let url = links
                .mint(&config.tenant_id, &facts.handoff_id, agent)
                .await
                .map_err(|e| format!("cannot store the accept link: {e}"))?;
            facts.accept_url = Some(url);
        }
        Ok(facts)
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
            // As long as this offer is held: a page is held longer than an inbox offer.
            hold_secs: match (h.offer_expires_ms, body["at_ms"].as_i64()) {
                (Some(until), Some(at)) => ((until - at).max(0) / 1000) as u32,
                _ => config.limits.offer_timeout_secs,
            },
            handoff_id: h.id.clone(),
            conversation_id: h.conversation_id.clone(),
            accept_url: None,
        }))
    }
}
