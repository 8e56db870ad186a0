//! `baton check [DIR]`.

use crate::config;
use crate::tenants::load_version;
use std::path::{Path, PathBuf};
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
    let files = match tenant_files(&args.path) {
        Ok(f) => f,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let engine = crate::engine::Engine::for_data(args.data.as_deref())?;
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

/// The tenant files `path` names: itself when it is a file, else its `*.toml` tenants,
/// sorted; an error when there are none.
pub(super) fn tenant_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(config::is_tenant_file_name)
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!(
            "no tenant files (`*.toml`) in `{}`",
            path.display()
        ));
    }
    Ok(files)
}
