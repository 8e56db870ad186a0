//! A custom trigger policy: escalate when the customer uses one of the tenant's words,
//! or when the customer is a VIP and writes outside business hours.
use baton_plugin_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Words that mean "get me a person", e.g. `["manager", "complaint"]`.
    pub words: Vec<String>,
}

pub struct KeywordTrigger(Config);

impl TriggerPolicy for KeywordTrigger {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        match config.words.iter().find(|w| w.trim().is_empty()) {
            Some(_) => Err("`words` must not contain an empty word".into()),
            None => Ok(KeywordTrigger(config)),
        }
    }

    fn evaluate(&self, c: &Conversation) -> Decision {
        let text = c.last_customer_text().to_lowercase();
        if let Some(w) = self
            .0
            .words
            .iter()
            .find(|w| text.contains(&w.to_lowercase()))
        {
            return Decision::escalate(Reason::ExplicitRequest, Priority::High)
                .because(format!("the customer wrote `{w}`"));
        }
        if !c.clock.open && c.customer.tags.iter().any(|t| t == "vip") {
            return Decision::escalate(Reason::Custom("vip_after_hours".into()), Priority::High)
                .because("a VIP customer wrote after hours");
        }
        Decision::stay()
    }
}

baton_plugin_sdk::export_trigger!(KeywordTrigger);
