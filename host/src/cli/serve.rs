//! `baton serve`.

use std::path::PathBuf;
use std::process::ExitCode;

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
}

/// Serve until interrupted.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = crate::server::Options {
        smtp_url: args.smtp,
        smtp_from: Some(args.smtp_from),
        cache_dir: args.cache,
    };
    crate::server::run(args.policies, args.data, args.listen, options).await?;
    Ok(ExitCode::SUCCESS)
}
