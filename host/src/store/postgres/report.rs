//! Queries for reports, export, decision-log retention and the outbox status.

use super::read::{conversation, message, CONVERSATION_COLUMNS, MESSAGE_QUERY};
use super::PgStore;
use crate::store::encode::decode;
use crate::store::{LoggedDecision, OutboxCount, RecordedConversation, RecordedWindow, StoreError};

/// Rows deleted per statement when pruning, so other writes interleave.
const PRUNE_BATCH: i64 = 5_000;

impl PgStore {
    pub(crate) async fn outbox_counts_impl(&self) -> Result<Vec<OutboxCount>, StoreError> {
        Ok(self
            .rows(crate::store::outbox::COUNTS_SQL, &[])
            .await?
            .iter()
            .map(|r| OutboxCount {
                tenant: r.get(0),
                kind: r.get(1),
                delivered: r.get::<_, i64>(2).max(0) as u64,
                pending: r.get::<_, i64>(3).max(0) as u64,
                retrying: r.get::<_, i64>(4).max(0) as u64,
                failed: r.get::<_, i64>(5).max(0) as u64,
                last_error: r.get(6),
            })
            .collect())
    }

    /// Everything recorded about the conversations started in `[from, to)`, and about the
    /// earlier ones with a handoff opened in it, read in one repeatable-read transaction so
    /// the parts agree with each other.
    pub(crate) async fn recorded_window_impl(
        &self,
        tenant: &str,
        from_ms: i64,
        to_ms: i64,
        follow_ms: i64,
        limit: usize,
    ) -> Result<RecordedWindow, StoreError> {
        let mut conn = self.conn().await?;
        let tx = conn
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(super::db_error)?;
        let started = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations
             WHERE tenant = $1 AND created_ms >= $2 AND created_ms < $3
             ORDER BY created_ms, id LIMIT $4"
        );
        let earlier = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations
             WHERE tenant = $1 AND created_ms < $2 AND id IN
               (SELECT conversation_id FROM handoffs
                WHERE tenant = $1 AND opened_ms >= $2 AND opened_ms < $3)
             ORDER BY created_ms, id LIMIT $4"
        );
        let window = (from_ms, to_ms);
        let (conversations, truncated) = recorded(&tx, &started, tenant, window, limit).await?;
        let (earlier, more) = recorded(&tx, &earlier, tenant, window, limit).await?;
        let mut out = RecordedWindow {
            conversations,
            earlier,
            truncated: truncated || more,
            ..RecordedWindow::default()
        };
        let until = to_ms.saturating_add(follow_ms);
        out.contacts = tx
            .query(
                "SELECT customer_key, created_ms FROM conversations
                 WHERE tenant = $1 AND created_ms >= $2 AND created_ms < $3",
                &[&tenant, &from_ms, &until],
            )
            .await
            .map_err(super::db_error)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tx.commit().await.map_err(super::db_error)?;
        Ok(out)
    }

    /// Delete a tenant's decision-log rows older than `before_ms`, then its oldest rows
    /// beyond `keep_at_most`, in batches; returns how many went.
    pub(crate) async fn prune_decisions_impl(
        &self,
        tenant: &str,
        before_ms: i64,
        keep_at_most: u64,
    ) -> Result<u64, StoreError> {
        let mut deleted = 0u64;
        loop {
            let n = self
                .execute(
                    "DELETE FROM decisions WHERE id IN
                       (SELECT id FROM decisions WHERE tenant = $1 AND at_ms < $2 LIMIT $3)",
                    &[&tenant, &before_ms, &PRUNE_BATCH],
                )
                .await?;
            deleted += n;
            if n < PRUNE_BATCH as u64 {
                break;
            }
        }
        let count: i64 = self
            .rows(
                "SELECT COUNT(*) FROM decisions WHERE tenant = $1",
                &[&tenant],
            )
            .await?
            .first()
            .map(|r| r.get(0))
            .unwrap_or(0);
        let mut excess = (count.max(0) as u64).saturating_sub(keep_at_most);
        while excess > 0 {
            let batch = excess.min(PRUNE_BATCH as u64) as i64;
            let n = self
                .execute(
                    "DELETE FROM decisions WHERE id IN
                       (SELECT id FROM decisions WHERE tenant = $1 ORDER BY at_ms, id LIMIT $2)",
                    &[&tenant, &batch],
                )
                .await?;
            deleted += n;
            if n == 0 {
                break;
            }
            excess = excess.saturating_sub(n);
        }
        Ok(deleted)
    }
}

/// Everything recorded about the conversations `headers_sql` selects (at most `limit`;
/// `true` when there were more), inside the report's transaction.
async fn recorded(
    tx: &deadpool_postgres::Transaction<'_>,
    headers_sql: &str,
    tenant: &str,
    (from_ms, to_ms): (i64, i64),
    limit: usize,
) -> Result<(Vec<RecordedConversation>, bool), StoreError> {
    let fetch = (limit as i64).saturating_add(1);
    let headers = tx
        .query(headers_sql, &[&tenant, &from_ms, &to_ms, &fetch])
        .await
        .map_err(super::db_error)?;
    let mut headers = headers
        .iter()
        .map(conversation)
        .collect::<Result<Vec<_>, _>>()?;
    let truncated = headers.len() > limit;
    headers.truncate(limit);
    let messages_stmt = tx
        .prepare_cached(MESSAGE_QUERY)
        .await
        .map_err(super::db_error)?;
    let handoffs_stmt = tx
        .prepare_cached(
            "SELECT body FROM handoffs WHERE tenant = $1 AND conversation_id = $2 ORDER BY opened_ms, id",
        )
        .await
        .map_err(super::db_error)?;
    let decisions_stmt = tx
        .prepare_cached(
            "SELECT message_seq, policy_version, role, escalate, reason, fault_kind, latency_us, at_ms
             FROM decisions WHERE tenant = $1 AND conversation_id = $2 ORDER BY message_seq, role, id",
        )
        .await
        .map_err(super::db_error)?;
    let mut out = Vec::with_capacity(headers.len());
    for c in headers {
        let args: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&tenant, &c.id];
        let messages = tx
            .query(&messages_stmt, &args)
            .await
            .map_err(super::db_error)?;
        let handoffs = tx
            .query(&handoffs_stmt, &args)
            .await
            .map_err(super::db_error)?;
        let decisions = tx
            .query(&decisions_stmt, &args)
            .await
            .map_err(super::db_error)?;
        out.push(RecordedConversation {
            messages: messages.iter().map(message).collect::<Result<_, _>>()?,
            handoffs: handoffs
                .iter()
                .map(|r| decode(r.get::<_, &str>(0)))
                .collect::<Result<_, _>>()?,
            decisions: decisions
                .iter()
                .map(|r| LoggedDecision {
                    conversation_id: c.id.clone(),
                    message_seq: r.get(0),
                    policy_version: r.get(1),
                    role: r.get(2),
                    escalate: r.get(3),
                    reason: r.get(4),
                    fault_kind: r.get(5),
                    latency_us: r.get(6),
                    at_ms: r.get(7),
                })
                .collect(),
            conversation: c,
        });
    }
    Ok((out, truncated))
}
