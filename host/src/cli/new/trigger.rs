//! {{name}}: a Baton trigger policy in Rust.
//!
//! Escalates (`explicit_request`) when the customer's last message contains one of the
//! configured words. `[trigger.config] words = ["person", "human"]` in the tenant file.
//! Build with `./build` (or `baton build`); the component lands in out/policy.wasm.

use baton_plugin_sdk::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub words: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config { words: ["person", "human", "agent"].map(String::from).to_vec() }
    }
}

pub struct Policy(Vec<String>);

impl TriggerPolicy for Policy {
    type Config = Config;

    fn new(config: Config) -> Result<Self, String> {
        if config.words.iter().any(|w| w.trim().is_empty()) {
            return Err("`words` must be a list of non-empty strings".into());
        }
        Ok(Policy(config.words.iter().map(|w| w.to_lowercase()).collect()))
    }

    fn evaluate(&self, c: &Conversation) -> Decision {
        let text = c.last_customer_text().to_lowercase();
        match self.0.iter().find(|w| text.contains(w.as_str())) {
            Some(w) => Decision::escalate(Reason::ExplicitRequest, Priority::High)
                .because(format!("the customer wrote `{w}`")),
            None => Decision::stay(),
        }
    }
}

baton_plugin_sdk::export_trigger!(Policy);
