//! Loading and calling trigger policies.

use super::cache::CompiledPlugin;
use super::contract::{trigger_api as api, wit};
use super::fault::{Fault, FaultKind};
use super::sandbox::{HostState, Sandbox};
use super::turns::Solo;
use super::wasm::Runtime;
use super::{Limits, LoadError, PluginLabel};
use baton_plugin_sdk::{Conversation, Decision, Priority, Reason};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::InstancePre;

/// A trigger plugin ready to serve one tenant version.
#[derive(Clone)]
pub struct TriggerPlugin {
    pub(super) runtime: Arc<Runtime>,
    compiled: Arc<CompiledPlugin>,
    pre: InstancePre<HostState>,
    indices: Arc<api::GuestIndices>,
    config: Arc<str>,
    pub(super) limits: Limits,
    label: PluginLabel,
    /// Whether this plugin's calls are running out of time (see `turns.rs`).
    solo: Arc<Solo>,
}

/// The result of one trigger call: always a decision, plus the fault if one was taken.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerEvaluation {
    /// The plugin's decision, or the safe decision after a fault.
    pub decision: Decision,
    /// What went wrong, if anything.
    pub fault: Option<Fault>,
    /// Wall time of the call, instantiation included.
    pub elapsed: Duration,
}

/// The reason of the safe decision taken when a policy faults.
pub const POLICY_FAULT_REASON: &str = "policy_fault";

/// The safe decision: escalate, reason `policy_fault`, so no customer is left with a broken
/// policy; the handoff layer sends it to the tenant's fallback queue.
pub fn safe_decision(fault: &Fault) -> Decision {
    Decision::escalate(Reason::Custom(POLICY_FAULT_REASON.into()), Priority::High)
        .tag(POLICY_FAULT_REASON)
        .because(format!(
            "the trigger policy failed ({}); a person takes over so the customer is not lost",
            fault.kind
        ))
}

impl TriggerPlugin {
    pub(crate) async fn load(
        runtime: Arc<Runtime>,
        compiled: Arc<CompiledPlugin>,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<Self, LoadError> {
        let path = std::path::PathBuf::from(&*label.plugin);
        let (pre, indices) = super::link::link(&runtime, &compiled, &path, api::GuestIndices::new)?;
        let plugin = TriggerPlugin {
            runtime,
            compiled,
            pre,
            indices: Arc::new(indices),
            config: config_json.into(),
            limits,
            label,
            solo: Solo::new(),
        };
        // Run `configure` once now so a refused config is a load error.
        let mut sandbox = Sandbox::new(&plugin.runtime, plugin.limits);
        let outcome = plugin.configured(&mut sandbox).await;
        super::link::configured_at_load(&path, outcome)?;
        Ok(plugin)
    }

    /// Hex SHA-256 of the plugin's bytes.
    pub fn digest(&self) -> &str {
        &self.compiled.digest
    }

    /// The tenant's limits this plugin runs under.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The same plugin with a deadline of at least `deadline` (memory cap unchanged): for
    /// checks whose point is the decision, not the timing, such as self-tests at load.
    pub fn with_deadline_at_least(&self, deadline: std::time::Duration) -> TriggerPlugin {
        let mut relaxed = self.clone();
        relaxed.limits.deadline = relaxed.limits.deadline.max(deadline);
        relaxed
    }

    /// Instantiate fresh and run `configure`; `Ok(Err)` is the plugin's own refusal.
    pub(super) async fn configured(
        &self,
        sandbox: &mut Sandbox,
    ) -> Result<Result<api::Guest, String>, Fault> {
        let pre = &self.pre;
        let indices = &self.indices;
        let config = &*self.config;
        sandbox
            .run(async |store| {
                let instance = pre.instantiate_async(&mut *store).await?;
                let guest = indices.load(&mut *store, &instance)?;
                match guest.call_configure(&mut *store, config).await? {
                    Ok(()) => Ok(Ok(guest)),
                    Err(message) => Ok(Err(message)),
                }
            })
            .await
    }

    /// Decide on `conversation` in a fresh instance (on the quarantine threads while this
    /// plugin's calls run out of time). Never fails: a fault yields the safe decision and
    /// is reported beside it.
    pub async fn evaluate(&self, conversation: &Conversation) -> TriggerEvaluation {
        if !self.solo.struggling() {
            return self.evaluate_now(conversation).await;
        }
        let (plugin, conversation) = (self.clone(), conversation.clone());
        super::quarantine::run(async move { plugin.evaluate_now(&conversation).await }).await
    }

    async fn evaluate_now(&self, conversation: &Conversation) -> TriggerEvaluation {
        let turn = self
            .runtime
            .turns
            .take(&self.label.tenant, &self.solo)
            .await;
        let mut sandbox = Sandbox::new(&self.runtime, self.limits);
        let input = to_wit(conversation);
        let outcome = match self.configured(&mut sandbox).await {
            Err(fault) => Err(fault),
            Ok(Err(message)) => Err(sandbox.guest_error(format!("configure failed: {message}"))),
            Ok(Ok(guest)) => {
                let result = sandbox
                    .run(async |store| guest.call_evaluate(store, &input).await)
                    .await;
                match result {
                    Err(fault) => Err(fault),
                    Ok(Err(message)) => Err(sandbox.guest_error(message)),
                    Ok(Ok(decision)) => from_wit(decision),
                }
            }
        };
        sandbox.log_output(&self.label);
        let elapsed = sandbox.elapsed();
        turn.finished(matches!(&outcome, Err(f) if f.kind == FaultKind::Timeout));
        match outcome {
            Ok(decision) => TriggerEvaluation {
                decision,
                fault: None,
                elapsed,
            },
            Err(fault) => {
                tracing::warn!(tenant = %self.label.tenant, plugin = %self.label.plugin, %fault, "trigger policy fault; taking the safe decision");
                TriggerEvaluation {
                    decision: safe_decision(&fault),
                    fault: Some(fault),
                    elapsed,
                }
            }
        }
    }
}

pub(super) fn to_wit(c: &Conversation) -> api::Conversation {
    api::Conversation {
        id: c.id.clone(),
        channel: c.channel.clone(),
        customer: super::routing::customer_to_wit(&c.customer),
        messages: c
            .messages
            .iter()
            .map(|m| wit::Message {
                role: match m.role {
                    baton_plugin_sdk::Role::Customer => wit::Role::Customer,
                    baton_plugin_sdk::Role::Bot => wit::Role::Bot,
                    baton_plugin_sdk::Role::Agent => wit::Role::Agent,
                    baton_plugin_sdk::Role::System => wit::Role::System,
                },
                text: m.text.clone(),
                at_ms: m.at_ms,
                intent: m.intent.clone(),
                confidence: m.confidence,
            })
            .collect(),
        clock: super::routing::clock_to_wit(&c.clock),
    }
}

pub(super) fn from_wit(d: api::Decision) -> Result<Decision, Fault> {
    let decision = Decision {
        escalate: d.escalate,
        reason: d.reason.map(super::routing::reason_from_wit),
        priority: super::routing::priority_from_wit(d.priority),
        tags: d.tags,
        explanation: d.explanation,
    };
    decision.validate().map_err(|e| {
        Fault::new(
            FaultKind::InvalidOutput,
            format!("the decision breaks the contract: {e}"),
        )
    })?;
    Ok(decision)
}
