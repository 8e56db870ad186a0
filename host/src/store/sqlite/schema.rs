//! Versioned migrations, tracked in SQLite's `user_version`.

use rusqlite::Connection;

/// The migrations in order; migration `i` brings the schema to version `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_report.sql"),
    include_str!("migrations/0003_outbox_kind.sql"),
    include_str!("migrations/0004_idempotency_request.sql"),
    include_str!("migrations/0005_handoffs_by_opened.sql"),
    include_str!("migrations/0006_handoffs_by_conversation.sql"),
    include_str!("migrations/0007_key_expiry.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Bring the database to [`SCHEMA_VERSION`], each step in its own transaction. A database
/// from a newer build is refused rather than misread.
pub fn migrate(conn: &mut Connection) -> Result<(), String> {
    let current: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(|e| e.to_string())? as usize;
    if current > SCHEMA_VERSION {
        return Err(format!(
            "the data folder has schema version {current}, newer than this build's {SCHEMA_VERSION}; run a newer baton"
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {} failed: {e}", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        tracing::info!(version = i + 1, "store migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_rows_written_before_the_kind_column_get_their_kind() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2i64).unwrap();
        for url in [
            "https://hooks.acme.example/baton",
            "baton-sms:+15555550117",
            "baton-alert-sms:+15555550100",
            "baton-alert-email:sam@acme.example",
        ] {
            conn.execute(
                "INSERT INTO outbox (tenant, event_id, url, secret_env, body) VALUES ('t', 1, ?1, '', '{}')",
                [url],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let rows: Vec<(String, String)> = conn
            .prepare("SELECT kind, url FROM outbox ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = [
            ("webhook", "https://hooks.acme.example/baton"),
            ("sms", "+15555550117"),
            ("alert_sms", "+15555550100"),
            ("alert_email", "sam@acme.example"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, u)| (k.to_string(), u.to_string()))
            .collect();
        assert_eq!(rows, expected);
    }
}
