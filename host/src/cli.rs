//! The `baton` command: serve, check, replay, export, report, keys, new, build, load.

mod check;
pub mod export;
mod keys;
mod load;
mod new;
mod replay;
mod replay_compare;
mod report;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Baton hands a bot's conversation to the right person at the right moment.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the handoff API for every tenant in the policies folder, reloading on change.
    Serve(serve::Args),
    /// Validate tenant files and their plugins offline, as `serve` would; exit 1 on any error.
    Check(check::Args),
    /// Replay labelled conversations through a tenant's trigger policy and score it.
    Replay(replay::Args),
    /// Write recorded conversations as labelled fixtures (what happened is the label).
    Export(export::Args),
    /// A tenant's outcome report as JSON, or as an HTML page with charts (`--html FILE`).
    Report(report::Args),
    /// Start a policy project in Rust, Python or JavaScript: `baton new policy NAME --lang python`.
    #[command(subcommand)]
    New(new::Command),
    /// Build a policy project (runs its `build` script): `baton build [DIR]`.
    Build(new::BuildArgs),
    /// Create, revoke and list API keys.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Load-test running hosts: `baton load prepare` a folder, then `baton load run`.
    #[command(subcommand)]
    Load(load::Command),
}

/// Where tenant files live unless `--policies` says otherwise.
pub(crate) fn default_policies() -> PathBuf {
    PathBuf::from("policies")
}

/// Where data lives unless `--data` says otherwise.
pub(crate) const DEFAULT_DATA: &str = "baton-data";

/// Run the command line; the exit code is the process's.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Check(args) => check::run(args).await,
            Command::Replay(args) => replay::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Keys(cmd) => keys::run(cmd).await,
            Command::Load(cmd) => load::run(cmd).await,
            Command::New(cmd) => new::run(cmd).await,
            Command::Build(args) => new::build(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The engine the commands share, with its compile cache under the data folder (a database
/// URL has none: see `baton serve --cache`).
pub(crate) fn engine(data: Option<&str>) -> anyhow::Result<crate::engine::Engine> {
    engine_with_cache(
        data.filter(|d| !d.contains("://"))
            .map(|d| PathBuf::from(d).join("compiled")),
    )
}

/// The engine with its compile cache in `cache_dir` (none: compile at every start).
pub(crate) fn engine_with_cache(
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<crate::engine::Engine> {
    Ok(crate::engine::Engine::new(crate::engine::EngineOptions {
        cache_dir,
        ..Default::default()
    })?)
}
