//! `baton simulate`: a tenant's real trigger and routing plugins, through the real desk over
//! a real (temporary SQLite) store, on a manual clock, against a scenario: a business day of
//! arrivals, labelled conversations, agents' shifts and answers, customers who leave. It
//! measures the service levels a business would see and checks, after every step, the
//! invariants that make the promise (*no lead lost, every emergency reaches a person*).
//!
//! This is how a business tries a routing policy before it serves, and how the team finds
//! the next lifecycle bug: a broken invariant names the rule, the handoff and the moment.
//!
//! - `scenario` reads and checks the scenario file (diagnostics like a tenant file's),
//! - `day` plays it: events on a simulated clock, the background rounds between them,
//! - `checks` holds the invariants, `levels` the service levels.

pub mod checks;
mod day;
pub mod levels;
pub mod scenario;

pub use checks::Violation;
pub use levels::ServiceLevels;
pub use scenario::Scenario;

use crate::clock::ManualClock;
use crate::config::Diagnostics;
use crate::engine::Engine;
use crate::handoff::{Desk, DeskError};
use crate::store::StoreError;
use crate::tenants::{ReloadOutcome, Tenants};
use baton_plugin_sdk::fixtures::{self, Fixture};
use baton_plugin_sdk::Reason;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Why a simulation could not run (a broken invariant is a result, not an error).
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// The scenario or the tenant file is wrong; the diagnostics say where.
    #[error("{0}")]
    Invalid(String),
    /// The desk refused something the simulation did.
    #[error("the desk: {0}")]
    Desk(#[from] DeskError),
    /// The temporary store failed.
    #[error("the store: {0}")]
    Store(#[from] StoreError),
    /// The temporary folder.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Something the simulation did not expect of the desk's answers.
    #[error("{0}")]
    Unexpected(String),
}

impl From<Diagnostics> for SimulateError {
    fn from(d: Diagnostics) -> Self {
        SimulateError::Invalid(d.to_string())
    }
}

/// One policies folder's run of the day.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The policies folder.
    pub policies: PathBuf,
    /// What the day looked like.
    pub levels: ServiceLevels,
    /// Broken invariants, in the order found.
    pub violations: Vec<Violation>,
}

/// The scenario's conversations, by label: emergencies, other escalations, the rest.
pub fn pools(s: &Scenario, list: &[Fixture]) -> Result<[Vec<usize>; 3], SimulateError> {
    let mut pools: [Vec<usize>; 3] = Default::default();
    for (i, f) in list.iter().enumerate() {
        let Some(e) = &f.expect else { continue };
        let pool = match (e.escalate, &e.reason) {
            (true, Some(Reason::Emergency)) => 0,
            (true, _) => 1,
            (false, _) => 2,
        };
        pools[pool].push(i);
    }
    let shares = [
        s.emergency_share,
        s.escalating_share,
        1.0 - s.emergency_share - s.escalating_share,
    ];
    for (pool, (name, share)) in pools.iter().zip(
        ["emergency", "escalating", "staying with the bot"]
            .iter()
            .zip(shares),
    ) {
        if pool.is_empty() && share > 1e-9 {
            return Err(SimulateError::Invalid(format!(
                "error: {}: no labelled conversation is {name}, but the scenario's `[mix]` draws {share:.2} of arrivals from them",
                s.conversations.display()
            )));
        }
    }
    Ok(pools)
}

/// Read the scenario's labelled conversations.
pub fn conversations(s: &Scenario) -> Result<Vec<Fixture>, SimulateError> {
    fixtures::read_file(&s.conversations).map_err(|e| SimulateError::Invalid(format!("error: {e}")))
}

/// Play the scenario's day with the tenant of `policies` (its file `<tenant>.toml` and the
/// plugins it names), on a fresh temporary store.
pub async fn run(s: &Scenario, policies: &Path, engine: Engine) -> Result<Run, SimulateError> {
    let list = conversations(s)?;
    let pools = pools(s, &list)?;
    let tenants = Tenants::new(engine, policies);
    let file = policies.join(format!("{}.toml", s.tenant));
    if !file.is_file() {
        return Err(SimulateError::Invalid(
            s.tenant_error(format!("there is no `{}`", file.display()))
                .to_string(),
        ));
    }
    match tenants.reload_file(&file).await {
        ReloadOutcome::Activated(_) | ReloadOutcome::Unchanged(_) => {}
        ReloadOutcome::Refused(text) => return Err(SimulateError::Invalid(text)),
        ReloadOutcome::Removed => {
            return Err(SimulateError::Invalid(format!(
                "`{}` is gone",
                file.display()
            )))
        }
    }
    let version = tenants
        .get(&s.tenant)
        .ok_or_else(|| SimulateError::Unexpected("the tenant did not load".into()))?;
    s.check_agents(&version.config)?;
    let data = tempfile::tempdir()?;
    let store = crate::store::open(&data.path().to_string_lossy()).await?;
    let start = day::local_ms(s, &version.config.time_zone, s.day.0);
    let clock = ManualClock::new(
        jiff::Timestamp::from_millisecond(start)
            .map_err(|e| SimulateError::Unexpected(e.to_string()))?,
    );
    let desk = Desk::with_clock(store, tenants, clock.clone());
    let mut day = day::Day::new(s, &list, desk, clock, version);
    day.plan(&pools);
    day.play().await?;
    let mut checks = std::mem::take(&mut day.checks);
    checks.finish(&day).await?;
    let levels = levels::of(&day);
    Ok(Run {
        policies: policies.to_path_buf(),
        levels,
        violations: checks.found,
    })
}
