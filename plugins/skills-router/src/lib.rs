//! Placeholder while the policy is written.
use baton_plugin_sdk::prelude::*;
pub struct SkillsRouter;
impl RoutingPolicy for SkillsRouter {
    type Config = NoConfig;
    fn new(_: NoConfig) -> Result<Self, String> { Ok(SkillsRouter) }
    fn route(&self, _r: &RouteRequest, roster: &Roster) -> RouteChoice { RouteChoice { agents: vec![], queue: roster.fallback_queue.clone(), explanation: String::new() } }
}
baton_plugin_sdk::export_routing!(SkillsRouter);
