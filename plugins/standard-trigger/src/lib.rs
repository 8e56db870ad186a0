//! Placeholder while the policy is written.
use baton_plugin_sdk::prelude::*;
pub struct StandardTrigger;
impl TriggerPolicy for StandardTrigger {
    type Config = NoConfig;
    fn new(_: NoConfig) -> Result<Self, String> { Ok(StandardTrigger) }
    fn evaluate(&self, _c: &Conversation) -> Decision { Decision::stay() }
}
baton_plugin_sdk::export_trigger!(StandardTrigger);
