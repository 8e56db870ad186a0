//! Queries, and the [`Store`] implementation that ties reads and writes together.

use super::{db_error, write, SqliteStore};
use crate::store::encode::{decode, from_name};
use crate::store::{
    Applied, CommitFeed, ConversationRow, DeliveryResult, Destination, EventRow, HandoffFilter,
    HandoffRow, KeyRole, KeyRow, LiveStats, MessageRow, OutboxCount, OutboxRow, PresenceRow,
    RecordedWindow, Store, StoreError, StoredResponse, WriteSet,
};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Row};

fn handoffs_where(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<HandoffRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let bodies = stmt
        .query_map(args, |r| r.get::<_, String>(0))
        .map_err(db_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db_error)?;
    bodies.iter().map(|b| decode(b)).collect()
}

/// An `api_keys` row as read, in `KEY_COLUMNS` order.
type KeyColumns = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn to_key(k: KeyColumns) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        id: k.0,
        hash: k.1,
        tenant: k.2,
        role: KeyRole::parse(&k.3)
            .ok_or_else(|| StoreError::Database(format!("unknown stored role `{}`", k.3)))?,
        agent_id: k.4,
        created_ms: k.5,
        revoked_ms: k.6,
        expires_ms: k.7,
    })
}

const KEY_COLUMNS: &str = "id, hash, tenant, role, agent_id, created_ms, revoked_ms, expires_ms";

impl SqliteStore {
    /// The key whose `column` (`id` or `hash`, both unique) is `value`, whatever its state.
    async fn key_where(
        &self,
        column: &'static str,
        value: &str,
    ) -> Result<Option<KeyRow>, StoreError> {
        let value = value.to_string();
        self.read_short(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE {column} = ?1"
            ))
            .map_err(db_error)?
            .query_row(params![value], key_row)
            .optional()
            .map_err(db_error)?
            .map(to_key)
            .transpose()
        })
        .await
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn apply(&self, tenant: &str, writes: WriteSet) -> Result<Applied, StoreError> {
        let touched = crate::store::touched(&writes);
        let owned = tenant.to_string();
        let applied = self
            .write(move |conn| write::apply(conn, &owned, &writes))
            .await?;
        self.commits.committed(tenant, &touched);
        Ok(applied)
    }

    async fn conversation(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.read_short(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT id, channel, customer, customer_key, message_count, created_ms, updated_ms
                     FROM conversations WHERE tenant = ?1 AND id = ?2",
                )
                .map_err(db_error)?
                .query_row(params![tenant, id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?, r.get::<_, i64>(5)?, r.get::<_, i64>(6)?))
                })
                .optional()
                .map_err(db_error)?;
            row.map(|(id, channel, customer, customer_key, message_count, created_ms, updated_ms)| {
                Ok(ConversationRow { id, channel, customer: decode(&customer)?, customer_key, message_count, created_ms, updated_ms })
            })
            .transpose()
        })
        .await
    }

    async fn messages(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Vec<MessageRow>, StoreError> {
        self.messages_from(tenant, conversation, 0).await
    }

    async fn messages_from(
        &self,
        tenant: &str,
        conversation: &str,
        from_seq: i64,
    ) -> Result<Vec<MessageRow>, StoreError> {
        self.read_messages_from(tenant, conversation, from_seq)
            .await
    }

    async fn messages_tail(
        &self,
        tenant: &str,
        conversation: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<MessageRow>, StoreError> {
        self.read_messages_tail(tenant, conversation, before, limit)
            .await
    }

    async fn handoff(&self, tenant: &str, id: &str) -> Result<Option<HandoffRow>, StoreError> {
        let (tenant, id) = (tenant.to_string(), id.to_string());
        self.read_short(move |conn| {
            Ok(handoffs_where(
                conn,
                "SELECT body FROM handoffs WHERE tenant = ?1 AND id = ?2",
                &[&tenant, &id],
            )?
            .pop())
        })
        .await
    }

    async fn open_handoff(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Option<HandoffRow>, StoreError> {
        let (tenant, conversation) = (tenant.to_string(), conversation.to_string());
        self.read_short(move |conn| {
            Ok(handoffs_where(
                conn,
                "SELECT body FROM handoffs WHERE tenant = ?1 AND conversation_id = ?2 AND is_open = 1",
                &[&tenant, &conversation],
            )?
            .pop())
        })
        .await
    }

    async fn conversation_handoffs(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Vec<HandoffRow>, StoreError> {
        let (tenant, conversation) = (tenant.to_string(), conversation.to_string());
        self.read_short(move |conn| {
            handoffs_where(
                conn,
                "SELECT body FROM handoffs WHERE tenant = ?1 AND conversation_id = ?2
                 ORDER BY opened_ms, id",
                &[&tenant, &conversation],
            )
        })
        .await
    }

    async fn handoffs(
        &self,
        tenant: &str,
        filter: &HandoffFilter,
    ) -> Result<Vec<HandoffRow>, StoreError> {
        let tenant = tenant.to_string();
        let filter = filter.clone();
        self.read_short(move |conn| {
            let limit = if filter.limit == 0 {
                100
            } else {
                filter.limit.min(1000)
            };
            // The state and the limit are written into the statement (a state is one of a few
            // fixed words): SQLite re-prepares a statement on every run when a bound value
            // may change its plan, as a bound state may (the partial indexes on `state`) and
            // a bound LIMIT does.
            let state = match filter.state {
                Some(s) => format!("state = '{}'", s.as_str()),
                None => "1".to_string(),
            };
            handoffs_where(
                conn,
                &format!(
                    "SELECT body FROM handoffs WHERE tenant = ?1
                       AND {state} AND (?2 IS NULL OR queue = ?2) AND (?3 = 0 OR is_open = 1)
                     ORDER BY is_open DESC, priority_rank DESC, opened_ms DESC LIMIT {limit}"
                ),
                &[&tenant, &filter.queue, &(filter.open_only as i64)],
            )
        })
        .await
    }

    async fn idempotent_response(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        let (tenant, key) = (tenant.to_string(), key.to_string());
        self.read_short(move |conn| {
            conn.prepare_cached(
                "SELECT status, body, request FROM idempotency WHERE tenant = ?1 AND key = ?2",
            )
            .map_err(db_error)?
            .query_row(params![tenant, key], |r| {
                Ok(StoredResponse {
                    status: r.get::<_, u16>(0)?,
                    body: r.get(1)?,
                    request: r.get(2)?,
                })
            })
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn events_after(
        &self,
        tenant: &str,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    // A literal limit: a bound one makes SQLite re-prepare on every run.
                    "SELECT id, kind, handoff_id, conversation_id, data, at_ms FROM events
                     WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT {limit}"
                ))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant, after_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            rows.into_iter()
                .map(|(id, kind, handoff_id, conversation_id, data, at_ms)| {
                    Ok(EventRow {
                        id,
                        kind,
                        handoff_id,
                        conversation_id,
                        data: decode(&data)?,
                        at_ms,
                    })
                })
                .collect()
        })
        .await
    }

    async fn presence(&self, tenant: &str) -> Result<Vec<PresenceRow>, StoreError> {
        let tenant = tenant.to_string();
        self.read_short(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT agent_id, presence, capacity, updated_ms FROM presence WHERE tenant = ?1")
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<u32>>(2)?, r.get::<_, i64>(3)?))
                })
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            rows.into_iter()
                .map(|(agent_id, presence, capacity, updated_ms)| {
                    Ok(PresenceRow { agent_id, presence: from_name(&presence)?, capacity, updated_ms })
                })
                .collect()
        })
        .await
    }

    async fn live_stats(&self, tenant: &str) -> Result<LiveStats, StoreError> {
        let tenant = tenant.to_string();
        self.read(move |conn| {
            let pairs = |sql: &str| -> Result<Vec<(String, u32)>, StoreError> {
                let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
                let rows = stmt
                    .query_map(params![tenant], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))
                    .map_err(db_error)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_error);
                rows
            };
            let times = |sql: &str| -> Result<Vec<i64>, StoreError> {
                let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
                let rows = stmt
                    .query_map(params![tenant], |r| r.get::<_, i64>(0))
                    .map_err(db_error)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_error);
                rows
            };
            Ok(LiveStats {
                load: pairs("SELECT accepted_by, COUNT(*) FROM handoffs WHERE tenant = ?1 AND state = 'accepted' GROUP BY accepted_by")?,
                depth: pairs("SELECT queue, COUNT(*) FROM handoffs WHERE tenant = ?1 AND state IN ('queued', 'offered') GROUP BY queue")?,
                recent_handle_ms: times(
                    "SELECT closed_ms - accepted_ms FROM handoffs WHERE tenant = ?1 AND accepted_ms IS NOT NULL AND closed_ms IS NOT NULL
                     ORDER BY closed_ms DESC LIMIT 50",
                )?,
                recent_accept_ms: times(
                    "SELECT accepted_ms - opened_ms FROM handoffs WHERE tenant = ?1 AND accepted_ms IS NOT NULL
                     ORDER BY accepted_ms DESC LIMIT 50",
                )?,
            })
        })
        .await
    }

    async fn previous_agent(
        &self,
        tenant: &str,
        customer_key: &str,
    ) -> Result<Option<String>, StoreError> {
        let (tenant, key) = (tenant.to_string(), customer_key.to_string());
        self.read_short(move |conn| {
            conn.prepare_cached(
                "SELECT accepted_by FROM handoffs WHERE tenant = ?1 AND customer_key = ?2 AND accepted_by IS NOT NULL
                 ORDER BY accepted_ms DESC LIMIT 1",
            )
            .map_err(db_error)?
            .query_row(params![tenant, key], |r| r.get::<_, String>(0))
            .optional()
            .map_err(db_error)
        })
        .await
    }

    async fn expired_offers(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, HandoffRow)>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT tenant, body FROM handoffs WHERE state = 'offered' AND offer_expires_ms <= ?1
                     ORDER BY offer_expires_ms LIMIT {limit}"
                ))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![now_ms], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            rows.into_iter().map(|(t, b)| Ok((t, decode(&b)?))).collect()
        })
        .await
    }

    async fn idle_handoffs(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(HandoffRow, i64)>, StoreError> {
        let (tenant, limit) = (tenant.to_string(), limit as i64);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body, active FROM (
                       SELECT h.body AS body, MAX(h.opened_ms, COALESCE(
                         (SELECT MAX(m.at_ms) FROM messages m WHERE m.tenant = h.tenant
                            AND m.conversation_id = h.conversation_id AND m.role = 'customer'),
                         0)) AS active
                       FROM handoffs h WHERE h.tenant = ?1 AND h.state IN ('queued', 'offered')
                         AND h.opened_ms < ?2)
                     WHERE active < ?2 ORDER BY active LIMIT ?3",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant, before_ms, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            rows.into_iter()
                .map(|(b, at)| Ok((decode(&b)?, at)))
                .collect()
        })
        .await
    }

    async fn due_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT id, tenant, kind, url, secret_env, body, attempts FROM outbox
                     WHERE next_ms IS NOT NULL AND next_ms <= ?1 ORDER BY next_ms LIMIT {limit}"
                ))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![now_ms], |r| {
                    let kind: String = r.get(2)?;
                    Ok(OutboxRow {
                        id: r.get(0)?,
                        tenant: r.get(1)?,
                        to: Destination::from_columns(&kind, r.get(3)?, r.get(4)?).map_err(
                            |e| {
                                rusqlite::Error::FromSqlConversionFailure(
                                    2,
                                    rusqlite::types::Type::Text,
                                    e.into(),
                                )
                            },
                        )?,
                        body: r.get(5)?,
                        attempts: r.get(6)?,
                    })
                })
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            Ok(rows)
        })
        .await
    }

    async fn delivery_result(&self, id: i64, result: DeliveryResult) -> Result<(), StoreError> {
        self.write(move |conn| {
            match result {
                DeliveryResult::Delivered { at_ms } => conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_ms = NULL, delivered_ms = ?2, last_error = NULL WHERE id = ?1",
                    params![id, at_ms],
                ),
                DeliveryResult::Failed { error, retry_at_ms } => conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, next_ms = ?2, last_error = ?3 WHERE id = ?1",
                    params![id, retry_at_ms, error],
                ),
            }
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>, StoreError> {
        self.outbox_counts_impl().await
    }

    async fn insert_key(&self, key: KeyRow) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO api_keys (id, hash, tenant, role, agent_id, created_ms, revoked_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![key.id, key.hash, key.tenant, key.role.as_str(), key.agent_id, key.created_ms, key.revoked_ms, key.expires_ms],
            )
            .map_err(db_error)?;
            Ok(())
        })
        .await
    }

    async fn key_by_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError> {
        self.key_where("hash", hash).await
    }

    async fn key_by_id(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        self.key_where("id", id).await
    }

    async fn revoke_key(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE api_keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
                    params![id, now_ms],
                )
                .map_err(db_error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn keys(&self, tenant: Option<&str>) -> Result<Vec<KeyRow>, StoreError> {
        let tenant = tenant.map(str::to_string);
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE ?1 IS NULL OR tenant = ?1 ORDER BY created_ms, id"))
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant], key_row)
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            rows.into_iter().map(to_key).collect()
        })
        .await
    }

    async fn recorded_window(
        &self,
        tenant: &str,
        from_ms: i64,
        to_ms: i64,
        follow_ms: i64,
        limit: usize,
    ) -> Result<RecordedWindow, StoreError> {
        self.recorded_window_impl(tenant, from_ms, to_ms, follow_ms, limit)
            .await
    }

    async fn prune_decisions(
        &self,
        tenant: &str,
        before_ms: i64,
        keep_at_most: u64,
    ) -> Result<u64, StoreError> {
        self.prune_decisions_impl(tenant, before_ms, keep_at_most)
            .await
    }

    async fn decision_log_tenants(&self) -> Result<Vec<String>, StoreError> {
        self.decision_log_tenants_impl().await
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn commits(&self) -> &CommitFeed {
        &self.commits
    }
}
