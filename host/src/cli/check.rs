//! `baton check [DIR]`.

use crate::config;
use crate::tenants::load_version;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `baton check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies folder (or one tenant file).
    #[arg(default_value_os_t = super::default_policies())]
    path: PathBuf,
    /// Data folder whose compile cache to use.
    #[arg(long, env = "BATON_DATA")]
    data: Option<String>,
}

/// Validate everything `serve` would load.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files: Vec<PathBuf> = if args.path.is_file() {
        vec![args.path.clone()]
    } else {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&args.path)
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", args.path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(config::is_tenant_file_name)
            })
            .collect();
        files.sort();
        files
    };
    if files.is_empty() {
        eprintln!(
            "error: no tenant files (`*.toml`) in `{}`",
            args.path.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    let engine = super::engine(args.data.as_deref())?;
    let mut failed = 0;
    for file in &files {
        match load_version(&engine, file).await {
            Ok((_, report)) => println!(
                "ok: {} ({}): version {}, {} self-test{} passed",
                report.tenant,
                file.display(),
                report.version,
                report.self_tests,
                if report.self_tests == 1 { "" } else { "s" }
            ),
            Err(diagnostics) => {
                failed += 1;
                eprintln!("{diagnostics}");
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} tenant file{} refused",
            files.len(),
            if files.len() == 1 { "" } else { "s" }
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
