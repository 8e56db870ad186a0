//! The tenant's `[trigger.config]` table. Every key is optional; an empty table gives the
//! stock behaviour. An unknown key is an error that names it.
//!
//! ```toml
//! [trigger.config]
//! high_value_threshold_usd = 8000
//! high_value_jobs = ["sauna install", "geothermal"]
//! low_confidence_threshold = 0.5
//! low_confidence_turns = 2
//! repetition_turns = 2
//! spanish = true
//! disabled = ["customization"]
//! emergency_terms = ["propane smell", "olor a propano"]
//!
//! [trigger.config.extra_phrases]
//! explicit_request = ["page the on-call"]
//! billing_dispute = ["charged the wrong card"]
//! ```

use baton_plugin_sdk::Reason;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The stock trigger's configuration (`[trigger.config]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Extra phrases per reason, keyed by the reason's `snake_case` name
    /// (`emergency`, `explicit_request`, `billing_dispute`, `frustration`, `high_value`,
    /// `customization`, `complex_inquiry`, `repetition`). A phrase found in the latest
    /// customer message (not negated, not quoted) escalates for its reason. Write them as
    /// customers do; case and accents do not matter. `word*` matches a prefix, `~` skips
    /// up to two words. Default: none.
    pub extra_phrases: BTreeMap<String, Vec<String>>,
    /// Extra emergency terms (same as `extra_phrases.emergency`). Default: none.
    pub emergency_terms: Vec<String>,
    /// A dollar amount the customer names for a job, at or above which the job is
    /// `high_value`. Default: 10000.
    pub high_value_threshold_usd: f64,
    /// Extra job types that are always `high_value` (e.g. `"geothermal"`). Default: none.
    pub high_value_jobs: Vec<String>,
    /// Bot confidence below which a bot turn counts as unsure. Default: 0.5.
    pub low_confidence_threshold: f32,
    /// How many bot turns in a row must be unsure for `low_confidence`. Default: 2.
    pub low_confidence_turns: usize,
    /// How many times the bot must ask the same thing (same intent, near-same words)
    /// before it counts as looping (`repetition`). Default: 2.
    pub repetition_turns: usize,
    /// Whether Spanish cues are used (and `spanish` is tagged). Default: true.
    pub spanish: bool,
    /// Reasons never to escalate for, by `snake_case` name. Default: none.
    pub disabled: Vec<String>,
    /// Whether to escalate when the bot itself has just announced a handoff (intent
    /// `handoff`/`escalate`/`transfer`) and no other cue fired. Default: true.
    pub follow_bot_handoff: bool,
    /// Whether the compiled-in text classifier is used (to add recall where no rule
    /// fired, and to confirm weak cues). Default: true.
    pub classifier: bool,
    /// Probability (0–1) the classifier needs to escalate on its own when no rule fired;
    /// with a weak cue of the same reason present it needs less (see the README).
    /// Default: 0.98, chosen on held-out templates and the fresh batches.
    pub classifier_threshold: f32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            extra_phrases: BTreeMap::new(),
            emergency_terms: Vec::new(),
            high_value_threshold_usd: 10_000.0,
            high_value_jobs: Vec::new(),
            low_confidence_threshold: 0.5,
            low_confidence_turns: 2,
            repetition_turns: 2,
            spanish: true,
            disabled: Vec::new(),
            follow_bot_handoff: true,
            classifier: true,
            classifier_threshold: DEFAULT_CLASSIFIER_THRESHOLD,
        }
    }
}

/// Default of [`Config::classifier_threshold`].
pub const DEFAULT_CLASSIFIER_THRESHOLD: f32 = 0.98;

/// Parse a stock reason name; custom names are refused here.
pub fn stock_reason(name: &str) -> Result<Reason, String> {
    match name.parse::<Reason>() {
        Ok(Reason::Custom(_)) | Err(_) => Err(format!(
            "`{name}` is not one of the nine stock reasons (emergency, explicit_request, billing_dispute, frustration, repetition, high_value, complex_inquiry, customization, low_confidence)"
        )),
        Ok(r) => Ok(r),
    }
}

impl Config {
    /// Check values that serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.low_confidence_threshold) {
            return Err(format!(
                "low_confidence_threshold = {} is outside 0.0 to 1.0",
                self.low_confidence_threshold
            ));
        }
        if !(0.0..=1.0).contains(&self.classifier_threshold) {
            return Err(format!(
                "classifier_threshold = {} is outside 0.0 to 1.0",
                self.classifier_threshold
            ));
        }
        if self.low_confidence_turns == 0 {
            return Err("low_confidence_turns must be at least 1".into());
        }
        if self.repetition_turns < 2 {
            return Err("repetition_turns must be at least 2".into());
        }
        if self.high_value_threshold_usd.is_nan() || self.high_value_threshold_usd <= 0.0 {
            return Err("high_value_threshold_usd must be above 0".into());
        }
        for name in self.extra_phrases.keys().chain(self.disabled.iter()) {
            stock_reason(name)?;
        }
        if self.extra_phrases.contains_key("low_confidence") {
            return Err(
                "extra_phrases.low_confidence: low confidence is measured, not phrased".into(),
            );
        }
        Ok(())
    }
}
