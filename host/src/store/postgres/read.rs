//! Queries, and the [`Store`] implementation that ties reads and writes together.

use super::{db_error, write, PgStore};
use crate::store::encode::{decode, from_name};
use crate::store::{
    Applied, CommitFeed, ConversationRow, DeliveryResult, Destination, EventRow, HandoffFilter,
    HandoffRow, HostVersion, KeyRole, KeyRow, LiveStats, MessageRow, OutboxCount, OutboxRow,
    PresenceRow, RecordedWindow, Store, StoreError, StoredResponse, WriteSet, CLAIM_MS,
};
use async_trait::async_trait;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

type Args<'a> = &'a [&'a (dyn ToSql + Sync)];

impl PgStore {
    /// Run one query on a pooled connection (prepared once per connection).
    pub(crate) async fn rows(&self, sql: &str, args: Args<'_>) -> Result<Vec<Row>, StoreError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await.map_err(db_error)?;
        conn.query(&stmt, args).await.map_err(db_error)
    }

    /// Run one statement on a pooled connection; returns the rows it changed.
    pub(crate) async fn execute(&self, sql: &str, args: Args<'_>) -> Result<u64, StoreError> {
        let conn = self.conn().await?;
        let stmt = conn.prepare_cached(sql).await.map_err(db_error)?;
        conn.execute(&stmt, args).await.map_err(db_error)
    }

    async fn handoff_bodies(
        &self,
        sql: &str,
        args: Args<'_>,
    ) -> Result<Vec<HandoffRow>, StoreError> {
        self.rows(sql, args)
            .await?
            .iter()
            .map(|r| decode(r.get::<_, &str>(0)))
            .collect()
    }
}

pub(crate) fn conversation(r: &Row) -> Result<ConversationRow, StoreError> {
    Ok(ConversationRow {
        id: r.get(0),
        channel: r.get(1),
        customer: decode(r.get::<_, &str>(2))?,
        customer_key: r.get(3),
        message_count: r.get(4),
        created_ms: r.get(5),
        updated_ms: r.get(6),
    })
}

pub(crate) const CONVERSATION_COLUMNS: &str =
    "id, channel, customer, customer_key, message_count, created_ms, updated_ms";
pub(crate) const MESSAGE_QUERY: &str =
    "SELECT seq, role, text, at_ms, intent, confidence, agent_id FROM messages
     WHERE tenant = $1 AND conversation_id = $2 ORDER BY seq";

/// [`MESSAGE_QUERY`] from position `$3` on.
const MESSAGE_FROM_QUERY: &str =
    "SELECT seq, role, text, at_ms, intent, confidence, agent_id FROM messages
     WHERE tenant = $1 AND conversation_id = $2 AND seq >= $3 ORDER BY seq";

pub(crate) fn message(r: &Row) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        seq: r.get(0),
        message: baton_plugin_sdk::Message {
            role: from_name(r.get::<_, &str>(1))?,
            text: r.get(2),
            at_ms: r.get(3),
            intent: r.get(4),
            confidence: r.get::<_, Option<f64>>(5).map(|c| c as f32),
        },
        agent_id: r.get(6),
    })
}

const KEY_COLUMNS: &str = "id, hash, tenant, role, agent_id, created_ms, revoked_ms, expires_ms";

fn key(r: &Row) -> Result<KeyRow, StoreError> {
    let role: &str = r.get(3);
    Ok(KeyRow {
        id: r.get(0),
        hash: r.get(1),
        tenant: r.get(2),
        role: KeyRole::parse(role)
            .ok_or_else(|| StoreError::Database(format!("unknown stored role `{role}`")))?,
        agent_id: r.get(4),
        created_ms: r.get(5),
        revoked_ms: r.get(6),
        expires_ms: r.get(7),
    })
}

fn pairs(rows: Vec<Row>) -> Vec<(String, u32)> {
    rows.iter()
        .map(|r| {
            (
                r.get(0),
                r.get::<_, i64>(1).clamp(0, u32::MAX as i64) as u32,
            )
        })
        .collect()
}

#[async_trait]
impl Store for PgStore {
    async fn apply(&self, tenant: &str, writes: WriteSet) -> Result<Applied, StoreError> {
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(db_error)?;
        let applied = write::apply(&tx, tenant, &writes).await?;
        tx.commit().await.map_err(db_error)?;
        self.commits
            .committed(tenant, &crate::store::touched(&writes));
        Ok(applied)
    }

    async fn conversation(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<ConversationRow>, StoreError> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE tenant = $1 AND id = $2"
        );
        self.rows(&sql, &[&tenant, &id])
            .await?
            .first()
            .map(conversation)
            .transpose()
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
        self.rows(MESSAGE_FROM_QUERY, &[&tenant, &conversation, &from_seq])
            .await?
            .iter()
            .map(message)
            .collect()
    }

    async fn messages_tail(
        &self,
        tenant: &str,
        conversation: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let before = before.unwrap_or(i64::MAX);
        // PostgreSQL reads `LIMIT NULL` as none.
        let limit = limit.map(i64::from);
        self.rows(
            "SELECT * FROM (SELECT seq, role, text, at_ms, intent, confidence, agent_id
             FROM messages WHERE tenant = $1 AND conversation_id = $2 AND seq < $3
             ORDER BY seq DESC LIMIT $4) m ORDER BY seq",
            &[&tenant, &conversation, &before, &limit],
        )
        .await?
        .iter()
        .map(message)
        .collect()
    }

    async fn handoff(&self, tenant: &str, id: &str) -> Result<Option<HandoffRow>, StoreError> {
        Ok(self
            .handoff_bodies(
                "SELECT body FROM handoffs WHERE tenant = $1 AND id = $2",
                &[&tenant, &id],
            )
            .await?
            .pop())
    }

    async fn open_handoff(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Option<HandoffRow>, StoreError> {
        Ok(self
            .handoff_bodies(
                "SELECT body FROM handoffs WHERE tenant = $1 AND conversation_id = $2 AND is_open",
                &[&tenant, &conversation],
            )
            .await?
            .pop())
    }

    async fn conversation_handoffs(
        &self,
        tenant: &str,
        conversation: &str,
    ) -> Result<Vec<HandoffRow>, StoreError> {
        self.handoff_bodies(
            "SELECT body FROM handoffs WHERE tenant = $1 AND conversation_id = $2
             ORDER BY opened_ms, id",
            &[&tenant, &conversation],
        )
        .await
    }

    async fn handoffs(
        &self,
        tenant: &str,
        filter: &HandoffFilter,
    ) -> Result<Vec<HandoffRow>, StoreError> {
        let state = filter.state.map(|s| s.as_str().to_string());
        let limit = if filter.limit == 0 {
            100
        } else {
            filter.limit.min(1000)
        } as i64;
        self.handoff_bodies(
            "SELECT body FROM handoffs WHERE tenant = $1
               AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR queue = $3) AND (NOT $4 OR is_open)
             ORDER BY is_open DESC, priority_rank DESC, opened_ms DESC LIMIT $5",
            &[&tenant, &state, &filter.queue, &filter.open_only, &limit],
        )
        .await
    }

    async fn idempotent_response(
        &self,
        tenant: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        Ok(self
            .rows(
                "SELECT status, body, request FROM idempotency WHERE tenant = $1 AND key = $2",
                &[&tenant, &key],
            )
            .await?
            .first()
            .map(|r| StoredResponse {
                status: r.get::<_, i32>(0).clamp(0, u16::MAX as i32) as u16,
                body: r.get(1),
                request: r.get(2),
            }))
    }

    async fn events_after(
        &self,
        tenant: &str,
        after_id: i64,
        limit: usize,
    ) -> Result<Vec<EventRow>, StoreError> {
        let limit = limit.min(10_000) as i64;
        self.rows(
            "SELECT id, kind, handoff_id, conversation_id, data, at_ms FROM events
             WHERE tenant = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&tenant, &after_id, &limit],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(EventRow {
                id: r.get(0),
                kind: r.get(1),
                handoff_id: r.get(2),
                conversation_id: r.get(3),
                data: decode(r.get::<_, &str>(4))?,
                at_ms: r.get(5),
            })
        })
        .collect()
    }

    async fn presence(&self, tenant: &str) -> Result<Vec<PresenceRow>, StoreError> {
        self.rows(
            "SELECT agent_id, presence, capacity, updated_ms FROM presence WHERE tenant = $1",
            &[&tenant],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(PresenceRow {
                agent_id: r.get(0),
                presence: from_name(r.get::<_, &str>(1))?,
                capacity: r
                    .get::<_, Option<i64>>(2)
                    .map(|c| c.clamp(0, u32::MAX as i64) as u32),
                updated_ms: r.get(3),
            })
        })
        .collect()
    }

    async fn live_stats(&self, tenant: &str) -> Result<LiveStats, StoreError> {
        let times = |rows: Vec<Row>| rows.iter().map(|r| r.get::<_, i64>(0)).collect();
        Ok(LiveStats {
            load: pairs(self.rows(
                "SELECT accepted_by, COUNT(*) FROM handoffs WHERE tenant = $1 AND state = 'accepted' GROUP BY accepted_by",
                &[&tenant],
            ).await?),
            depth: pairs(self.rows(
                "SELECT queue, COUNT(*) FROM handoffs WHERE tenant = $1 AND state IN ('queued', 'offered') GROUP BY queue",
                &[&tenant],
            ).await?),
            recent_handle_ms: times(self.rows(
                "SELECT closed_ms - accepted_ms FROM handoffs WHERE tenant = $1 AND accepted_ms IS NOT NULL AND closed_ms IS NOT NULL
                 ORDER BY closed_ms DESC LIMIT 50",
                &[&tenant],
            ).await?),
            recent_accept_ms: times(self.rows(
                "SELECT accepted_ms - opened_ms FROM handoffs WHERE tenant = $1 AND accepted_ms IS NOT NULL
                 ORDER BY accepted_ms DESC LIMIT 50",
                &[&tenant],
            ).await?),
        })
    }

    async fn previous_agent(
        &self,
        tenant: &str,
        customer_key: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .rows(
                "SELECT accepted_by FROM handoffs WHERE tenant = $1 AND customer_key = $2 AND accepted_by IS NOT NULL
                 ORDER BY accepted_ms DESC LIMIT 1",
                &[&tenant, &customer_key],
            )
            .await?
            .first()
            .map(|r| r.get(0)))
    }

    async fn expired_offers(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, HandoffRow)>, StoreError> {
        let limit = limit as i64;
        self.rows(
            "SELECT tenant, body FROM handoffs WHERE state = 'offered' AND offer_expires_ms <= $1
             ORDER BY offer_expires_ms LIMIT $2",
            &[&now_ms, &limit],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get(0), decode(r.get::<_, &str>(1))?)))
        .collect()
    }

    async fn idle_handoffs(
        &self,
        tenant: &str,
        before_ms: i64,
        limit: usize,
    ) -> Result<Vec<(HandoffRow, i64)>, StoreError> {
        let limit = limit as i64;
        self.rows(
            "SELECT body, active FROM (
               SELECT h.body AS body, GREATEST(h.opened_ms, COALESCE(
                 (SELECT MAX(m.at_ms) FROM messages m WHERE m.tenant = h.tenant
                    AND m.conversation_id = h.conversation_id AND m.role = 'customer'),
                 0)) AS active
               FROM handoffs h WHERE h.tenant = $1 AND h.state IN ('queued', 'offered')
                 AND h.opened_ms < $2) waiting
             WHERE active < $2 ORDER BY active LIMIT $3",
            &[&tenant, &before_ms, &limit],
        )
        .await?
        .iter()
        .map(|r| Ok((decode(r.get::<_, &str>(0))?, r.get::<_, i64>(1))))
        .collect()
    }

    async fn due_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        // Claim: push the rows' next attempt past the claim window in the same statement
        // that picks them, skipping rows another host is claiming right now.
        let (limit, until) = (limit as i64, now_ms.saturating_add(CLAIM_MS));
        Ok(self
            .rows(
                "UPDATE outbox SET next_ms = $3 WHERE id IN (
                     SELECT id FROM outbox WHERE next_ms IS NOT NULL AND next_ms <= $1
                     ORDER BY next_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
                 RETURNING id, tenant, kind, url, secret_env, body, attempts",
                &[&now_ms, &limit, &until],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(OutboxRow {
                    id: r.get(0),
                    tenant: r.get(1),
                    to: Destination::from_columns(r.get(2), r.get(3), r.get(4))
                        .map_err(StoreError::Database)?,
                    body: r.get(5),
                    attempts: r.get(6),
                })
            })
            .collect::<Result<_, StoreError>>()?)
    }

    async fn delivery_result(&self, id: i64, result: DeliveryResult) -> Result<(), StoreError> {
        match result {
            DeliveryResult::Delivered { at_ms } => self.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_ms = NULL, delivered_ms = $2, last_error = NULL WHERE id = $1",
                &[&id, &at_ms],
            ).await?,
            DeliveryResult::Failed { error, retry_at_ms } => self.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_ms = $2, last_error = $3 WHERE id = $1",
                &[&id, &retry_at_ms, &error],
            ).await?,
        };
        Ok(())
    }

    async fn outbox_counts(&self) -> Result<Vec<OutboxCount>, StoreError> {
        self.outbox_counts_impl().await
    }

    async fn insert_key(&self, key: KeyRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO api_keys (id, hash, tenant, role, agent_id, created_ms, revoked_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&key.id, &key.hash, &key.tenant, &key.role.as_str(), &key.agent_id, &key.created_ms, &key.revoked_ms, &key.expires_ms],
        )
        .await?;
        Ok(())
    }

    async fn key_by_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = $1");
        self.rows(&sql, &[&hash])
            .await?
            .first()
            .map(key)
            .transpose()
    }

    async fn key_by_id(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1");
        self.rows(&sql, &[&id]).await?.first().map(key).transpose()
    }

    async fn revoke_key(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "UPDATE api_keys SET revoked_ms = $2 WHERE id = $1 AND revoked_ms IS NULL",
                &[&id, &now_ms],
            )
            .await?;
        Ok(n > 0)
    }

    async fn keys(&self, tenant: Option<&str>) -> Result<Vec<KeyRow>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE $1::text IS NULL OR tenant = $1 ORDER BY created_ms, id"
        );
        self.rows(&sql, &[&tenant]).await?.iter().map(key).collect()
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
        Ok(self
            .rows("SELECT DISTINCT tenant FROM decisions ORDER BY tenant", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    async fn lease(&self, name: &str, holder: &str, ttl_ms: i64) -> Result<bool, StoreError> {
        let rows = self
            .rows(
                "INSERT INTO leases (name, holder, expires_at)
                 VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::float8 / 1000))
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at < clock_timestamp()
                 RETURNING holder",
                &[&name, &holder, &(ttl_ms as f64)],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn release_leases(&self, holder: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM leases WHERE holder = $1", &[&holder])
            .await?;
        Ok(())
    }

    async fn report_versions(
        &self,
        host: &str,
        versions: &[(String, String)],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let (tenants, ids): (Vec<&str>, Vec<&str>) = versions
            .iter()
            .map(|(t, v)| (t.as_str(), v.as_str()))
            .unzip();
        let mut conn = self.conn().await?;
        let tx = conn.transaction().await.map_err(db_error)?;
        tx.execute(
            "DELETE FROM host_versions WHERE host = $1 AND NOT (tenant = ANY($2))",
            &[&host, &tenants],
        )
        .await
        .map_err(db_error)?;
        tx.execute(
            "INSERT INTO host_versions (host, tenant, version, seen_ms)
             SELECT $1, t, v, $4 FROM unnest($2::text[], $3::text[]) AS x(t, v)
             ON CONFLICT (host, tenant) DO UPDATE SET version = excluded.version, seen_ms = excluded.seen_ms",
            &[&host, &tenants, &ids, &now_ms],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn host_versions(&self, since_ms: i64) -> Result<Vec<HostVersion>, StoreError> {
        Ok(self
            .rows(
                "SELECT host, tenant, version, seen_ms FROM host_versions WHERE seen_ms >= $1 ORDER BY tenant, host",
                &[&since_ms],
            )
            .await?
            .iter()
            .map(|r| HostVersion {
                host: r.get(0),
                tenant: r.get(1),
                version: r.get(2),
                seen_ms: r.get(3),
            })
            .collect())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn commits(&self) -> &CommitFeed {
        &self.commits
    }
}
