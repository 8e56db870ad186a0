//! `baton serve`: the store, the engine, the tenants and their watcher, background work
//! (offer timeouts, queue promotion, webhook delivery) and the HTTP API.

mod background;
pub mod http;
pub mod retention;

pub use background::LEASE_MS;

use crate::api::{self, AppState};
use crate::engine::Engine;
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

/// How a host reaches the world (outbound channels, the plugin cache) and reads the time.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The SMTP relay for email alerts (`--smtp`), e.g. `smtp://127.0.0.1:2525`.
    pub smtp_url: Option<String>,
    /// The alerts' sender address (`--smtp-from`).
    pub smtp_from: Option<String>,
    /// Where compiled plugins are kept (`--cache`); default: `compiled/` in the data folder,
    /// none with a database URL.
    pub cache_dir: Option<PathBuf>,
    /// Where agents reach this host (`--public-url`), e.g. `https://baton.example.com`:
    /// offer alerts carry one-time accept links under it.
    pub public_url: Option<String>,
    /// The HTTP listener's timeouts and connection limit.
    pub http: http::HttpLimits,
    /// Where the desk and its background rounds read the time; the system clock when
    /// unset. Tests and simulations pass a [`crate::clock::ManualClock`] and move it.
    pub clock: Option<crate::clock::SharedClock>,
}

/// Check `--public-url`: an absolute `http` or `https` address without a query or
/// fragment (links are made by appending `/inbox/accept#...`).
pub fn check_public_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| anyhow::anyhow!("`--public-url {url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        anyhow::bail!("`--public-url {url}` must be an http:// or https:// address");
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        anyhow::bail!("`--public-url {url}` must not carry a query or a fragment");
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Without an SMTP relay, an on-call agent whose only alert contact is an email cannot be
/// paged after hours: say so at start-up, naming them.
fn warn_unpageable(tenants: &Tenants) {
    for tenant in tenants.ids() {
        let Some(version) = tenants.get(&tenant) else {
            continue;
        };
        let config = &version.config;
        for a in config.agents.iter().filter(|a| a.on_call) {
            let texts = a.alert.sms.is_some() && config.sms.is_some();
            if a.alert.email.is_some() && !texts {
                tracing::warn!(tenant, agent = %a.id, "on call with only an email alert, but no --smtp relay: emergencies after hours cannot page them");
            }
        }
    }
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
                crate::outbox::email::Mailer::new(url, from).map_err(anyhow::Error::msg)?,
            ))
        }
        None => None,
    };
    let public_url = match &options.public_url {
        Some(url) => Some(check_public_url(url)?),
        None => None,
    };
    let store = crate::store::open(data).await?;
    let engine = match &options.cache_dir {
        Some(dir) => Engine::with_cache(Some(dir.clone()))?,
        None => Engine::for_data(Some(data))?,
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
    let clock = options
        .clock
        .clone()
        .unwrap_or_else(|| Arc::new(crate::clock::SystemClock));
    let desk = Desk::with_clock(store.clone(), tenants.clone(), clock);
    let id = host_id();
    if public_url.is_none() {
        tracing::info!(
            "no --public-url: offer alerts point to the inbox instead of carrying an accept link"
        );
    }
    if mailer.is_none() {
        warn_unpageable(&tenants);
    }
    background::spawn(desk.clone(), id.clone(), mailer, public_url);
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
    let limits = options.http;
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
    http::serve(listener, app, limits, stopping).await;
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

#[cfg(test)]
mod tests {
    use super::check_public_url;

    #[test]
    fn a_public_url_is_an_absolute_http_address() {
        assert_eq!(
            check_public_url("https://baton.example.com/").unwrap(),
            "https://baton.example.com"
        );
        assert_eq!(
            check_public_url("http://10.0.0.5:8080/baton").unwrap(),
            "http://10.0.0.5:8080/baton"
        );
        for bad in [
            "baton.example.com",
            "ftp://baton.example.com",
            "https://baton.example.com/?a=1",
            "https://baton.example.com/#x",
            "",
        ] {
            let e = check_public_url(bad).unwrap_err().to_string();
            assert!(e.contains("--public-url"), "{bad}: {e}");
        }
    }
}
