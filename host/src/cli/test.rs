//! `baton test [DIR]`: every tenant's self-tests (`[[trigger.tests]]`, `[[routing.tests]]`)
//! and fixture replays (`[[trigger.fixtures]]`, scored against the tenant's thresholds),
//! reported like `cargo test`; the exit code is 1 on any failure, for an integrator's CI.
//!
//! The self-tests run through [`crate::tenants::load_and_test`], the same code that gates
//! activation; the replays through `baton replay`'s loop and the SDK's scoring.

use crate::config::{Diagnostic, FixtureSpec};
use crate::tenants::{load_and_test, TenantVersion};
use baton_plugin_sdk::fixtures::{self, Score};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `baton test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The policies folder (or one tenant file).
    #[arg(default_value_os_t = super::default_policies())]
    path: PathBuf,
}

/// What one test line says.
struct Line {
    name: String,
    failure: Option<String>,
    note: String,
}

/// Run every test of every tenant and print the summary.
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = match super::check::tenant_files(&args.path) {
        Ok(f) => f,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let engine = crate::engine::Engine::new(Default::default())?;
    let mut lines = Vec::new();
    for file in &files {
        lines.extend(tenant(&engine, file).await?);
    }
    let failed: Vec<&Line> = lines.iter().filter(|l| l.failure.is_some()).collect();
    println!();
    if !failed.is_empty() {
        println!("failures:\n");
        for l in &failed {
            println!("---- {} ----", l.name);
            println!("{}\n", l.failure.as_deref().unwrap_or_default());
        }
        println!("failures:");
        for l in &failed {
            println!("    {}", l.name);
        }
        println!();
    }
    println!(
        "test result: {}. {} passed; {} failed",
        if failed.is_empty() { "ok" } else { "FAILED" },
        lines.len() - failed.len(),
        failed.len()
    );
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The tests of one tenant file, printed as they finish.
async fn tenant(engine: &crate::engine::Engine, file: &Path) -> anyhow::Result<Vec<Line>> {
    let id =
        crate::config::tenant_id_from_path(file).unwrap_or_else(|_| file.display().to_string());
    let (version, outcomes) = match load_and_test(engine, file).await {
        Ok(v) => v,
        Err(diagnostics) => {
            // A file that is not a version at all is one failed test: nothing else can run.
            let line = Line {
                name: format!("{id}::load"),
                failure: Some(diagnostics.to_string()),
                note: String::new(),
            };
            print(&line);
            return Ok(vec![line]);
        }
    };
    let version = Arc::new(version);
    let count = outcomes.len() + version.config.fixtures.len();
    println!(
        "\nrunning {count} test{} for {id} ({})",
        if count == 1 { "" } else { "s" },
        file.display()
    );
    let mut lines = Vec::new();
    for o in outcomes {
        let line = Line {
            name: format!("{id}::{}::{}", o.kind.as_str(), slug(&o.name)),
            failure: o.failure.map(|d| d.to_string()),
            note: String::new(),
        };
        print(&line);
        lines.push(line);
    }
    for spec in &version.config.fixtures {
        let line = replay(&version, spec, &id).await?;
        print(&line);
        lines.push(line);
    }
    Ok(lines)
}

fn print(line: &Line) {
    let verdict = if line.failure.is_some() {
        "FAILED"
    } else {
        "ok"
    };
    if line.note.is_empty() {
        println!("test {} ... {verdict}", line.name);
    } else {
        println!("test {} ... {verdict} ({})", line.name, line.note);
    }
}

/// A test name as a path segment: lowercase words joined by `_`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_lowercase());
    }
    out
}

/// Replay one fixtures file through the tenant's trigger and hold it to the thresholds.
async fn replay(
    version: &Arc<TenantVersion>,
    spec: &FixtureSpec,
    id: &str,
) -> anyhow::Result<Line> {
    let stem = Path::new(&spec.written)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("{id}::fixtures::{}", slug(&stem));
    let at = |span, message: String| version.config.error_at(span, message).to_string();
    let conversations = match fixtures::read_file(&spec.path) {
        Ok(c) => c,
        Err(e) => {
            return Ok(Line {
                name,
                failure: Some(at(
                    spec.path_span.clone(),
                    format!("cannot use `{}`: {e}", spec.written),
                )),
                note: String::new(),
            })
        }
    };
    let trigger = version
        .trigger
        .with_deadline_at_least(crate::tenants::SELF_TEST_DEADLINE);
    let outcomes =
        super::replay::replay_through(trigger, version.config.clone(), conversations.clone())
            .await?;
    let faults: usize = outcomes.iter().map(|o| o.faults).sum();
    let score = fixtures::score(&conversations, &outcomes);
    let mut misses = shortfalls(spec, &score);
    if faults > 0 {
        misses.push(format!("the trigger policy faulted {faults} times"));
    }
    let note = format!(
        "{} conversations: f1 {:.3}, precision {:.3}, recall {:.3}, missed {}",
        conversations.len(),
        score.f1,
        score.precision,
        score.recall,
        score.missed
    );
    let failure = (!misses.is_empty()).then(|| {
        let d: Diagnostic = version.config.error_at(
            spec.span.clone(),
            format!(
                "fixtures `{}` fell short: {}",
                spec.written,
                misses.join("; ")
            ),
        );
        d.with_help(format!(
            "{note}; see each conversation with `baton replay --tenant {id} --conversations {}`",
            spec.path.display()
        ))
        .to_string()
    });
    Ok(Line {
        name,
        failure,
        note,
    })
}

/// Each threshold the score misses, as `f1 0.712 is below min_f1 0.800`.
fn shortfalls(spec: &FixtureSpec, score: &Score) -> Vec<String> {
    let mut out = Vec::new();
    for (key, min, got) in [
        ("min_f1", spec.min_f1, score.f1),
        ("min_precision", spec.min_precision, score.precision),
        ("min_recall", spec.min_recall, score.recall),
    ] {
        if let Some(min) = min {
            if got < min {
                let what = key.trim_start_matches("min_");
                out.push(format!("{what} {got:.3} is below {key} {min:.3}"));
            }
        }
    }
    if let Some(max) = spec.max_missed {
        if score.missed > max {
            out.push(format!(
                "{} positives missed, more than max_missed {max}",
                score.missed
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_words() {
        assert_eq!(
            super::slug("A gas leak goes to Sam!"),
            "a_gas_leak_goes_to_sam"
        );
        assert_eq!(super::slug("  no-heat / newborn "), "no_heat_newborn");
    }
}
