//! The customer-facing notice: what the customer is told when a person is brought in.

use super::wait::WaitEstimate;
use crate::config::{format_wait, NoticeKind, TenantConfig, Vars};
use serde::Serialize;

/// A notice for the channel to show or send to the customer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Notice {
    /// Which template: `offered`, `queued`, `after_hours`, `emergency`, `joined`, `handback`.
    pub kind: String,
    /// The text, ready to send.
    pub text: String,
    /// The wait, when the customer waits in a queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait: Option<WaitEstimate>,
}

/// Render `kind` for the tenant, with the agent's name and the wait where they apply.
pub fn render(
    config: &TenantConfig,
    kind: NoticeKind,
    agent: Option<&str>,
    wait: Option<WaitEstimate>,
    now: jiff::Timestamp,
) -> Notice {
    let first_name = agent
        .and_then(|id| config.agent(id))
        .map(|a| a.first_name().to_string())
        .unwrap_or_else(|| "a member of our team".to_string());
    let vars = Vars {
        business: config.name.clone(),
        agent_first_name: first_name,
        position: wait
            .map(|w| w.position.to_string())
            .unwrap_or_else(|| "1".into()),
        wait: wait
            .map(|w| format_wait(w.seconds))
            .unwrap_or_else(|| "a few minutes".into()),
        opens: config
            .hours
            .opens_phrase(now)
            .unwrap_or_else(|| "soon".into()),
        emergency_phone: config
            .emergency_phone
            .clone()
            .unwrap_or_else(|| "911".into()),
    };
    Notice {
        kind: kind.key().to_string(),
        text: config.notices.get(kind).render(&vars),
        wait,
    }
}
