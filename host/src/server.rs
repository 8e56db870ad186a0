//! `baton serve`: the store, the engine, the tenants and their watcher, background work
//! (offer timeouts, queue promotion, webhook delivery) and the HTTP API.

mod background;

pub use background::LEASE_MS;

use crate::api::{self, AppState};
use crate::handoff::Desk;
use crate::tenants::{self, ReloadOutcome, Tenants};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything a running host holds.
pub struct Host {
    /// The handoff service.
    pub desk: Desk,
    /// This host's id (`hostname:pid`, plus `.n` for the n-th host of one process): its
    /// leases and the versions it reports carry it.
    pub id: Arc<str>,
    /// Keeps the folder watched while alive.
    _watch: Option<tenants::WatchHandle>,
}

/// How outbound channels reach the world.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The SMTP relay for email alerts (`--smtp`), e.g. `smtp://127.0.0.1:2525`.
    pub smtp_url: Option<String>,
    /// The alerts' sender address (`--smtp-from`).
    pub smtp_from: Option<String>,
    /// Where compiled plugins are kept (`--cache`); default: `compiled/` in the data folder,
    /// none with a database URL.
    pub cache_dir: Option<PathBuf>,
}

/// Build a host: open the store, load every tenant, watch the folder, start background work.
pub async fn start(policies: PathBuf, data: &str) -> anyhow::Result<Host> {
    start_with(policies, data, Options::default()).await
}

/// [`start`] with outbound channel options.
pub async fn start_with(policies: PathBuf, data: &str, options: Options) -> anyhow::Result<Host> {
    let mailer = match &options.smtp_url {
        Some(url) => {
            let from = options
                .smtp_from
                .as_deref()
                .unwrap_or("Baton <baton@localhost>");
            Some(Arc::new(
                crate::alerts::email::Mailer::new(url, from).map_err(anyhow::Error::msg)?,
            ))
        }
        None => None,
    };
    let store = crate::store::open(data).await?;
    let engine = match &options.cache_dir {
        Some(dir) => crate::cli::engine_with_cache(Some(dir.clone()))?,
        None => crate::cli::engine(Some(data))?,
    };
    let tenants = Tenants::new(engine, &policies);
    for (file, outcome) in tenants.load_all().await {
        match outcome {
            ReloadOutcome::Activated(v) | ReloadOutcome::Unchanged(v) => {
                tracing::info!(file = %file.display(), version = %v, "tenant loaded")
            }
            ReloadOutcome::Refused(_) => {
                tracing::error!(file = %file.display(), "tenant refused; it serves nothing until fixed")
            }
            ReloadOutcome::Removed => {}
        }
    }
    let watch = match tenants::watch(tenants.clone()) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::error!(dir = %policies.display(), error = %e, "cannot watch the policies folder; changes need a restart");
            None
        }
    };
    let desk = Desk::new(store.clone(), tenants.clone());
    let id = host_id();
    background::spawn(desk.clone(), id.clone(), mailer);
    Ok(Host {
        desk,
        id,
        _watch: watch,
    })
}

/// A new host's id: `hostname:pid`, and `.n` after the first host of a process (tests run
/// several hosts in one process).
fn host_id() -> Arc<str> {
    static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let pid = std::process::id();
    match STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
        0 => format!("{name}:{pid}").into(),
        n => format!("{name}:{pid}.{n}").into(),
    }
}

/// Serve until Ctrl-C or SIGTERM.
pub async fn run(
    policies: PathBuf,
    data: String,
    listen: String,
    options: Options,
) -> anyhow::Result<()> {
    let host = start_with(policies, &data, options).await?;
    let app = api::router(AppState {
        desk: host.desk.clone(),
        host_id: host.id.clone(),
    });
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on `{listen}`: {e}"))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "baton is serving");
    // One line on stdout that tools (and tests) can wait for.
    println!("listening on http://{addr}");
    let (desk, id) = (host.desk.clone(), host.id.clone());
    let stopping = async move {
        shutdown().await;
        // End live streams; give requests in flight a moment, then stop regardless.
        desk.shut_down();
        // Another host takes over the queue now rather than when the lease runs out.
        if let Err(e) = desk.store().release_leases(&id).await {
            tracing::warn!(error = %e, "cannot release this host's leases");
        }
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tracing::warn!("requests still open after 5 s; exiting");
            std::process::exit(0);
        });
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stopping)
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
