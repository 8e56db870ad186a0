//! The outbox as the operator sees it: per tenant and kind of row, what is waiting,
//! failing and given up.

use serde::Serialize;

/// One tenant's outbox rows of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OutboxCount {
    /// The tenant.
    #[serde(skip)]
    pub tenant: String,
    /// `webhook`, `sms` (to customers), `alert_email` or `alert_sms` (to agents).
    pub kind: String,
    /// Sent.
    pub delivered: u64,
    /// Not yet attempted.
    pub pending: u64,
    /// Failed at least once and due to be retried.
    pub retrying: u64,
    /// Failed too often and given up.
    pub failed: u64,
    /// The most recent error of a retrying or failed row.
    pub last_error: Option<String>,
}
