//! PostgreSQL for tests: the cluster `scripts/test` starts (`BATON_TEST_DATABASE_URL`), or one
//! started here with `scripts/pg` when that is unset; a fresh schema per test, so tests
//! sharing the cluster never see each other's rows; and private clusters for tests that
//! restart the database.

use crate::support::root;
use std::sync::OnceLock;

/// Whether the suite runs its hosts on PostgreSQL (`BATON_TEST_STORE=postgres`); the
/// default is the embedded store.
pub fn hosts_use_postgres() -> bool {
    std::env::var("BATON_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The shared test cluster's URL: `BATON_TEST_DATABASE_URL` (what `scripts/test` sets), or
/// a cluster in `$TMPDIR/baton-test-pg` on port 55433, started when not running and left
/// running for the next `cargo test` (`scripts/pg stop $TMPDIR/baton-test-pg` stops it).
pub fn cluster_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("BATON_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => start_cluster(Some((&std::env::temp_dir().join("baton-test-pg"), 55433))),
    })
    .clone()
}

/// `scripts/pg start [dir port]`: returns the URL it prints.
fn start_cluster(private: Option<(&std::path::Path, u16)>) -> String {
    let mut cmd = std::process::Command::new(root().join("scripts/pg"));
    cmd.arg("start");
    if let Some((dir, port)) = private {
        cmd.arg(dir).arg(port.to_string());
    }
    let out = cmd.output().expect("run scripts/pg");
    assert!(
        out.status.success(),
        "scripts/pg start failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `url` with its connections' `search_path` set to `schema`.
pub fn with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// Run `sql` on `url`.
pub async fn exec(url: &str, sql: &str) {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    tokio::spawn(conn);
    client.batch_execute(sql).await.unwrap();
}

/// Query one column of `sql` on `url` as strings (for checking what the store holds).
pub async fn column(url: &str, sql: &str) -> Vec<String> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .simple_query(sql)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect()
}

/// A new empty schema on the shared cluster; returns the `--data` URL that uses it.
pub async fn fresh_database() -> String {
    let base = cluster_url();
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    exec(&base, &format!("CREATE SCHEMA {schema}")).await;
    with_schema(&base, &schema)
}

/// A private cluster (for tests that stop or restart the database); stopped on drop.
pub struct PrivateCluster {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl PrivateCluster {
    pub fn start() -> PrivateCluster {
        let dir = tempfile::Builder::new()
            .prefix("baton-pg-")
            .tempdir_in(std::env::temp_dir())
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = start_cluster(Some((dir.path(), port)));
        PrivateCluster { dir, url }
    }

    fn script(&self, what: &str) {
        let out = std::process::Command::new(root().join("scripts/pg"))
            .arg(what)
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn stop(&self) {
        self.script("stop");
    }

    pub fn start_again(&self) {
        self.script("restart");
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.script("stop");
    }
}
