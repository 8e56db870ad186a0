//! `baton replay`: the tenant's trigger policy over labelled conversations, scored.

use crate::tenants::load_version;
use baton_plugin_sdk::fixtures::{self, Outcome, Score, Verdict};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    /// One JSON object per conversation, then a summary line.
    Json,
    /// A table for a person.
    Table,
}

/// Arguments of `baton replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies folder.
    #[arg(long, default_value_os_t = super::default_policies())]
    policies: PathBuf,
    /// The tenant whose trigger policy to replay.
    #[arg(long)]
    tenant: String,
    /// Conversations in the fixture format (JSON Lines).
    #[arg(long)]
    conversations: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Another policies folder: replay the same tenant from both and show the decisions side
    /// by side with a summary of what changes.
    #[arg(long, value_name = "OTHER_POLICIES_DIR")]
    compare: Option<PathBuf>,
}

/// Replay and print.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let conversations = match fixtures::read_file(&args.conversations) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let version = match load(&args.policies, &args.tenant).await? {
        Ok(v) => std::sync::Arc::new(v),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let outcomes = replay_all(version.clone(), conversations.clone()).await?;
    if let Some(other) = &args.compare {
        let other = match load(other, &args.tenant).await? {
            Ok(v) => std::sync::Arc::new(v),
            Err(diagnostics) => {
                eprintln!("{diagnostics}");
                return Ok(ExitCode::FAILURE);
            }
        };
        let theirs = replay_all(other.clone(), conversations.clone()).await?;
        let json = matches!(args.format, Format::Json);
        super::replay_compare::print(
            &conversations,
            [&version.id, &other.id],
            [&outcomes, &theirs],
            json,
        );
        return Ok(ExitCode::SUCCESS);
    }
    let labelled = conversations.iter().any(|c| c.expect.is_some());
    let score = fixtures::score(&conversations, &outcomes);
    match args.format {
        Format::Json => print_json(&outcomes, &version.id, labelled.then_some(&score)),
        Format::Table => print_table(
            &conversations,
            &outcomes,
            &version.id,
            labelled.then_some(&score),
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Load the tenant's version from a policies folder (diagnostics as text on refusal).
async fn load(
    policies: &std::path::Path,
    tenant: &str,
) -> anyhow::Result<Result<crate::tenants::TenantVersion, String>> {
    let file = policies.join(format!("{tenant}.toml"));
    let engine = crate::engine::Engine::new(Default::default())?;
    Ok(load_version(&engine, &file)
        .await
        .map(|(version, _)| version)
        .map_err(|d| d.to_string()))
}

/// Replay every fixture through `version`'s trigger policy.
async fn replay_all(
    version: std::sync::Arc<crate::tenants::TenantVersion>,
    list: Vec<fixtures::Fixture>,
) -> anyhow::Result<Vec<Outcome>> {
    replay_through(version.trigger.clone(), version.config.clone(), list).await
}

/// Replay every fixture through `trigger`, with the clock of the tenant `config`.
pub(super) async fn replay_through(
    trigger: crate::engine::TriggerPlugin,
    config: std::sync::Arc<crate::config::TenantConfig>,
    list: Vec<fixtures::Fixture>,
) -> anyhow::Result<Vec<Outcome>> {
    let handle = tokio::runtime::Handle::current();
    // The sandbox is async; the replay loop is plain code, so it runs on a blocking thread.
    Ok(tokio::task::spawn_blocking(move || {
        list.iter()
            .map(|fixture| {
                let mut faults = 0;
                let mut outcome = fixtures::replay(fixture, |conversation| {
                    let mut c = conversation.clone();
                    c.clock = config.clock_at(
                        jiff::Timestamp::from_millisecond(c.clock.now_ms).unwrap_or_default(),
                    );
                    let e = handle.block_on(trigger.evaluate(&c));
                    faults += e.fault.is_some() as usize;
                    Ok::<_, std::convert::Infallible>(e.decision)
                })
                .unwrap_or_else(|never| match never {});
                outcome.faults = faults;
                outcome
            })
            .collect()
    })
    .await?)
}

fn print_json(outcomes: &[Outcome], version: &str, score: Option<&Score>) {
    for o in outcomes {
        println!(
            "{}",
            json!({
                "id": o.id,
                "escalate": o.escalate,
                "reason": o.reason.as_ref().map(|r| r.as_str()),
                "at_message": o.at_message,
                "policy_version": version,
                "faults": o.faults,
            })
        );
    }
    if let Some(s) = score {
        println!(
            "{}",
            json!({"summary": {
                "precision": s.precision, "recall": s.recall, "f1": s.f1,
                "reason_accuracy": s.reason_accuracy, "false_alarms": s.false_alarms,
                "false_alarms_on_negatives": s.false_alarms_on_negatives,
                "late": s.late, "missed": s.missed, "caught": s.caught,
                "positives": s.positives, "negatives": s.negatives,
            }})
        );
    }
}

fn print_table(
    fixtures: &[fixtures::Fixture],
    outcomes: &[Outcome],
    version: &str,
    score: Option<&Score>,
) {
    println!(
        "{:<12} {:<9} {:<18} {:>4}  {:<18} {:<12} faults",
        "id", "escalate", "reason", "at", "expected", "verdict"
    );
    for (f, o) in fixtures.iter().zip(outcomes) {
        let expected = match &f.expect {
            Some(e) if e.escalate => format!(
                "{}@{}",
                e.reason.as_ref().map(|r| r.as_str()).unwrap_or("-"),
                e.at_message.map(|a| a.to_string()).unwrap_or_default()
            ),
            Some(_) => "stay".into(),
            None => "-".into(),
        };
        let verdict = match o.verdict(f) {
            Verdict::Caught
                if f.expect.as_ref().and_then(|e| e.reason.as_ref()) != o.reason.as_ref() =>
            {
                "caught*".to_string()
            }
            v => serde_json::to_value(v)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        };
        println!(
            "{:<12} {:<9} {:<18} {:>4}  {:<18} {:<12} {}",
            o.id,
            if o.escalate { "yes" } else { "no" },
            o.reason.as_ref().map(|r| r.as_str()).unwrap_or("-"),
            o.at_message
                .map(|a| a.to_string())
                .unwrap_or_else(|| "-".into()),
            expected,
            verdict,
            o.faults
        );
    }
    println!("policy version {version}");
    if let Some(s) = score {
        println!(
            "precision {:.3}  recall {:.3}  f1 {:.3}  reason accuracy {:.3}  false alarms {} ({} on negatives)  late {}  missed {}",
            s.precision, s.recall, s.f1, s.reason_accuracy, s.false_alarms, s.false_alarms_on_negatives, s.late, s.missed
        );
        println!("(caught* = caught with a different reason than the label)");
    }
}
