//! Benchmark-only: one trigger instance called again and again.
//!
//! Serving never does this. Every real decision runs in a fresh instance
//! ([`TriggerPlugin::evaluate`]) so nothing one conversation leaves in a plugin's memory
//! can reach the next. This exists only so `host/benches/decision.rs` can show what a
//! fresh instance costs compared with a warm one. It is `#[doc(hidden)]` and not part of
//! the host's API.

use super::contract::Configured;
use super::fault::{Fault, FaultKind};
use super::policy::PolicyKind;
use super::sandbox::Sandbox;
use super::trigger::{Trigger, TriggerPlugin};
use baton_plugin_sdk::{Conversation, Decision};

/// A configured instance kept alive across calls (benchmarks only; see the module docs).
#[doc(hidden)]
pub struct ReusedTrigger {
    sandbox: Sandbox,
    configured: Configured<Trigger>,
}

impl TriggerPlugin {
    /// Instantiate once and run `configure`, for [`ReusedTrigger::evaluate`] to call
    /// repeatedly. Benchmarks only: it gives up per-decision isolation.
    #[doc(hidden)]
    pub async fn reused_instance_for_benchmarks(&self) -> Result<ReusedTrigger, Fault> {
        let mut sandbox = Sandbox::new(&self.runtime, self.limits);
        match self.configured(&mut sandbox).await? {
            Ok(configured) => Ok(ReusedTrigger {
                sandbox,
                configured,
            }),
            Err(message) => Err(Fault::new(
                FaultKind::PluginError,
                format!("configure failed: {message}"),
            )),
        }
    }
}

impl ReusedTrigger {
    /// Call `evaluate` on the same instance again, with a fresh deadline. A fault is
    /// returned as is (no safe decision: this is not the serving path). After a fault the
    /// instance may not be entered again.
    #[doc(hidden)]
    pub async fn evaluate(&mut self, conversation: &Conversation) -> Result<Decision, Fault> {
        self.sandbox.rearm();
        let configured = &self.configured;
        match self
            .sandbox
            .run(async |store| configured.call(store, conversation).await)
            .await?
        {
            Ok(decision) => Trigger::check(decision, conversation),
            Err(message) => Err(Fault::new(FaultKind::PluginError, message)),
        }
    }
}
