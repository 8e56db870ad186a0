//! One policy type for both worlds: loading a plugin (link, look up its export, run its
//! `configure` once) and calling it in a fresh instance under the tenant's limits, with a
//! fault turned into the world's safe fallback.
//!
//! What differs between the trigger and the routing world is a [`PolicyKind`]: the export
//! it calls, the check of its answer, its fallback (`trigger.rs`, `routing.rs`). The value
//! conversions to and from the contract's types live in the contract version's adapter
//! (`contract/since_v0_1_0.rs`), nowhere else.

use super::cache::CompiledPlugin;
use super::contract::{Configured, Exports, Speaks, World};
use super::fault::{Fault, FaultKind};
use super::sandbox::{HostState, Sandbox};
use super::turns::Solo;
use super::wasm::Runtime;
use super::{Limits, LoadError, PluginLabel};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::InstancePre;

pub use super::routing::Routing;
pub use super::trigger::Trigger;

/// The host's side of one world's call: what it hands the plugin and what it gets back.
pub trait CallTypes: Sized + Send + Sync + 'static {
    /// What one call hands the plugin, borrowed from the caller.
    type Input<'a>: Copy + Send + Sync;
    /// What the plugin answers, in the host's types.
    type Output: Send;
}

/// One world of policy: its export, what its answer must satisfy, its safe fallback. The
/// host calls it in every contract version it speaks ([`Speaks`]).
pub trait PolicyKind: CallTypes + Speaks {
    /// The interface the plugin exports.
    const WORLD: World;
    /// What the log says when a call faults and the fallback is taken.
    const FAULT_LOG: &'static str;
    /// The input owned, for a call that moves to the quarantine threads.
    type Owned: Send + Sync + 'static;
    /// The result of one call: always an output, plus the fault if one was taken.
    type Evaluation: Send;

    /// Own `input`.
    fn own(input: Self::Input<'_>) -> Self::Owned;
    /// Borrow an owned input.
    fn borrow(owned: &Self::Owned) -> Self::Input<'_>;
    /// Whether the plugin's answer keeps the contract (an `InvalidOutput` fault if not).
    fn check(output: Self::Output, input: Self::Input<'_>) -> Result<Self::Output, Fault>;
    /// The safe output after `fault`, so no customer is left with a broken policy.
    fn fallback(fault: &Fault, input: Self::Input<'_>) -> Self::Output;
    /// The call's result.
    fn evaluation(
        output: Self::Output,
        fault: Option<Fault>,
        elapsed: Duration,
    ) -> Self::Evaluation;
}

/// A plugin of world `K` ready to serve one tenant version.
pub struct Policy<K: PolicyKind> {
    pub(super) runtime: Arc<Runtime>,
    compiled: Arc<CompiledPlugin>,
    pre: InstancePre<HostState>,
    exports: Arc<Exports<K>>,
    config: Arc<str>,
    pub(super) limits: Limits,
    label: PluginLabel,
    /// Whether this plugin's calls are running out of time (see `turns.rs`).
    solo: Arc<Solo>,
}

impl<K: PolicyKind> Clone for Policy<K> {
    fn clone(&self) -> Self {
        Policy {
            runtime: self.runtime.clone(),
            compiled: self.compiled.clone(),
            pre: self.pre.clone(),
            exports: self.exports.clone(),
            config: self.config.clone(),
            limits: self.limits,
            label: self.label.clone(),
            solo: self.solo.clone(),
        }
    }
}

impl<K: PolicyKind> Policy<K> {
    /// Link `compiled`, look up its export, and run its `configure` once with `config_json`
    /// so a config it refuses is a load error now, not at the first customer.
    pub(crate) async fn load(
        runtime: Arc<Runtime>,
        compiled: Arc<CompiledPlugin>,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<Self, LoadError> {
        let path = std::path::PathBuf::from(&*label.plugin);
        let link_error = |e: wasmtime::Error| LoadError::Link {
            path: path.clone(),
            detail: format!("{e:#}"),
        };
        let pre = runtime
            .linker
            .instantiate_pre(&compiled.component)
            .map_err(link_error)?;
        let exports = Exports::new(&pre).map_err(link_error)?;
        let plugin = Policy {
            runtime,
            compiled,
            pre,
            exports: Arc::new(exports),
            config: config_json.into(),
            limits,
            label,
            solo: Solo::new(),
        };
        let mut sandbox = Sandbox::new(&plugin.runtime, plugin.limits);
        let outcome = plugin.configured(&mut sandbox).await;
        configured_at_load(&path, outcome)?;
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
    /// checks whose point is the answer, not the timing, such as self-tests at load.
    pub fn with_deadline_at_least(&self, deadline: Duration) -> Self {
        let mut relaxed = self.clone();
        relaxed.limits.deadline = relaxed.limits.deadline.max(deadline);
        relaxed
    }

    /// Instantiate fresh and run `configure`; `Ok(Err)` is the plugin's own refusal.
    pub(super) async fn configured(
        &self,
        sandbox: &mut Sandbox,
    ) -> Result<Result<Configured<K>, String>, Fault> {
        let (pre, exports, config) = (&self.pre, &self.exports, &*self.config);
        sandbox
            .run(async |store| exports.configured(pre, store, config).await)
            .await
    }

    /// Call the plugin on `input` in a fresh instance (on the quarantine threads while this
    /// plugin's calls run out of time). Never fails: a fault yields the world's fallback and
    /// is reported beside it.
    pub(super) async fn call(&self, input: K::Input<'_>) -> K::Evaluation {
        if !self.solo.struggling() {
            return self.call_now(input).await;
        }
        let (plugin, owned) = (self.clone(), K::own(input));
        super::quarantine::run(async move { plugin.call_now(K::borrow(&owned)).await }).await
    }

    async fn call_now(&self, input: K::Input<'_>) -> K::Evaluation {
        let turn = self
            .runtime
            .turns
            .take(&self.label.tenant, &self.solo)
            .await;
        let mut sandbox = Sandbox::new(&self.runtime, self.limits);
        let outcome = self.answer(&mut sandbox, input).await;
        sandbox.log_output(&self.label);
        let elapsed = sandbox.elapsed();
        turn.finished(matches!(&outcome, Err(f) if f.kind == FaultKind::Timeout));
        match outcome {
            Ok(output) => K::evaluation(output, None, elapsed),
            Err(fault) => {
                tracing::warn!(tenant = %self.label.tenant, plugin = %self.label.plugin, %fault, "{}", K::FAULT_LOG);
                K::evaluation(K::fallback(&fault, input), Some(fault), elapsed)
            }
        }
    }

    /// Configure a fresh instance and call it: the plugin's checked answer, or the fault.
    async fn answer(&self, sandbox: &mut Sandbox, input: K::Input<'_>) -> Result<K::Output, Fault> {
        let configured = match self.configured(sandbox).await? {
            Ok(configured) => configured,
            Err(message) => return Err(sandbox.guest_error(format!("configure failed: {message}"))),
        };
        match sandbox
            .run(async |store| configured.call(store, input).await)
            .await?
        {
            Ok(output) => K::check(output, input),
            Err(message) => Err(sandbox.guest_error(message)),
        }
    }
}

/// The outcome of the `configure` run at load time, as a load error if it was not a success.
fn configured_at_load<G>(
    path: &Path,
    outcome: Result<Result<G, String>, Fault>,
) -> Result<(), LoadError> {
    match outcome {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(message)) => Err(LoadError::Config {
            path: path.to_path_buf(),
            message,
        }),
        Err(fault) => Err(LoadError::Fault {
            path: path.to_path_buf(),
            fault,
        }),
    }
}
