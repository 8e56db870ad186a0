//! Building a [`TenantVersion`] from a tenant file: parse and validate the TOML, load and
//! configure each plugin, run the inline self-tests. Any failure is a diagnostic pointing at
//! the line to fix.

use super::TenantVersion;
use crate::config::{self, Diagnostic, Diagnostics, PluginSpec, TenantConfig};
use crate::engine::{Engine, Limits, LoadError, PluginLabel, RoutingPlugin, TriggerPlugin};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// What `baton check` prints for a good tenant.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The tenant id.
    pub tenant: String,
    /// The version id.
    pub version: String,
    /// How many self-tests passed.
    pub self_tests: usize,
}

/// The least deadline self-tests (and `baton test`'s replays) run with: they check what
/// the policy decides, not how fast a busy machine runs it; a plugin that loops still fails.
pub const SELF_TEST_DEADLINE: Duration = Duration::from_secs(1);

fn limits_of(config: &TenantConfig) -> Limits {
    Limits {
        memory_bytes: (config.limits.memory_mib as usize) << 20,
        deadline: Duration::from_millis(config.limits.deadline_ms as u64),
    }
}

/// A plugin load error as a diagnostic at the `plugin = ...` line (or its config table).
fn plugin_error(config: &TenantConfig, spec: &PluginSpec, error: LoadError) -> Diagnostic {
    let span = match error {
        LoadError::Config { .. } => spec.config_span.clone(),
        _ => spec.path_span.clone(),
    };
    let text = error.to_string();
    let (message, help) = match text.split_once("\n  = help: ") {
        Some((m, h)) => (m.to_string(), Some(h.to_string())),
        None => (text, None),
    };
    let diagnostic = config.error_at(span, message);
    match help {
        Some(h) => diagnostic.with_help(h),
        None => diagnostic,
    }
}

async fn trigger(
    engine: &Engine,
    config: &TenantConfig,
    spec: &PluginSpec,
    role: &str,
) -> Result<TriggerPlugin, Diagnostic> {
    let label = PluginLabel::new(
        &config.tenant_id,
        &format!("{role}:{}", spec.path.display()),
    );
    engine
        .load_trigger(&spec.path, &spec.config_json, limits_of(config), label)
        .await
        .map_err(|e| plugin_error(config, spec, e))
}

async fn routing(
    engine: &Engine,
    config: &TenantConfig,
    spec: &PluginSpec,
) -> Result<RoutingPlugin, Diagnostic> {
    let label = PluginLabel::new(
        &config.tenant_id,
        &format!("routing:{}", spec.path.display()),
    );
    engine
        .load_routing(&spec.path, &spec.config_json, limits_of(config), label)
        .await
        .map_err(|e| plugin_error(config, spec, e))
}

/// Which table a self-test comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    /// `[[trigger.tests]]`.
    Trigger,
    /// `[[routing.tests]]`.
    Routing,
}

impl TestKind {
    /// `trigger` or `routing`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Trigger => "trigger",
            TestKind::Routing => "routing",
        }
    }
}

/// One inline self-test's result: what gates activation, and what `baton test` prints.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// Its table.
    pub kind: TestKind,
    /// Its `name`.
    pub name: String,
    /// Why it failed, pointing at the test; `None` when it passed.
    pub failure: Option<Diagnostic>,
}

/// Run the tenant's `[[trigger.tests]]` against its trigger plugin.
async fn self_tests(config: &TenantConfig, trigger: &TriggerPlugin) -> Vec<TestOutcome> {
    // Self-tests check what the policy decides. A reload on a busy host must not be refused
    // because a call waited for the CPU, so they run with a roomier deadline (a plugin that
    // loops still fails them).
    let trigger = trigger.with_deadline_at_least(SELF_TEST_DEADLINE);
    let mut outcomes = Vec::new();
    for test in &config.self_tests {
        let got = trigger.evaluate(&test.conversation).await;
        let problem = if let Some(fault) = &got.fault {
            Some(format!("the trigger policy faulted ({fault})"))
        } else if got.decision.escalate != test.expect_escalate {
            Some(format!(
                "expected {}, but the policy {}",
                if test.expect_escalate {
                    "an escalation"
                } else {
                    "no escalation"
                },
                match &got.decision.reason {
                    Some(r) if got.decision.escalate => format!("escalated for `{r}`"),
                    _ => "did not escalate".to_string(),
                }
            ))
        } else if test.expect_escalate
            && test.expect_reason.is_some()
            && got.decision.reason != test.expect_reason
        {
            Some(format!(
                "expected reason `{}`, but the policy gave `{}`",
                test.expect_reason
                    .as_ref()
                    .map(|r| r.as_str())
                    .unwrap_or("-"),
                got.decision
                    .reason
                    .as_ref()
                    .map(|r| r.as_str())
                    .unwrap_or("-"),
            ))
        } else {
            None
        };
        let failure = problem.map(|problem| {
            let d = config.error_at(
                test.span.clone(),
                format!("self-test `{}` failed: {problem}", test.name),
            );
            if got.decision.explanation.is_empty() {
                d
            } else {
                d.with_help(format!(
                    "the policy explained: {}",
                    got.decision.explanation
                ))
            }
        });
        outcomes.push(TestOutcome {
            kind: TestKind::Trigger,
            name: test.name.clone(),
            failure,
        });
    }
    outcomes
}

/// Run the tenant's `[[routing.tests]]` against its routing plugin.
async fn routing_tests(config: &TenantConfig, routing: &RoutingPlugin) -> Vec<TestOutcome> {
    let routing = routing.with_deadline_at_least(SELF_TEST_DEADLINE);
    let mut outcomes = Vec::new();
    for test in &config.routing_tests {
        let got = routing.route(&test.request, &test.roster).await;
        let problems = match &got.fault {
            Some(fault) => vec![format!("the routing policy faulted ({fault})")],
            None => test
                .expect
                .differences(&got.choice.agents, &got.choice.queue),
        };
        let failure = (!problems.is_empty()).then(|| {
            let d = config.error_at(
                test.span.clone(),
                format!(
                    "routing self-test `{}` failed: {}",
                    test.name,
                    problems.join("; ")
                ),
            );
            if got.choice.explanation.is_empty() {
                d
            } else {
                d.with_help(format!("the policy explained: {}", got.choice.explanation))
            }
        });
        outcomes.push(TestOutcome {
            kind: TestKind::Routing,
            name: test.name.clone(),
            failure,
        });
    }
    outcomes
}

fn version_id(text: &str, plugins: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    for p in plugins {
        h.update([0]);
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..6])
}

/// Load one tenant file into a ready version, or say everything that is wrong with it:
/// the gate every activation passes (a version whose self-tests fail is refused).
pub async fn load_version(
    engine: &Engine,
    path: &Path,
) -> Result<(TenantVersion, LoadReport), Diagnostics> {
    let (version, outcomes) = load_and_test(engine, path).await?;
    let errors: Vec<Diagnostic> = outcomes.into_iter().filter_map(|o| o.failure).collect();
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    let report = LoadReport {
        tenant: version.config.tenant_id.clone(),
        version: version.id.clone(),
        self_tests: version.config.self_tests.len() + version.config.routing_tests.len(),
    };
    Ok((version, report))
}

/// Load one tenant file and run its inline self-tests, returning the version and every
/// test's outcome whether or not they passed (`baton test` reports each;
/// [`load_version`] refuses on any failure). Errors are a file that cannot be a version at
/// all: invalid TOML or a plugin that does not load.
pub async fn load_and_test(
    engine: &Engine,
    path: &Path,
) -> Result<(TenantVersion, Vec<TestOutcome>), Diagnostics> {
    let path_owned = path.to_path_buf();
    let config = tokio::task::spawn_blocking(move || config::load_file(&path_owned))
        .await
        .map_err(|e| {
            Diagnostics::from(Diagnostic::whole_file(path, format!("loading failed: {e}")))
        })??;
    let (trigger_plugin, routing_plugin, shadow_plugin) = tokio::join!(
        trigger(engine, &config, &config.trigger, "trigger"),
        routing(engine, &config, &config.routing),
        async {
            match &config.shadow {
                Some(spec) => trigger(engine, &config, spec, "shadow").await.map(Some),
                None => Ok(None),
            }
        }
    );
    let errors: Vec<Diagnostic> = [
        trigger_plugin.as_ref().err(),
        routing_plugin.as_ref().err(),
        shadow_plugin.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect();
    let (Ok(trigger_plugin), Ok(routing_plugin), Ok(shadow_plugin)) =
        (trigger_plugin, routing_plugin, shadow_plugin)
    else {
        return Err(Diagnostics(errors));
    };
    let (mut outcomes, routing_run) = tokio::join!(
        self_tests(&config, &trigger_plugin),
        routing_tests(&config, &routing_plugin)
    );
    outcomes.extend(routing_run);
    let mut digests = vec![trigger_plugin.digest(), routing_plugin.digest()];
    if let Some(s) = &shadow_plugin {
        digests.push(s.digest());
    }
    let id = version_id(&config.source.text, &digests);
    Ok((
        TenantVersion {
            id,
            loaded_at: jiff::Timestamp::now(),
            config: Arc::new(config),
            trigger: trigger_plugin,
            routing: routing_plugin,
            shadow: shadow_plugin,
        },
        outcomes,
    ))
}
