//! `baton report`: the tenant's report as JSON, or as a self-contained HTML page.

use crate::report::{self, GroupBy};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `baton report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// Start of the window (RFC 3339, YYYY-MM-DD, or an age such as `30d`); default 30 days
    /// before `--to`.
    #[arg(long)]
    from: Option<String>,
    /// End of the window (same forms); default now.
    #[arg(long)]
    to: Option<String>,
    /// Break the JSON report down by `policy_version`, `reason`, `queue`, `agent` or `channel`.
    #[arg(long)]
    group_by: Option<String>,
    /// Write an HTML page (inline SVG charts, no external assets) here instead of JSON.
    #[arg(long)]
    html: Option<PathBuf>,
    /// The data folder.
    #[arg(long, env = "BATON_DATA", default_value = super::DEFAULT_DATA)]
    data: String,
}

/// Build and write the report.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let now = jiff::Timestamp::now().as_millisecond();
    let when = |flag: &str, v: &Option<String>, default: i64| -> anyhow::Result<i64> {
        match v {
            None => Ok(default),
            Some(s) => report::parse_when(s, now).ok_or_else(|| {
                anyhow::anyhow!("`--{flag} {s}` is not an RFC 3339 time, a YYYY-MM-DD date or an age such as `30d`")
            }),
        }
    };
    let to = when("to", &args.to, now)?;
    let from = when("from", &args.from, to - 30 * 86_400_000)?;
    if from >= to {
        anyhow::bail!("`--from` must be before `--to`");
    }
    let group_by = match &args.group_by {
        None => None,
        Some(s) => Some(GroupBy::parse(s).ok_or_else(|| {
            anyhow::anyhow!("`--group-by {s}`: use policy_version, reason, queue, agent or channel")
        })?),
    };
    let store = crate::store::open(&args.data).await?;
    match &args.html {
        None => {
            let built = report::load(&store, &args.tenant, from, to, group_by).await?;
            println!("{}", serde_json::to_string_pretty(&built)?);
        }
        Some(path) => {
            let page = report::load_page(&store, &args.tenant, from, to).await?;
            std::fs::write(path, page.html)
                .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", path.display()))?;
            eprintln!(
                "wrote {} ({} conversations, {} version(s))",
                path.display(),
                page.conversations,
                page.versions
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
