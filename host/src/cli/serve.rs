//! `baton serve`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `baton serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies folder (tenant TOML files and their plugins).
    #[arg(long, env = "BATON_POLICIES", default_value_os_t = super::default_policies())]
    pub policies: PathBuf,
    /// The data folder (embedded store) or a database URL.
    #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
    pub data: String,
    /// Address to listen on.
    #[arg(long, env = "BATON_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The SMTP relay for agents' email alerts: `smtp://host:25` (plain),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    #[arg(long, env = "BATON_SMTP_URL")]
    pub smtp: Option<String>,
    /// Where compiled plugins are kept, so a restart loads them instead of compiling again.
    /// Default: `compiled/` in the data folder; with a database URL, no cache unless given.
    /// Hosts on one machine may share it.
    #[arg(long, env = "BATON_CACHE")]
    pub cache: Option<PathBuf>,
    /// The sender of email alerts.
    #[arg(
        long,
        env = "BATON_SMTP_FROM",
        default_value = "Baton <baton@localhost>"
    )]
    pub smtp_from: String,
    /// The address agents' phones reach this host at, e.g. `https://baton.example.com`:
    /// offer alerts (SMS, email) then carry a one-time link that accepts the handoff, so an
    /// on-call agent who is not signed in to the inbox can take an emergency from the page.
    /// Without it alerts point to the inbox.
    #[arg(long, env = "BATON_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Seconds a client has to send a request's headers (and a kept-alive connection to
    /// start its next request) before the connection is closed.
    #[arg(long, env = "BATON_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body once its headers are in (else 400).
    #[arg(long, env = "BATON_BODY_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
    /// Seconds a connection may move no byte either way before it is closed (above the
    /// live streams' 15 s keep-alive).
    #[arg(long, env = "BATON_IDLE_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(16..=86400))]
    pub idle_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted. Keep it under the process's
    /// file limit (`ulimit -n`), with room for the store and outbound calls.
    #[arg(long, env = "BATON_MAX_CONNECTIONS", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
}

/// Serve until interrupted.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = crate::server::Options {
        smtp_url: args.smtp,
        smtp_from: Some(args.smtp_from),
        cache_dir: args.cache,
        public_url: args.public_url,
        http: crate::server::http::HttpLimits {
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            body_timeout: Duration::from_secs(args.body_timeout_secs),
            idle_timeout: Duration::from_secs(args.idle_timeout_secs),
            max_connections: args.max_connections as usize,
        },
        clock: None,
    };
    crate::server::run(args.policies, args.data, args.listen, options).await?;
    Ok(ExitCode::SUCCESS)
}
