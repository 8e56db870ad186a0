//! Applying a write set inside the writer's transaction.

use super::db_error;
use crate::store::encode::{json, name_of, priority_rank, webhook_body};
use crate::store::{Applied, HandoffRow, HandoffUpdate, StoreError, WriteSet};
use rusqlite::{params, Connection, OptionalExtension};

/// Execute `sql` from the connection's statement cache: a write set runs the same few
/// statements over and over, and parsing them each time showed in the writer's profile.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

fn put_handoff(
    conn: &Connection,
    tenant: &str,
    h: &HandoffRow,
    customer_key: Option<&str>,
) -> Result<usize, StoreError> {
    let body = json(h)?;
    let columns = params![
        tenant,
        h.id,
        h.conversation_id,
        h.state.as_str(),
        h.state.is_open() as i64,
        h.reason,
        h.priority.as_str(),
        priority_rank(h.priority),
        h.queue,
        h.offered_to,
        h.offer_expires_ms,
        h.accepted_by,
        h.opened_ms,
        h.accepted_ms,
        h.closed_ms,
        body,
    ];
    let result = match customer_key {
        // A new handoff also records who the customer is, for "previous agent" lookups.
        Some(key) => {
            let mut all = columns.to_vec();
            all.push(&key);
            exec(
                conn,
                "INSERT INTO handoffs (tenant, id, conversation_id, state, is_open, reason, priority, priority_rank, queue,
                     offered_to, offer_expires_ms, accepted_by, opened_ms, accepted_ms, closed_ms, body, customer_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                all.as_slice(),
            )
        }
        None => exec(
            conn,
            "UPDATE handoffs SET conversation_id = ?3, state = ?4, is_open = ?5, reason = ?6, priority = ?7,
                 priority_rank = ?8, queue = ?9, offered_to = ?10, offer_expires_ms = ?11, accepted_by = ?12,
                 opened_ms = ?13, accepted_ms = ?14, closed_ms = ?15, body = ?16
             WHERE tenant = ?1 AND id = ?2",
            columns,
        ),
    };
    result.map_err(|e| match db_error(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "conversation `{}` already has an open handoff",
            h.conversation_id
        )),
        other => other,
    })
}

/// Apply `w` for `tenant`; the caller's savepoint undoes everything on error.
pub(crate) fn apply(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<Applied, StoreError> {
    put_conversation(conn, tenant, w)?;
    put_messages(conn, tenant, w)?;
    put_decisions(conn, tenant, w)?;
    put_new_handoffs(conn, tenant, w)?;
    for u in &w.handoff_updates {
        put_update(conn, tenant, u)?;
    }
    put_presence(conn, tenant, w)?;
    let applied = Applied {
        event_ids: put_events(conn, tenant, w)?,
    };
    put_deliveries(conn, tenant, w, &applied.event_ids)?;
    put_idempotency(conn, tenant, w)?;
    Ok(applied)
}

/// The conversation row, inserted or brought up to date.
fn put_conversation(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    if let Some(c) = &w.conversation {
        exec(
            conn,
            "INSERT INTO conversations (tenant, id, channel, customer, customer_key, message_count, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (tenant, id) DO UPDATE SET channel = excluded.channel, customer = excluded.customer,
                 customer_key = excluded.customer_key, message_count = excluded.message_count,
                 updated_ms = excluded.updated_ms",
            params![tenant, c.id, c.channel, json(&c.customer)?, c.customer_key, c.message_count, c.created_ms, c.updated_ms],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// The new messages (a message already there means another write raced this one).
fn put_messages(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    for m in &w.messages {
        let conversation = w
            .conversation
            .as_ref()
            .map(|c| c.id.as_str())
            .ok_or_else(|| {
                StoreError::Database("messages need their conversation in the write set".into())
            })?;
        let role = name_of(&m.message.role);
        exec(
            conn,
            "INSERT INTO messages (tenant, conversation_id, seq, role, text, at_ms, intent, confidence, agent_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![tenant, conversation, m.seq, role, m.message.text, m.message.at_ms, m.message.intent, m.message.confidence, m.agent_id],
        )
        .map_err(|e| match db_error(e) {
            StoreError::Conflict(_) => StoreError::Raced(format!(
                "message {} of conversation `{conversation}` was written concurrently",
                m.seq
            )),
            other => other,
        })?;
    }
    Ok(())
}

/// The decision log's new entries.
fn put_decisions(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    for d in &w.decisions {
        exec(
            conn,
            "INSERT INTO decisions (tenant, conversation_id, message_seq, policy_version, role, escalate, reason, priority,
                 tags, explanation, fault_kind, fault_detail, latency_us, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                tenant,
                d.conversation_id,
                d.message_seq,
                d.policy_version,
                d.role,
                d.decision.escalate as i64,
                d.decision.reason.as_ref().map(|r| r.as_str().to_string()),
                d.decision.priority.as_str(),
                json(&d.decision.tags)?,
                d.decision.explanation,
                d.fault_kind,
                d.fault_detail,
                d.latency_us,
                d.at_ms,
            ],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// The new handoffs, each with its conversation's customer key.
fn put_new_handoffs(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    let customer_key = |conversation: &str| -> Result<String, StoreError> {
        if let Some(c) = w.conversation.as_ref().filter(|c| c.id == conversation) {
            return Ok(c.customer_key.clone());
        }
        conn.query_row(
            "SELECT customer_key FROM conversations WHERE tenant = ?1 AND id = ?2",
            params![tenant, conversation],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(db_error)
        .map(|k| k.unwrap_or_default())
    };
    for h in &w.new_handoffs {
        put_handoff(conn, tenant, h, Some(&customer_key(&h.conversation_id)?))?;
    }
    Ok(())
}

/// One handoff update, checked against the handoff as stored (and the agent's free seats).
fn put_update(conn: &Connection, tenant: &str, u: &HandoffUpdate) -> Result<(), StoreError> {
    let current: Option<(String, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT state, offered_to, accepted_by FROM handoffs WHERE tenant = ?1 AND id = ?2",
            params![tenant, u.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db_error)?;
    u.check(current)?;
    // The one writer counts and fills an agent's seats, so nothing else runs between.
    if let Some(room) = &u.room {
        let held: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM handoffs WHERE tenant = ?1 AND id <> ?3 AND
                 ((state = 'offered' AND offered_to = ?2) OR (state = 'accepted' AND accepted_by = ?2))",
                params![tenant, room.agent, u.id],
                |r| r.get(0),
            )
            .map_err(db_error)?;
        room.check(&u.id, held)?;
    }
    put_handoff(conn, tenant, &u.row, None)?;
    Ok(())
}

/// Agents' presence changes.
fn put_presence(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    for p in &w.presence {
        let presence = name_of(&p.presence);
        exec(
            conn,
            "INSERT INTO presence (tenant, agent_id, presence, capacity, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (tenant, agent_id) DO UPDATE SET presence = excluded.presence, capacity = excluded.capacity,
                 updated_ms = excluded.updated_ms",
            params![tenant, p.agent_id, presence, p.capacity, p.updated_ms],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// The lifecycle events: their ids, in write-set order.
fn put_events(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(w.events.len());
    for e in &w.events {
        exec(
            conn,
            "INSERT INTO events (tenant, kind, handoff_id, conversation_id, data, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![tenant, e.kind, e.handoff_id, e.conversation_id, e.data.to_string(), e.at_ms],
        )
        .map_err(db_error)?;
        ids.push(conn.last_insert_rowid());
    }
    Ok(ids)
}

/// The outbox rows, each naming its event by the id [`put_events`] gave it.
fn put_deliveries(
    conn: &Connection,
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
        exec(
            conn,
            "INSERT INTO outbox (tenant, event_id, kind, url, secret_env, body, attempts, next_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            params![tenant, id, d.to.kind(), d.to.address(), d.to.secret_env(), webhook_body(tenant, event, *id), event.at_ms],
        )
        .map_err(db_error)?;
    }
    Ok(())
}

/// The stored answer of an idempotent request.
fn put_idempotency(conn: &Connection, tenant: &str, w: &WriteSet) -> Result<(), StoreError> {
    if let Some((key, response)) = &w.idempotency {
        exec(
            conn,
            "INSERT INTO idempotency (tenant, key, status, body, at_ms, request) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![tenant, key, response.status, response.body, jiff::Timestamp::now().as_millisecond(), response.request],
        )
        .map_err(|e| match db_error(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("idempotency key `{key}` was used concurrently")),
            other => other,
        })?;
    }
    Ok(())
}
