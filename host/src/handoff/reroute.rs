//! Asking the tenant's routing policy again: every offer after the first (a decline, a
//! timed-out offer, a promotion from the queue) goes to someone the routing plugin returns
//! for the *current* roster (presence, load, who declined). A routing fault takes the safe
//! path (the fallback queue, nobody offered) and is recorded like a trigger fault.

use super::desk::{Desk, DeskError};
use super::lifecycle::push_event;
use crate::config::WebhookEvent;
use crate::store::{HandoffRow, HandoffState, WriteSet};
use crate::tenants::TenantVersion;
use baton_plugin_sdk::{Priority, Reason, Roster, RouteRequest};
use serde_json::json;

/// Whether an offer of `h` may page an on-call agent who is offline in the inbox: an
/// emergency, at any hour (on call means reachable through the alert contacts; in hours
/// the on-call agent may be off shift while nobody signed in can take it).
pub(crate) fn pages_offline(h: &HandoffRow) -> bool {
    is_emergency(h)
}

/// Whether an emergency that was offered is now waiting with nobody left to offer or
/// page: the customer must be told (no emergency silently waits).
pub(crate) fn nobody_reached(before: &HandoffRow, after: &HandoffRow) -> bool {
    before.state == HandoffState::Offered
        && after.state == HandoffState::Queued
        && is_emergency(after)
}

/// Whether `h` is an emergency: urgent priority or the emergency reason.
pub(crate) fn is_emergency(h: &HandoffRow) -> bool {
    h.priority == Priority::Urgent || h.reason == "emergency"
}

impl Desk {
    /// Ask the routing policy of `version` where `h` should go now, given `roster`. A
    /// fault is recorded (the tenant's fault counter, a `policy.fault` event in `w`) and
    /// moves the handoff to the fallback queue. Sets `h.route` to the answer; returns whether
    /// the policy faulted.
    pub(crate) async fn reroute(
        &self,
        tenant: &str,
        version: &TenantVersion,
        h: &mut HandoffRow,
        roster: &Roster,
        w: &mut WriteSet,
    ) -> Result<bool, DeskError> {
        let config = &version.config;
        let conversation = self.store.conversation(tenant, &h.conversation_id).await?;
        let (channel, customer, customer_key) = match conversation {
            Some(c) => (c.channel, c.customer, c.customer_key),
            None => return Err(DeskError::NotFound("conversation")),
        };
        let previous_agent = self.store.previous_agent(tenant, &customer_key).await?;
        let intent = self
            .store
            .messages(tenant, &h.conversation_id)
            .await?
            .into_iter()
            .rev()
            .find_map(|m| m.message.intent);
        let now = self.clock.now();
        let request = RouteRequest {
            conversation_id: h.conversation_id.clone(),
            channel,
            reason: h
                .reason
                .parse()
                .unwrap_or_else(|_| Reason::Custom("policy_fault".into())),
            priority: h.priority,
            tags: h.tags.clone(),
            intent,
            customer,
            previous_agent,
            declined_by: h.declined_by.clone(),
            clock: config.clock_at(now),
        };
        let routed = version.routing.route(&request, roster).await;
        if let Some(f) = &routed.fault {
            self.tenants.record_fault(tenant, f);
            push_event(
                w,
                config,
                WebhookEvent::PolicyFault,
                None,
                &h.conversation_id,
                json!({"plugin": "routing", "fault": f, "policy_version": version.id}),
                now.as_millisecond(),
            );
            h.queue = config.fallback_queue.clone();
        }
        h.route = routed.choice.agents;
        h.routing_note = routed.choice.explanation;
        Ok(routed.fault.is_some())
    }
}
