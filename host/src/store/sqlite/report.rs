//! Queries for reports, export and decision-log retention.

use super::messages::{message_row, message_rows};
use super::{db_error, SqliteStore};
use crate::store::encode::decode;
use crate::store::{
    ConversationRow, HandoffRow, LoggedDecision, MessageRow, RecordedConversation, RecordedWindow,
    StoreError,
};
use rusqlite::{params, Connection};

/// Rows deleted per write job when pruning, so other writes interleave.
const PRUNE_BATCH: i64 = 5_000;

/// Conversations that started in `[from, to)`.
const STARTED_IN: &str =
    "SELECT id, channel, customer, customer_key, message_count, created_ms, updated_ms
     FROM conversations WHERE tenant = ?1 AND created_ms >= ?2 AND created_ms < ?3
     ORDER BY created_ms, id LIMIT ?4";

/// Conversations that started before `from` and had a handoff opened in `[from, to)`.
const EARLIER_WITH_HANDOFF_IN: &str = "SELECT id, channel, customer, customer_key, message_count, created_ms, updated_ms
     FROM conversations WHERE tenant = ?1 AND created_ms < ?2 AND id IN
       (SELECT conversation_id FROM handoffs WHERE tenant = ?1 AND opened_ms >= ?2 AND opened_ms < ?3)
     ORDER BY created_ms, id LIMIT ?4";

fn conversations(
    conn: &Connection,
    sql: &str,
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
    limit: usize,
) -> Result<Vec<ConversationRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let rows = stmt
        .query_map(params![tenant, from_ms, to_ms, limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    rows.into_iter()
        .map(
            |(id, channel, customer, customer_key, message_count, created_ms, updated_ms)| {
                Ok(ConversationRow {
                    id,
                    channel,
                    customer: decode(&customer)?,
                    customer_key,
                    message_count,
                    created_ms,
                    updated_ms,
                })
            },
        )
        .collect()
}

fn messages(conn: &Connection, tenant: &str, id: &str) -> Result<Vec<MessageRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, role, text, at_ms, intent, confidence, agent_id FROM messages
             WHERE tenant = ?1 AND conversation_id = ?2 ORDER BY seq",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map(params![tenant, id], message_row)
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    message_rows(rows)
}

fn handoffs(conn: &Connection, tenant: &str, id: &str) -> Result<Vec<HandoffRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT body FROM handoffs WHERE tenant = ?1 AND conversation_id = ?2 ORDER BY opened_ms, id",
        )
        .map_err(db_error)?;
    let bodies = stmt
        .query_map(params![tenant, id], |r| r.get::<_, String>(0))
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    bodies.iter().map(|b| decode(b)).collect()
}

fn decisions(conn: &Connection, tenant: &str, id: &str) -> Result<Vec<LoggedDecision>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT message_seq, policy_version, role, escalate, reason, fault_kind, latency_us, at_ms
             FROM decisions WHERE tenant = ?1 AND conversation_id = ?2 ORDER BY message_seq, role, id",
        )
        .map_err(db_error)?;
    let rows = stmt
        .query_map(params![tenant, id], |r| {
            Ok(LoggedDecision {
                conversation_id: id.to_string(),
                message_seq: r.get(0)?,
                policy_version: r.get(1)?,
                role: r.get(2)?,
                escalate: r.get::<_, i64>(3)? != 0,
                reason: r.get(4)?,
                fault_kind: r.get(5)?,
                latency_us: r.get(6)?,
                at_ms: r.get(7)?,
            })
        })
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    Ok(rows)
}

/// Everything recorded about the conversations of `sql` (at most `limit`; `true` when there
/// were more).
fn recorded(
    conn: &Connection,
    sql: &str,
    tenant: &str,
    (from_ms, to_ms): (i64, i64),
    limit: usize,
) -> Result<(Vec<RecordedConversation>, bool), StoreError> {
    let mut headers = conversations(conn, sql, tenant, from_ms, to_ms, limit.saturating_add(1))?;
    let truncated = headers.len() > limit;
    headers.truncate(limit);
    let mut out = Vec::with_capacity(headers.len());
    for c in headers {
        out.push(RecordedConversation {
            messages: messages(conn, tenant, &c.id)?,
            handoffs: handoffs(conn, tenant, &c.id)?,
            decisions: decisions(conn, tenant, &c.id)?,
            conversation: c,
        });
    }
    Ok((out, truncated))
}

/// Everything recorded about the conversations started in `[from, to)`, and about the
/// earlier ones with a handoff opened in it.
pub(crate) fn recorded_window(
    conn: &Connection,
    tenant: &str,
    from_ms: i64,
    to_ms: i64,
    follow_ms: i64,
    limit: usize,
) -> Result<RecordedWindow, StoreError> {
    let window = (from_ms, to_ms);
    let (conversations, truncated) = recorded(conn, STARTED_IN, tenant, window, limit)?;
    let (earlier, more) = recorded(conn, EARLIER_WITH_HANDOFF_IN, tenant, window, limit)?;
    let mut out = RecordedWindow {
        conversations,
        earlier,
        truncated: truncated || more,
        ..RecordedWindow::default()
    };
    let mut stmt = conn
        .prepare_cached(
            "SELECT customer_key, created_ms FROM conversations
             WHERE tenant = ?1 AND created_ms >= ?2 AND created_ms < ?3",
        )
        .map_err(db_error)?;
    out.contacts = stmt
        .query_map(
            params![tenant, from_ms, to_ms.saturating_add(follow_ms)],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    Ok(out)
}

impl SqliteStore {
    pub(crate) async fn recorded_window_impl(
        &self,
        tenant: &str,
        from_ms: i64,
        to_ms: i64,
        follow_ms: i64,
        limit: usize,
    ) -> Result<RecordedWindow, StoreError> {
        let tenant = tenant.to_string();
        self.read(move |conn| recorded_window(conn, &tenant, from_ms, to_ms, follow_ms, limit))
            .await
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
            let t = tenant.to_string();
            let n = self
                .write(move |conn| {
                    conn.execute(
                        "DELETE FROM decisions WHERE id IN
                           (SELECT id FROM decisions WHERE tenant = ?1 AND at_ms < ?2 LIMIT ?3)",
                        params![t, before_ms, PRUNE_BATCH],
                    )
                    .map_err(db_error)
                })
                .await? as u64;
            deleted += n;
            if n < PRUNE_BATCH as u64 {
                break;
            }
        }
        let t = tenant.to_string();
        let count: i64 = self
            .read(move |conn| {
                conn.query_row(
                    "SELECT COUNT(*) FROM decisions WHERE tenant = ?1",
                    params![t],
                    |r| r.get(0),
                )
                .map_err(db_error)
            })
            .await?;
        let mut excess = (count as u64).saturating_sub(keep_at_most);
        while excess > 0 {
            let t = tenant.to_string();
            let batch = excess.min(PRUNE_BATCH as u64) as i64;
            let n = self
                .write(move |conn| {
                    conn.execute(
                        "DELETE FROM decisions WHERE id IN
                           (SELECT id FROM decisions WHERE tenant = ?1 ORDER BY at_ms, id LIMIT ?2)",
                        params![t, batch],
                    )
                    .map_err(db_error)
                })
                .await? as u64;
            deleted += n;
            if n == 0 {
                break;
            }
            excess = excess.saturating_sub(n);
        }
        Ok(deleted)
    }

    pub(crate) async fn decision_log_tenants_impl(&self) -> Result<Vec<String>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT DISTINCT tenant FROM decisions ORDER BY tenant")
                .map_err(db_error)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error);
            rows
        })
        .await
    }
}
