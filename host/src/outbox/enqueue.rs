//! Which outbox rows a lifecycle event calls for, written into the same write set as the
//! event (so they commit, or not, with the change they report).

use crate::channels::sms::sms_number;
use crate::config::{TenantConfig, WebhookEvent};
use crate::store::{Destination, NewDelivery, WriteSet};

fn deliver_to(w: &mut WriteSet, event: usize, to: Destination) {
    w.deliveries.push(NewDelivery { event, to });
}

/// Add the deliveries event `index` of `w` calls for: the tenant's webhooks that want its
/// kind, the customer's phone for an SMS conversation's replies and notices (an event's
/// `notice`, where it has one), and the offered agent's alerts (called by the desk with each
/// lifecycle event it writes).
pub(crate) fn push(
    w: &mut WriteSet,
    config: &TenantConfig,
    kind: WebhookEvent,
    conversation_id: &str,
    index: usize,
) {
    for hook in config.webhooks.iter().filter(|h| h.wants(kind)) {
        let to = Destination::Webhook {
            url: hook.url.clone(),
            secret_env: hook.secret_env.clone().unwrap_or_default(),
        };
        deliver_to(w, index, to);
    }
    let Some(data) = w.events.get(index).map(|e| e.data.clone()) else {
        return;
    };
    if let (Some(_), Some(number)) = (&config.sms, sms_number(conversation_id)) {
        let wanted = match kind {
            WebhookEvent::HandoffMessage => data["message"]["role"] == "agent",
            WebhookEvent::HandoffOpened
            | WebhookEvent::HandoffAccepted
            | WebhookEvent::HandoffHandedBack
            | WebhookEvent::HandoffQueued
            // A re-route or a promotion tells the customer who is coming now; the offer made
            // when the handoff opens carries no notice (`handoff.opened` has it).
            | WebhookEvent::HandoffOffered => data["notice"]["text"].is_string(),
            _ => false,
        };
        if wanted {
            let number = number.to_string();
            deliver_to(w, index, Destination::CustomerSms { number });
        }
    }
    if kind == WebhookEvent::HandoffOffered {
        let agent = data["agent_id"].as_str().and_then(|id| config.agent(id));
        if let Some(a) = agent {
            if let Some(email) = &a.alert.email {
                let address = email.clone();
                deliver_to(w, index, Destination::AgentEmail { address });
            }
            if let (Some(phone), Some(_)) = (&a.alert.sms, &config.sms) {
                let phone = phone.clone();
                deliver_to(w, index, Destination::AgentSms { phone });
            }
        }
    }
}
