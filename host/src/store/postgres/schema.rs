//! Versioned migrations, tracked in `baton_schema`. Hosts starting together take an
//! advisory lock, so exactly one migrates and the others wait and find the work done.

use super::db_error;
use crate::store::StoreError;

/// The migrations in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_outbox_kind.sql"),
    include_str!("migrations/0003_idempotency_request.sql"),
    include_str!("migrations/0004_handoffs_by_opened.sql"),
    include_str!("migrations/0005_handoffs_by_conversation.sql"),
    include_str!("migrations/0006_key_expiry.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The advisory lock key migrations hold (`baton` in ASCII).
const MIGRATION_LOCK: i64 = 0x0062_6174_6f6e;

/// Bring the database to [`SCHEMA_VERSION`] in one transaction (PostgreSQL's DDL is
/// transactional: a failed step leaves nothing behind). A database
/// from a newer build is refused rather than misread.
pub async fn migrate(conn: &mut deadpool_postgres::Object) -> Result<(), StoreError> {
    conn.batch_execute("CREATE TABLE IF NOT EXISTS baton_schema (version BIGINT NOT NULL)")
        .await
        .or_else(|e| match db_error(e) {
            // Two hosts creating it at once: one wins, which is all we need.
            StoreError::Conflict(_) => Ok(()),
            other => Err(other),
        })?;
    let tx = conn.transaction().await.map_err(db_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db_error)?;
    let current: i64 = tx
        .query_opt("SELECT version FROM baton_schema", &[])
        .await
        .map_err(db_error)?
        .map(|r| r.get(0))
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Database(format!(
            "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}; run a newer baton"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql).await.map_err(|e| {
            StoreError::Database(format!("migration {} failed: {}", i + 1, db_error(e)))
        })?;
        tracing::info!(version = i + 1, "store migrated");
    }
    if current < SCHEMA_VERSION {
        tx.execute("DELETE FROM baton_schema", &[])
            .await
            .map_err(db_error)?;
        tx.execute(
            "INSERT INTO baton_schema (version) VALUES ($1)",
            &[&SCHEMA_VERSION],
        )
        .await
        .map_err(db_error)?;
    }
    tx.commit().await.map_err(db_error)
}
