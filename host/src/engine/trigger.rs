//! The trigger world: when to hand a conversation to a person. Its safe fallback is to
//! escalate, so a broken policy never leaves a customer alone.

use super::contract::World;
use super::fault::{Fault, FaultKind};
use super::policy::{CallTypes, Policy, PolicyKind};
use baton_plugin_sdk::{Conversation, Decision, Priority, Reason};
use std::time::Duration;

/// The trigger world (`baton:policy/trigger`), as a [`PolicyKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {}

/// A trigger plugin ready to serve one tenant version.
pub type TriggerPlugin = Policy<Trigger>;

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

impl CallTypes for Trigger {
    type Input<'a> = &'a Conversation;
    type Output = Decision;
}

impl PolicyKind for Trigger {
    const WORLD: World = World::Trigger;
    const FAULT_LOG: &'static str = "trigger policy fault; taking the safe decision";
    type Owned = Conversation;
    type Evaluation = TriggerEvaluation;

    fn own(conversation: &Conversation) -> Conversation {
        conversation.clone()
    }
    fn borrow(conversation: &Conversation) -> &Conversation {
        conversation
    }
    fn check(decision: Decision, _: &Conversation) -> Result<Decision, Fault> {
        decision.validate().map_err(|e| {
            Fault::new(
                FaultKind::InvalidOutput,
                format!("the decision breaks the contract: {e}"),
            )
        })?;
        Ok(decision)
    }
    fn fallback(fault: &Fault, _: &Conversation) -> Decision {
        safe_decision(fault)
    }
    fn evaluation(
        decision: Decision,
        fault: Option<Fault>,
        elapsed: Duration,
    ) -> TriggerEvaluation {
        TriggerEvaluation {
            decision,
            fault,
            elapsed,
        }
    }
}

impl TriggerPlugin {
    /// Decide on `conversation` in a fresh instance (on the quarantine threads while this
    /// plugin's calls run out of time). Never fails: a fault yields the safe decision and
    /// is reported beside it.
    pub async fn evaluate(&self, conversation: &Conversation) -> TriggerEvaluation {
        self.call(conversation).await
    }
}
