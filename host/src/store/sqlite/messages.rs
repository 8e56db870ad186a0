//! Reading a conversation's messages: from a position on (what a live stream has not sent)
//! and the last page before a position (the trigger's window, a transcript paged back).

use super::{db_error, SqliteStore};
use crate::store::encode::from_name;
use crate::store::{MessageRow, StoreError};
use rusqlite::{params, Row};

/// A `messages` row as read: seq, role, text, at_ms, intent, confidence, agent_id.
pub(super) type MessageColumns = (
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<f64>,
    Option<String>,
);

pub(super) fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageColumns> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

/// Messages from their columns, in the order read.
pub(super) fn message_rows(rows: Vec<MessageColumns>) -> Result<Vec<MessageRow>, StoreError> {
    rows.into_iter()
        .map(|(seq, role, text, at_ms, intent, confidence, agent_id)| {
            Ok(MessageRow {
                seq,
                message: baton_plugin_sdk::Message {
                    role: from_name(&role)?,
                    text,
                    at_ms,
                    intent,
                    confidence: confidence.map(|c| c as f32),
                },
                agent_id,
            })
        })
        .collect()
}

impl SqliteStore {
    pub(super) async fn read_messages_from(
        &self,
        tenant: &str,
        conversation: &str,
        from_seq: i64,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let (tenant, conversation) = (tenant.to_string(), conversation.to_string());
        self.read_short(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, role, text, at_ms, intent, confidence, agent_id FROM messages
                     WHERE tenant = ?1 AND conversation_id = ?2 AND seq >= ?3 ORDER BY seq",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant, conversation, from_seq], message_row)
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            message_rows(rows)
        })
        .await
    }

    pub(super) async fn read_messages_tail(
        &self,
        tenant: &str,
        conversation: &str,
        before: Option<i64>,
        limit: Option<u32>,
    ) -> Result<Vec<MessageRow>, StoreError> {
        let (tenant, conversation) = (tenant.to_string(), conversation.to_string());
        let before = before.unwrap_or(i64::MAX);
        // SQLite reads a negative LIMIT as none.
        let limit = limit.map_or(-1, i64::from);
        self.read_short(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT * FROM (SELECT seq, role, text, at_ms, intent, confidence, agent_id
                     FROM messages WHERE tenant = ?1 AND conversation_id = ?2 AND seq < ?3
                     ORDER BY seq DESC LIMIT ?4) ORDER BY seq",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map(params![tenant, conversation, before, limit], message_row)
                .map_err(db_error)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_error)?;
            message_rows(rows)
        })
        .await
    }
}
