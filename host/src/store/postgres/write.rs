//! Applying a write set in one PostgreSQL transaction.
//!
//! Races between hosts are settled by the database: a handoff's preconditions are checked
//! under its row lock (`FOR UPDATE`), a conversation's next message is a primary key two
//! writers cannot both take, and event ids are handed out under the tenant's `event_ids` row
//! lock so they commit in order.

use super::db_error;
use crate::store::encode::{json, name_of, priority_rank, webhook_body};
use crate::store::{Applied, HandoffRow, HandoffUpdate, StoreError, WriteSet};
use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;

type Arg<'a> = &'a (dyn ToSql + Sync);

/// A statement sent and not yet answered.
type Pending<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, StoreError>> + Send + 'a>>;

async fn exec(tx: &Transaction<'_>, sql: &str, args: &[Arg<'_>]) -> Result<u64, StoreError> {
    let stmt = tx.prepare_cached(sql).await.map_err(db_error)?;
    tx.execute(&stmt, args).await.map_err(db_error)
}

/// [`exec`] owning its argument list, to be sent now and awaited with others.
async fn send<'a>(
    tx: &'a Transaction<'_>,
    sql: &'static str,
    args: Vec<Arg<'a>>,
) -> Result<u64, StoreError> {
    exec(tx, sql, &args).await
}

async fn put_handoff(
    tx: &Transaction<'_>,
    tenant: &str,
    h: &HandoffRow,
    customer_key: Option<&str>,
) -> Result<u64, StoreError> {
    let body = json(h)?;
    let (state, priority, rank) = (
        h.state.as_str(),
        h.priority.as_str(),
        priority_rank(h.priority),
    );
    let open = h.state.is_open();
    let columns: [&(dyn ToSql + Sync); 16] = [
        &tenant,
        &h.id,
        &h.conversation_id,
        &state,
        &open,
        &h.reason,
        &priority,
        &rank,
        &h.queue,
        &h.offered_to,
        &h.offer_expires_ms,
        &h.accepted_by,
        &h.opened_ms,
        &h.accepted_ms,
        &h.closed_ms,
        &body,
    ];
    let result = match customer_key {
        // A new handoff also records who the customer is, for "previous agent" lookups.
        Some(key) => {
            let mut all = columns.to_vec();
            all.push(&key);
            exec(
                tx,
                "INSERT INTO handoffs (tenant, id, conversation_id, state, is_open, reason, priority, priority_rank, queue,
                     offered_to, offer_expires_ms, accepted_by, opened_ms, accepted_ms, closed_ms, body, customer_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                &all,
            )
            .await
        }
        None => {
            exec(
                tx,
                "UPDATE handoffs SET conversation_id = $3, state = $4, is_open = $5, reason = $6, priority = $7,
                     priority_rank = $8, queue = $9, offered_to = $10, offer_expires_ms = $11, accepted_by = $12,
                     opened_ms = $13, accepted_ms = $14, closed_ms = $15, body = $16
                 WHERE tenant = $1 AND id = $2",
                &columns,
            )
            .await
        }
    };
    result.map_err(|e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "conversation `{}` already has an open handoff",
            h.conversation_id
        )),
        other => other,
    })
}

/// Check an update's preconditions against the row as it is now, holding its lock until
/// the transaction ends: of two hosts accepting at once, the second sees the first's write.
async fn check_update(
    tx: &Transaction<'_>,
    tenant: &str,
    u: &HandoffUpdate,
) -> Result<(), StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT state, offered_to, accepted_by FROM handoffs WHERE tenant = $1 AND id = $2 FOR UPDATE",
        )
        .await
        .map_err(db_error)?;
    let row = tx
        .query_opt(&stmt, &[&tenant, &u.id])
        .await
        .map_err(db_error)?;
    u.check(row.map(|r| (r.get(0), r.get(1), r.get(2))))?;
    let Some(room) = &u.room else { return Ok(()) };
    // One transaction at a time counts and fills an agent's seats: the lock is the
    // agent's, held until this transaction ends, so a concurrent offer to them waits and
    // then counts this one.
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))")
        .await
        .map_err(db_error)?;
    tx.execute(&lock, &[&tenant, &room.agent])
        .await
        .map_err(db_error)?;
    let count = tx.prepare_cached(HELD).await.map_err(db_error)?;
    let held: i64 = tx
        .query_one(&count, &[&tenant, &room.agent, &u.id])
        .await
        .map_err(db_error)?
        .get(0);
    room.check(&u.id, held)
}

/// How many handoffs other than this one an agent holds (offered to them or accepted).
const HELD: &str = "SELECT COUNT(*) FROM handoffs WHERE tenant = $1 AND id <> $3 AND \
     ((state = 'offered' AND offered_to = $2) OR (state = 'accepted' AND accepted_by = $2))";

/// Apply `w` for `tenant` inside `tx`; the caller commits, or drops `tx` on error.
pub(crate) async fn apply(
    tx: &Transaction<'_>,
    tenant: &str,
    w: &WriteSet,
) -> Result<Applied, StoreError> {
    put_conversation_messages_decisions(tx, tenant, w).await?;
    put_handoffs(tx, tenant, w).await?;
    put_presence(tx, tenant, w).await?;
    let applied = Applied {
        event_ids: put_events(tx, tenant, w).await?,
    };
    put_deliveries(tx, tenant, w, &applied.event_ids).await?;
    put_idempotency(tx, tenant, w).await?;
    Ok(applied)
}

/// The conversation, its new messages and the decision log (an ingest's whole write, most
/// of the time), in one round trip.
async fn put_conversation_messages_decisions(
    tx: &Transaction<'_>,
    tenant: &str,
    w: &WriteSet,
) -> Result<(), StoreError> {
    // The conversation, its new messages and the decision log (an ingest's whole write, most
    // of the time) go out in one round trip: the connection pipelines statements sent before
    // their answers are read. After a failed one the rest fail too (the transaction aborted),
    // so the first error in order is the one to report.
    let customer = w
        .conversation
        .as_ref()
        .map(|c| json(&c.customer))
        .transpose()?;
    let conversation_id = w.conversation.as_ref().map(|c| c.id.as_str());
    if !w.messages.is_empty() && conversation_id.is_none() {
        return Err(StoreError::Database(
            "messages need their conversation in the write set".into(),
        ));
    }
    let messages: Vec<(String, Option<f64>)> = w
        .messages
        .iter()
        .map(|m| {
            (
                name_of(&m.message.role),
                m.message.confidence.map(f64::from),
            )
        })
        .collect();
    let decisions = decision_columns(w)?;
    let mut batch: Vec<Pending<'_>> = Vec::new();
    if let (Some(c), Some(customer)) = (&w.conversation, &customer) {
        batch.push(Box::pin(send(
            tx,
            "INSERT INTO conversations (tenant, id, channel, customer, customer_key, message_count, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant, id) DO UPDATE SET channel = excluded.channel, customer = excluded.customer,
                 customer_key = excluded.customer_key, message_count = excluded.message_count,
                 updated_ms = excluded.updated_ms",
            vec![&tenant as Arg, &c.id, &c.channel, customer, &c.customer_key, &c.message_count, &c.created_ms, &c.updated_ms],
        )));
    }
    for (m, (role, confidence)) in w.messages.iter().zip(&messages) {
        let conversation = conversation_id.unwrap_or_default();
        let insert = send(
            tx,
            "INSERT INTO messages (tenant, conversation_id, seq, role, text, at_ms, intent, confidence, agent_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![&tenant as Arg, &conversation_id, &m.seq, role, &m.message.text, &m.message.at_ms, &m.message.intent, confidence, &m.agent_id],
        );
        batch.push(Box::pin(async move {
            insert.await.map_err(|e| match e {
                StoreError::Conflict(_) => StoreError::Raced(format!(
                    "message {} of conversation `{conversation}` was written concurrently",
                    m.seq
                )),
                other => other,
            })
        }));
    }
    for (d, (reason, priority, tags)) in w.decisions.iter().zip(&decisions) {
        batch.push(Box::pin(send(
            tx,
            "INSERT INTO decisions (tenant, conversation_id, message_seq, policy_version, role, escalate, reason, priority,
                 tags, explanation, fault_kind, fault_detail, latency_us, at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            vec![
                &tenant as Arg,
                &d.conversation_id,
                &d.message_seq,
                &d.policy_version,
                &d.role,
                &d.decision.escalate,
                reason,
                priority,
                tags,
                &d.decision.explanation,
                &d.fault_kind,
                &d.fault_detail,
                &d.latency_us,
                &d.at_ms,
            ],
        )));
    }
    for result in futures_util::future::join_all(batch).await {
        result?;
    }
    Ok(())
}

/// Each new decision's reason, priority and tags as the `decisions` table stores them.
fn decision_columns(
    w: &WriteSet,
) -> Result<Vec<(Option<String>, &'static str, String)>, StoreError> {
    w.decisions
        .iter()
        .map(|d| {
            Ok((
                d.decision.reason.as_ref().map(|r| r.as_str().to_string()),
                d.decision.priority.as_str(),
                json(&d.decision.tags)?,
            ))
        })
        .collect()
}

/// The new handoffs (with their conversation's customer key) and the checked updates.
async fn put_handoffs(tx: &Transaction<'_>, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    for h in &w.new_handoffs {
        let key = match w
            .conversation
            .as_ref()
            .filter(|c| c.id == h.conversation_id)
        {
            Some(c) => c.customer_key.clone(),
            None => {
                let stmt = tx
                    .prepare_cached(
                        "SELECT customer_key FROM conversations WHERE tenant = $1 AND id = $2",
                    )
                    .await
                    .map_err(db_error)?;
                tx.query_opt(&stmt, &[&tenant, &h.conversation_id])
                    .await
                    .map_err(db_error)?
                    .map(|r| r.get::<_, String>(0))
                    .unwrap_or_default()
            }
        };
        put_handoff(tx, tenant, h, Some(&key)).await?;
    }
    for u in &w.handoff_updates {
        check_update(tx, tenant, u).await?;
        put_handoff(tx, tenant, &u.row, None).await?;
    }
    Ok(())
}

/// Agents' presence changes.
async fn put_presence(tx: &Transaction<'_>, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    for p in &w.presence {
        let capacity = p.capacity.map(i64::from);
        let presence = name_of(&p.presence);
        exec(
            tx,
            "INSERT INTO presence (tenant, agent_id, presence, capacity, updated_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, agent_id) DO UPDATE SET presence = excluded.presence, capacity = excluded.capacity,
                 updated_ms = excluded.updated_ms",
            &[&tenant, &p.agent_id, &presence, &capacity, &p.updated_ms],
        )
        .await?;
    }
    Ok(())
}

/// The lifecycle events, numbered from the tenant's id row: their ids, in write-set order.
async fn put_events(
    tx: &Transaction<'_>,
    tenant: &str,
    w: &WriteSet,
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(w.events.len());
    if !w.events.is_empty() {
        // Last in the transaction: the tenant's id row stays locked only until the commit.
        let n = w.events.len() as i64;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO event_ids (tenant, last_id) VALUES ($1, $2)
                 ON CONFLICT (tenant) DO UPDATE SET last_id = event_ids.last_id + excluded.last_id
                 RETURNING last_id",
            )
            .await
            .map_err(db_error)?;
        let last: i64 = tx
            .query_one(&stmt, &[&tenant, &n])
            .await
            .map_err(db_error)?
            .get(0);
        for (i, e) in w.events.iter().enumerate() {
            let id = last - n + 1 + i as i64;
            let data = e.data.to_string();
            exec(
                tx,
                "INSERT INTO events (tenant, id, kind, handoff_id, conversation_id, data, at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &tenant,
                    &id,
                    &e.kind,
                    &e.handoff_id,
                    &e.conversation_id,
                    &data,
                    &e.at_ms,
                ],
            )
            .await?;
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The outbox rows, each naming its event by the id [`put_events`] gave it.
async fn put_deliveries(
    tx: &Transaction<'_>,
    tenant: &str,
    w: &WriteSet,
    event_ids: &[i64],
) -> Result<(), StoreError> {
    for d in &w.deliveries {
        let (Some(event), Some(id)) = (w.events.get(d.event), event_ids.get(d.event)) else {
            return Err(StoreError::Database(format!(
                "delivery names event {} of the write set, which has none",
                d.event
            )));
        };
        let body = webhook_body(tenant, event, *id);
        exec(
            tx,
            "INSERT INTO outbox (tenant, event_id, kind, url, secret_env, body, attempts, next_ms) VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            &[&tenant, id, &d.to.kind(), &d.to.address(), &d.to.secret_env(), &body, &event.at_ms],
        )
        .await?;
    }
    Ok(())
}

/// The stored answer of an idempotent request.
async fn put_idempotency(
    tx: &Transaction<'_>,
    tenant: &str,
    w: &WriteSet,
) -> Result<(), StoreError> {
    if let Some((key, response)) = &w.idempotency {
        let status = i32::from(response.status);
        let now = jiff::Timestamp::now().as_millisecond();
        exec(
            tx,
            "INSERT INTO idempotency (tenant, key, status, body, at_ms, request) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&tenant, key, &status, &response.body, &now, &response.request],
        )
        .await
        .map_err(|e| match e {
            // Another host answered the same key first: a retry finds its stored answer.
            StoreError::Conflict(_) => {
                StoreError::Raced(format!("idempotency key `{key}` was used concurrently"))
            }
            other => other,
        })?;
    }
    Ok(())
}
