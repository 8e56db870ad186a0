//! The shared PostgreSQL backend, for several hosts on one database: a connection pool
//! with bounded waits, one transaction per write set, versioned migrations taken under an
//! advisory lock (hosts may start together), conditional updates under row locks for races,
//! per-tenant event ids that commit in order, leases for single-runner background work and
//! outbox rows claimed with `FOR UPDATE SKIP LOCKED`.

mod read;
mod report;
mod schema;
mod write;

use super::*;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
use std::time::Duration;
use tokio_postgres::error::SqlState;

/// Connections per host. PostgreSQL's default `max_connections` (100) fits several hosts.
const POOL_SIZE: usize = 16;
/// How long a request waits for a connection (or to open one) before a 503.
const WAIT: Duration = Duration::from_secs(5);
/// No single statement may run longer than this (a stuck lock, a runaway report).
const STATEMENT_TIMEOUT_MS: u64 = 30_000;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    commits: super::CommitFeed,
}

/// Map a driver error: unreachable or restarting database, full disk, read-only standby →
/// `Unavailable` (a 503); a unique violation → `Conflict`; a lost serialisation race →
/// `Raced` (retry).
pub(crate) fn db_error(e: tokio_postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection broke or could not be made.
        return StoreError::Unavailable(format!("the database is unreachable: {e}"));
    };
    let message = e
        .as_db_error()
        .map(|d| d.message().to_string())
        .unwrap_or_else(|| e.to_string());
    let class = &code.code()[..2];
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Conflict(message)
    } else if *code == SqlState::T_R_SERIALIZATION_FAILURE
        || *code == SqlState::T_R_DEADLOCK_DETECTED
    {
        StoreError::Raced(message)
    } else if matches!(class, "08" | "53" | "57" | "58")
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION
    {
        // Connection exceptions, insufficient resources (disk full, too many connections),
        // operator intervention (shutdown, restart), system errors.
        StoreError::Unavailable(message)
    } else {
        StoreError::Database(message)
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => db_error(e),
        other => StoreError::Unavailable(format!("no database connection: {other}")),
    }
}

/// Whether `data` names a PostgreSQL database rather than a folder.
pub fn is_url(data: &str) -> bool {
    data.starts_with("postgres://") || data.starts_with("postgresql://")
}

/// `url` with any password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{path}")
        }
        _ => url.to_string(),
    }
}

impl PgStore {
    /// Connect to `url` (`postgres://user:password@host:port/db?options=...`) and migrate.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::Unavailable(format!("`{}` is not a PostgreSQL URL: {e}", redact(url)))
        })?;
        config.application_name("baton");
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(WAIT);
        }
        let mut options = config.get_options().unwrap_or("").to_string();
        options.push_str(&format!(" -c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        config.options(options.trim());
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                // A connection whose socket closed (the database restarted) is replaced
                // instead of reused. `Verified` would also run a test query at every checkout:
                // a round trip more per query, for a failure this already catches.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .timeouts(Timeouts {
                wait: Some(WAIT),
                create: Some(WAIT),
                recycle: Some(WAIT),
            })
            .build()
            .map_err(|e| StoreError::Unavailable(format!("cannot build the pool: {e}")))?;
        let store = PgStore {
            pool,
            commits: super::CommitFeed::default(),
        };
        let mut conn = store.conn().await.map_err(|e| {
            StoreError::Unavailable(format!("cannot connect to `{}`: {e}", redact(url)))
        })?;
        schema::migrate(&mut conn).await?;
        Ok(store)
    }

    /// A pooled connection.
    pub(crate) async fn conn(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_do_not_reach_logs() {
        assert_eq!(
            redact("postgres://baton:s3cret@db:5432/baton"),
            "postgres://baton:***@db:5432/baton"
        );
        assert_eq!(
            redact("postgres://baton@db/baton"),
            "postgres://baton@db/baton"
        );
        assert!(is_url("postgresql://x/y") && !is_url("./baton-data"));
    }
}
