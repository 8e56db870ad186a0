//! `baton simulate SCENARIO`: play a business day through a tenant's real policies and the
//! real desk on simulated time, print the service levels and any broken invariant (the work
//! is in [`crate::simulate`]).

use crate::simulate::{self, levels::Secs, Run, Scenario, SimulateError};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// One JSON object: the scenario and each run's levels and violations.
    Json,
    /// A table for a person.
    Table,
}

/// Arguments of `baton simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML): see `scenarios/acme-day.toml`.
    scenario: PathBuf,
    /// The policies folder holding the scenario's tenant.
    #[arg(long, default_value_os_t = super::default_policies())]
    policies: PathBuf,
    /// Another policies folder: play the same day (same seed, same arrivals) with it too
    /// and show both side by side.
    #[arg(long, value_name = "OTHER_POLICIES_DIR")]
    compare: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Exit 1 when an invariant is broken (each is named).
    #[arg(long)]
    check: bool,
    /// Data folder whose compile cache to use.
    #[arg(long, env = "BATON_DATA")]
    data: Option<String>,
}

/// Simulate and print.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let scenario = match Scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(d) => {
            eprintln!("{d}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let engine = crate::engine::Engine::for_data(args.data.as_deref())?;
    let mut runs = Vec::new();
    for policies in std::iter::once(&args.policies).chain(args.compare.as_ref()) {
        match simulate::run(&scenario, policies, engine.clone()).await {
            Ok(run) => runs.push(run),
            Err(SimulateError::Invalid(text)) => {
                eprintln!("{text}");
                return Ok(ExitCode::FAILURE);
            }
            Err(e) => return Err(e.into()),
        }
    }
    match args.format {
        Format::Json => println!("{}", to_json(&scenario, &runs)),
        Format::Table => print_table(&scenario, &runs),
    }
    let broken: usize = runs.iter().map(|r| r.violations.len()).sum();
    if args.check && broken > 0 {
        for r in &runs {
            for v in &r.violations {
                eprintln!(
                    "violation: {} ({}): {} at {}{}",
                    v.invariant,
                    r.policies.display(),
                    v.detail,
                    v.at,
                    v.handoff
                        .as_ref()
                        .map(|h| format!(" [{h}]"))
                        .unwrap_or_default()
                );
            }
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(s: &Scenario, runs: &[Run]) -> serde_json::Value {
    json!({
        "scenario": s.file,
        "tenant": s.tenant,
        "date": s.date.to_string(),
        "seed": s.seed,
        "runs": runs,
    })
}

fn duration(secs: i64) -> String {
    match secs.abs() {
        s if s < 120 => format!("{secs}s"),
        s if s < 7200 => format!("{}m{:02}s", secs / 60, s % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs.abs() % 3600 / 60),
    }
}

fn pcts(p: &Secs) -> String {
    match (p.p50, p.p90) {
        (Some(a), Some(b)) => format!("{} / {}", duration(a), duration(b)),
        _ => "-".into(),
    }
}

fn percent(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The rows of the table: label, then one cell per run.
fn rows(runs: &[Run]) -> Vec<(String, Vec<String>)> {
    let cell = |f: &dyn Fn(&Run) -> String| runs.iter().map(f).collect::<Vec<_>>();
    let mut rows = vec![
        (
            "policy version".into(),
            cell(&|r| r.levels.policy_version.clone()),
        ),
        (
            "conversations".into(),
            cell(&|r| r.levels.conversations.to_string()),
        ),
        ("handoffs".into(), cell(&|r| r.levels.handoffs.to_string())),
        ("accepted".into(), cell(&|r| r.levels.accepted.to_string())),
        (
            "time to accept p50 / p90".into(),
            cell(&|r| pcts(&r.levels.time_to_accept)),
        ),
        (
            "left waiting / abandoned".into(),
            cell(&|r| format!("{} / {}", r.levels.left_waiting, r.levels.abandoned)),
        ),
        (
            "declined / timed out".into(),
            cell(&|r| format!("{} / {}", r.levels.declined, r.levels.timed_out)),
        ),
        (
            "offers per handoff".into(),
            cell(&|r| {
                r.levels
                    .offers_per_handoff
                    .map(|v| format!("{v:.2}"))
                    .unwrap_or_else(|| "-".into())
            }),
        ),
        (
            "still waiting at the end".into(),
            cell(&|r| r.levels.still_waiting.to_string()),
        ),
        (
            "agent occupancy".into(),
            cell(&|r| percent(r.levels.occupancy)),
        ),
    ];
    let ids: Vec<String> = runs
        .first()
        .map(|r| r.levels.agents.iter().map(|a| a.id.clone()).collect())
        .unwrap_or_default();
    for id in ids {
        rows.push((
            format!("  {id}"),
            cell(&|r| {
                r.levels
                    .agents
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| format!("{} ({} accepted)", percent(a.occupancy), a.accepted))
                    .unwrap_or_default()
            }),
        ));
    }
    rows.extend([
        (
            "wait estimate |error| median".into(),
            cell(&|r| {
                let w = &r.levels.wait_estimate;
                match (w.median_abs_error_secs, w.median_error_secs) {
                    (Some(a), Some(b)) => format!(
                        "{} (bias {}{}, n={})",
                        duration(a),
                        if b > 0 { "+" } else { "" },
                        duration(b),
                        w.samples
                    ),
                    _ => "-".into(),
                }
            }),
        ),
        (
            "emergencies".into(),
            cell(&|r| r.levels.emergencies.count.to_string()),
        ),
        (
            "  to a person p50 / p90".into(),
            cell(&|r| pcts(&r.levels.emergencies.to_person)),
        ),
        (
            "  accepted p50 / p90".into(),
            cell(&|r| pcts(&r.levels.emergencies.to_accept)),
        ),
        (
            "  reached nobody".into(),
            cell(&|r| r.levels.emergencies.unreached.to_string()),
        ),
        (
            "invariants broken".into(),
            cell(&|r| r.violations.len().to_string()),
        ),
    ]);
    rows
}

fn print_table(s: &Scenario, runs: &[Run]) {
    let (from, to) = s.day;
    println!(
        "{}: {} on {}, {:02}:{:02}-{:02}:{:02}, seed {}",
        s.file.display(),
        s.tenant,
        s.date,
        from / 60,
        from % 60,
        to / 60,
        to % 60,
        s.seed
    );
    let head: Vec<String> = runs
        .iter()
        .map(|r| r.policies.display().to_string())
        .collect();
    println!(
        "{:<30} {}",
        "",
        head.iter().map(|h| format!("{h:<26}")).collect::<String>()
    );
    for (label, cells) in rows(runs) {
        println!(
            "{label:<30} {}",
            cells.iter().map(|c| format!("{c:<26}")).collect::<String>()
        );
    }
    for r in runs {
        for v in &r.violations {
            println!(
                "{} {}: {} at {}{}",
                r.policies.display(),
                v.invariant,
                v.detail,
                v.at,
                v.handoff
                    .as_ref()
                    .map(|h| format!(" [{h}]"))
                    .unwrap_or_default()
            );
        }
    }
}
