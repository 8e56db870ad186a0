//! Accepting a handoff from the one-time link in an agent's page (`outbox::accept_link`
//! makes the links): the same accept as the inbox's, as the agent the link was sent to,
//! with the link marked used in the same transaction, so it works once.

use super::desk::{Desk, DeskError};
use crate::outbox::accept_link::{parse, record_key, used_key, LinkRecord};
use crate::store::{HandoffRow, HandoffState, StoredResponse};
use baton_plugin_sdk::{Customer, Role};
use serde::Serialize;

/// What the accept page shows before the agent accepts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkOffer {
    /// The business.
    pub business: String,
    /// The agent the link accepts as.
    pub agent_id: String,
    /// Their first name, for the greeting.
    pub agent_first_name: String,
    /// The handoff.
    pub handoff_id: String,
    /// Its state now: `offered`, `queued` (both can be accepted), or later ones.
    pub state: String,
    /// Whom it is offered to now, if anyone.
    pub offered_to: Option<String>,
    /// Whether accepting can succeed now: waiting (offered or queued), and the accept rule
    /// lets the link's agent take it (see `why_not`).
    pub acceptable: bool,
    /// Why the link's agent cannot accept it now, when it waits but the accept rule refuses
    /// (offered to someone else, the agent offline with it in the queue, no room).
    pub why_not: Option<String>,
    /// The customer's name.
    pub customer_name: String,
    /// Why the bot handed over (`emergency`, ...).
    pub reason: String,
    /// `low` to `urgent`.
    pub priority: String,
    /// The customer's last words.
    pub last_customer_text: Option<String>,
    /// When the link stops working (ms since the epoch).
    pub link_expires_ms: i64,
}

/// The answer to an accept through a link: the handoff is the agent's now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LinkAccepted {
    /// The accepted handoff.
    pub handoff: HandoffRow,
    /// The customer, with the phone to call them back on when the channel is SMS.
    #[schema(value_type = crate::store::CustomerDoc)]
    pub customer: Customer,
    /// The conversation's channel.
    pub channel: String,
}

impl Desk {
    /// The tenant, the hash and the record of a link that may be used now: 404 unknown,
    /// 410 used or expired.
    async fn usable_link(&self, token: &str) -> Result<(String, String, LinkRecord), DeskError> {
        let unknown = || DeskError::NotFound("accept link");
        let (tenant, hash) = parse(token).ok_or_else(unknown)?;
        let stored = self
            .store
            .idempotent_response(tenant, &record_key(&hash))
            .await?
            .ok_or_else(unknown)?;
        let record: LinkRecord = serde_json::from_str(&stored.body).map_err(|e| {
            DeskError::Unavailable(format!("an accept link record is unreadable: {e}"))
        })?;
        if self
            .store
            .idempotent_response(tenant, &used_key(&hash))
            .await?
            .is_some()
        {
            return Err(DeskError::Gone("this accept link was already used".into()));
        }
        if self.clock.now_ms() > record.expires_ms {
            return Err(DeskError::Gone(
                "this accept link has expired; accept the handoff in the inbox".into(),
            ));
        }
        Ok((tenant.to_string(), hash, record))
    }

    /// The work of [`Desk::link_offer`] (see `operations.rs`).
    pub(super) async fn link_offer_of(&self, token: &str) -> Result<LinkOffer, DeskError> {
        let (tenant, _, record) = self.usable_link(token).await?;
        let config = self.version(&tenant)?.config.clone();
        let h = self
            .store
            .handoff(&tenant, &record.handoff_id)
            .await?
            .ok_or(DeskError::NotFound("handoff"))?;
        let conversation = self.store.conversation(&tenant, &h.conversation_id).await?;
        let messages = self.store.messages(&tenant, &h.conversation_id).await?;
        let last_customer_text = messages
            .iter()
            .rev()
            .find(|m| m.message.role == Role::Customer)
            .map(|m| m.message.text.clone());
        let agent = config.agent(&record.agent_id);
        let waiting = matches!(h.state, HandoffState::Offered | HandoffState::Queued);
        let why_not = match self
            .accept_rule(&tenant, &config, &h, &record.agent_id)
            .await
        {
            Ok(_) => None,
            Err(DeskError::Conflict(m) | DeskError::Forbidden(m)) => Some(m),
            Err(e) => return Err(e),
        }
        .filter(|_| waiting);
        Ok(LinkOffer {
            business: config.name.clone(),
            agent_first_name: agent
                .map(|a| a.first_name().to_string())
                .unwrap_or_default(),
            agent_id: record.agent_id.clone(),
            handoff_id: h.id.clone(),
            state: h.state.as_str().to_string(),
            offered_to: h.offered_to.clone(),
            acceptable: waiting && why_not.is_none(),
            why_not,
            customer_name: conversation.map(|c| c.customer.name).unwrap_or_default(),
            reason: h.reason.clone(),
            priority: h.priority.as_str().to_string(),
            last_customer_text,
            link_expires_ms: record.expires_ms,
        })
    }

    /// The work of [`Desk::accept_by_link`], once (see `operations.rs`).
    pub(super) async fn accept_by_link_once(&self, token: &str) -> Result<LinkAccepted, DeskError> {
        let (tenant, hash, record) = self.usable_link(token).await?;
        let used = StoredResponse {
            status: 0,
            body: serde_json::json!({"used_ms": self.clock.now_ms()}).to_string(),
            request: String::new(),
        };
        let accepted = self
            .accept_once(
                &tenant,
                &record.handoff_id,
                &record.agent_id,
                Some((used_key(&hash), used)),
            )
            .await;
        let h = match accepted {
            Ok(h) => h,
            // The used mark was taken first by a racing tap: say so rather than the store's
            // words.
            Err(DeskError::Conflict(m)) => {
                self.usable_link(token).await?;
                return Err(DeskError::Conflict(m));
            }
            Err(e) => return Err(e),
        };
        let conversation = self
            .store
            .conversation(&tenant, &h.conversation_id)
            .await?
            .ok_or(DeskError::NotFound("conversation"))?;
        Ok(LinkAccepted {
            handoff: h,
            customer: conversation.customer,
            channel: conversation.channel,
        })
    }
}
