//! A real Baton host for tests: the demo tenants (plus any extra tenant files) in a temporary
//! policies folder with plugins built from `plugins/`, a temporary store, the real HTTP
//! server on a loopback port, and keys made through the store.

use crate::support::{plugin, root};
use baton::api::{router, AppState};
use baton::store::{new_key, KeyRole, KeyRow};
use serde_json::Value;
use std::path::{Path, PathBuf};

pub struct TestHost {
    pub url: String,
    pub policies: PathBuf,
    pub host: baton::server::Host,
    pub http: reqwest::Client,
    /// The `--data` value (a folder or a PostgreSQL URL), for the `baton` command against
    /// the same store.
    pub data: String,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
}

/// Tests run in parallel on small CI machines with a debug build: a policy call's wall-clock
/// deadline is widened so a descheduled thread is not read as a policy fault. Deadlines
/// themselves are tested with the chaos plugin.
pub fn widen_deadline(tenant_toml: &str) -> String {
    tenant_toml
        .replace("deadline_ms = 20\n", "deadline_ms = 500\n")
        .replace("deadline_ms = 25\n", "deadline_ms = 500\n")
}

/// `tenant_toml` for a load test: no cap on requests per channel key (`[limits]
/// messages_per_minute = 0`, as `baton load prepare` sets), so the load measures what it is
/// about, not the rate limit (which `limits::` tests).
pub fn without_rate_limit(tenant_toml: &str) -> String {
    tenant_toml.replace("[limits]\n", "[limits]\nmessages_per_minute = 0\n")
}

/// The demo tenant `name`'s file, as shipped in `policies/`.
pub fn demo_tenant(name: &str) -> String {
    std::fs::read_to_string(root().join("policies").join(format!("{name}.toml"))).unwrap()
}

/// Copy the demo tenants and the built plugins into a fresh policies folder.
pub fn policies_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = widen_deadline(&std::fs::read_to_string(&path).unwrap());
            std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
        }
    }
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    for name in [
        "standard-trigger",
        "skills-router",
        "chaos",
        "keyword-trigger",
    ] {
        std::fs::copy(
            plugin(name),
            dir.path().join("plugins").join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    dir
}

/// Store a new key for `tenant` with `role` (and `agent`) in `store`; returns its secret.
pub async fn insert_key(
    store: &dyn baton::store::Store,
    tenant: Option<&str>,
    role: KeyRole,
    agent: Option<&str>,
) -> String {
    let key = new_key();
    store
        .insert_key(KeyRow {
            id: key.id.clone(),
            hash: key.hash.clone(),
            tenant: tenant.map(str::to_string),
            role,
            agent_id: agent.map(str::to_string),
            created_ms: 0,
            revoked_ms: None,
            expires_ms: None,
        })
        .await
        .unwrap();
    key.secret
}

impl TestHost {
    /// Start a host on the demo tenants plus `extra` tenant files `(name, toml)`.
    pub async fn start(extra: &[(&str, &str)]) -> TestHost {
        Self::start_with(extra, baton::server::Options::default()).await
    }

    /// [`TestHost::start`] on `clock`: the desk and its background rounds read the time
    /// from it, so a test moves time itself instead of sleeping.
    pub async fn start_on_clock(
        extra: &[(&str, &str)],
        clock: std::sync::Arc<baton::clock::ManualClock>,
    ) -> TestHost {
        let options = baton::server::Options {
            clock: Some(clock),
            ..Default::default()
        };
        Self::start_with(extra, options).await
    }

    /// [`TestHost::start`] with outbound channel options (an SMTP relay).
    pub async fn start_with(extra: &[(&str, &str)], options: baton::server::Options) -> TestHost {
        let policies = policies_dir();
        for (name, text) in extra {
            std::fs::write(
                policies.path().join(format!("{name}.toml")),
                widen_deadline(text),
            )
            .unwrap();
        }
        let folder = tempfile::tempdir().unwrap();
        let data = if crate::pg::hosts_use_postgres() {
            crate::pg::fresh_database().await
        } else {
            folder.path().to_str().unwrap().to_string()
        };
        Self::launch(policies, data, folder, options).await
    }

    /// A host on `policies` and the store `data`; the two folders live as long as it does.
    pub async fn launch(
        policies: tempfile::TempDir,
        data: String,
        folder: tempfile::TempDir,
        mut options: baton::server::Options,
    ) -> TestHost {
        // Bound first, so alerts' accept links can point at this host.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        options.public_url.get_or_insert_with(|| url.clone());
        let host = baton::server::start_with(policies.path().to_path_buf(), &data, options)
            .await
            .unwrap();
        let app = router(AppState {
            desk: host.desk.clone(),
            host_id: host.id.clone(),
        });
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestHost {
            url,
            policies: policies.path().to_path_buf(),
            host,
            http: reqwest::Client::new(),
            data,
            _dirs: (policies, folder),
        }
    }

    /// A new key for `tenant` with `role` (and `agent`).
    pub async fn key(&self, tenant: Option<&str>, role: KeyRole, agent: Option<&str>) -> String {
        insert_key(self.host.desk.store().as_ref(), tenant, role, agent).await
    }

    pub async fn channel(&self, tenant: &str) -> String {
        self.key(Some(tenant), KeyRole::Channel, None).await
    }

    pub async fn agent(&self, tenant: &str, agent: &str) -> String {
        self.key(Some(tenant), KeyRole::Agent, Some(agent)).await
    }

    /// Send a request; returns status and JSON body (Null when the body is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(key), Some(body)).await
    }

    pub async fn get(&self, path: &str, key: &str) -> (u16, Value) {
        self.call("GET", path, Some(key), None).await
    }

    /// Post a customer message to conversation `id`.
    pub async fn customer_says(&self, key: &str, id: &str, text: &str) -> Value {
        let (status, body) = self
            .post(
                &format!("/v1/conversations/{id}/events"),
                key,
                serde_json::json!({"role": "customer", "text": text, "channel": "sms",
                                   "customer": {"name": "Dana Ruiz", "phone": "+15555550117"}}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Set an agent available.
    pub async fn available(&self, key: &str, agent: &str) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("/v1/agents/{agent}/presence"),
                Some(key),
                Some(serde_json::json!({"presence": "available"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    pub fn policies(&self) -> &Path {
        &self.policies
    }
}
