//! Outbox counts for the operator's status.

use super::{db_error, SqliteStore};
use crate::store::{OutboxCount, StoreError};

const COUNTS: &str = "
    WITH o AS (
        SELECT id, tenant, delivered_ms, next_ms, attempts, last_error,
               CASE WHEN url LIKE 'baton-sms:%' THEN 'sms'
                    WHEN url LIKE 'baton-alert-sms:%' THEN 'alert_sms'
                    WHEN url LIKE 'baton-alert-email:%' THEN 'alert_email'
                    ELSE 'webhook' END AS kind
          FROM outbox)
    SELECT tenant, kind,
           SUM(delivered_ms IS NOT NULL),
           SUM(next_ms IS NOT NULL AND attempts = 0),
           SUM(next_ms IS NOT NULL AND attempts > 0),
           SUM(next_ms IS NULL AND delivered_ms IS NULL),
           (SELECT o2.last_error FROM o AS o2
             WHERE o2.tenant = o.tenant AND o2.kind = o.kind
               AND o2.delivered_ms IS NULL AND o2.last_error IS NOT NULL
             ORDER BY o2.id DESC LIMIT 1)
      FROM o GROUP BY tenant, kind ORDER BY tenant, kind";

impl SqliteStore {
    pub(crate) async fn outbox_counts_impl(&self) -> Result<Vec<OutboxCount>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(COUNTS).map_err(db_error)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(OutboxCount {
                        tenant: r.get(0)?,
                        kind: r.get(1)?,
                        delivered: r.get::<_, i64>(2)?.max(0) as u64,
                        pending: r.get::<_, i64>(3)?.max(0) as u64,
                        retrying: r.get::<_, i64>(4)?.max(0) as u64,
                        failed: r.get::<_, i64>(5)?.max(0) as u64,
                        last_error: r.get(6)?,
                    })
                })
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            Ok(rows)
        })
        .await
    }
}
