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
}

/// Serve until interrupted.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    crate::server::run(args.policies, args.data, args.listen).await?;
    Ok(ExitCode::SUCCESS)
}
