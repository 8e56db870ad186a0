//! Outbox counts for the operator's status.

use super::{db_error, SqliteStore};
use crate::store::outbox::COUNTS_SQL;
use crate::store::{OutboxCount, StoreError};

impl SqliteStore {
    pub(crate) async fn outbox_counts_impl(&self) -> Result<Vec<OutboxCount>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(COUNTS_SQL).map_err(db_error)?;
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
