//! The `baton` command: serve, check, test, replay, export, report, keys, new, build, load,
//! simulate.

mod check;
pub mod export;
mod keys;
mod load;
mod new;
mod replay;
mod replay_compare;
mod report;
mod serve;
mod simulate;
mod test;

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
    /// Run every tenant's self-tests and fixture replays; exit 1 on any failure (for CI).
    Test(test::Args),
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
    /// Play a business day (a scenario file) through a tenant's real policies on simulated
    /// time: service levels, and the lifecycle invariants checked at every step.
    Simulate(simulate::Args),
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
            Command::Test(args) => test::run(args).await,
            Command::Replay(args) => replay::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Report(args) => report::run(args).await,
            Command::Keys(cmd) => keys::run(cmd).await,
            Command::Load(cmd) => load::run(cmd).await,
            Command::New(cmd) => new::run(cmd).await,
            Command::Build(args) => new::build(args).await,
            Command::Simulate(args) => simulate::run(args).await,
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
