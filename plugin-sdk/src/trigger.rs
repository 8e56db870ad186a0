//! The trigger world: decide after every customer message whether to escalate.

use crate::types::{Conversation, Decision};
use serde::de::DeserializeOwned;

/// A policy that decides when a conversation passes from the bot to a person.
///
/// The host creates a fresh, isolated instance of the plugin for every decision: it calls
/// [`TriggerPolicy::new`] with the tenant's `[trigger.config]` table, then
/// [`TriggerPolicy::evaluate`] once. Keep `new` cheap (no big tables built at run time:
/// prefer `const`/`static` data) and keep no state between calls: none survives.
pub trait TriggerPolicy: Sized + 'static {
    /// The tenant's `[trigger.config]` table. Derive `serde::Deserialize`, and use
    /// `#[serde(deny_unknown_fields)]` so a misspelt key is an error at load time.
    type Config: DeserializeOwned;

    /// Build the policy from its config; an `Err` refuses the tenant's version at load
    /// time with your message.
    fn new(config: Self::Config) -> Result<Self, String>;

    /// Decide on the conversation so far (messages up to the latest customer message).
    /// After a handoff of the conversation closed, judge the customer's new messages as a
    /// fresh episode: [`Conversation::current_segment`] (earlier segments are context).
    fn evaluate(&self, conversation: &Conversation) -> Decision;
}
