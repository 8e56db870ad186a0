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

/// Outbox rows per tenant and kind, in SQL both backends run: `tenant, kind, delivered,
/// pending, retrying, failed, last_error`.
pub(crate) const COUNTS_SQL: &str = "
    WITH o AS (
        SELECT id, tenant, delivered_ms, next_ms, attempts, last_error, kind FROM outbox)
    SELECT tenant, kind,
           SUM(CASE WHEN delivered_ms IS NOT NULL THEN 1 ELSE 0 END),
           SUM(CASE WHEN next_ms IS NOT NULL AND attempts = 0 THEN 1 ELSE 0 END),
           SUM(CASE WHEN next_ms IS NOT NULL AND attempts > 0 THEN 1 ELSE 0 END),
           SUM(CASE WHEN next_ms IS NULL AND delivered_ms IS NULL THEN 1 ELSE 0 END),
           (SELECT o2.last_error FROM o AS o2
             WHERE o2.tenant = o.tenant AND o2.kind = o.kind
               AND o2.delivered_ms IS NULL AND o2.last_error IS NOT NULL
             ORDER BY o2.id DESC LIMIT 1)
      FROM o GROUP BY tenant, kind ORDER BY tenant, kind";
