//! The config turned into what `evaluate` reads: tenant phrases folded into words once,
//! reasons switched off. Built in `new`; small (only the tenant's own extras).

use crate::config::{stock_reason, Config};
use crate::fold;
use baton_plugin_sdk::Reason;

/// A tenant phrase, folded and split into words.
pub type Words = Vec<String>;

/// The validated, prepared config.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config as written.
    pub config: Config,
    /// Tenant phrases per stock reason, in [`Reason::STOCK`] order.
    extra: [Vec<Words>; 9],
    /// Switched-off reasons, in [`Reason::STOCK`] order.
    disabled: [bool; 9],
}

/// Position of a stock reason in [`Reason::STOCK`].
pub fn slot(reason: &Reason) -> usize {
    Reason::STOCK.iter().position(|r| r == reason).unwrap_or(0)
}

/// Fold a tenant phrase the way messages are folded, keeping `*` and `~`.
fn fold_phrase(phrase: &str) -> Words {
    let mut out = Vec::new();
    let (mut buf, mut spans) = (String::new(), Vec::new());
    for part in phrase.split_whitespace() {
        if part == "~" {
            out.push("~".to_string());
            continue;
        }
        let star = part.ends_with('*');
        fold::tokenize(part.trim_end_matches('*'), &mut buf, &mut spans);
        let n = spans.len();
        for (i, s) in spans.iter().enumerate() {
            let mut w = buf[s.start as usize..s.end as usize].to_string();
            if star && i + 1 == n {
                w.push('*');
            }
            out.push(w);
        }
    }
    out
}

impl Settings {
    /// Validate and prepare `config`.
    pub fn new(config: Config) -> Result<Settings, String> {
        config.validate()?;
        let mut extra: [Vec<Words>; 9] = Default::default();
        let mut add = |reason: &Reason, phrases: &[String]| {
            for p in phrases {
                let words = fold_phrase(p);
                if !words.is_empty() {
                    extra[slot(reason)].push(words);
                }
            }
        };
        for (name, phrases) in &config.extra_phrases {
            add(&stock_reason(name)?, phrases);
        }
        add(&Reason::Emergency, &config.emergency_terms);
        add(&Reason::HighValue, &config.high_value_jobs);
        let mut disabled = [false; 9];
        for name in &config.disabled {
            disabled[slot(&stock_reason(name)?)] = true;
        }
        Ok(Settings {
            config,
            extra,
            disabled,
        })
    }

    /// Tenant phrases for `reason`.
    pub fn extra_for(&self, reason: &Reason) -> &[Words] {
        &self.extra[slot(reason)]
    }

    /// Whether `reason` may escalate.
    pub fn enabled(&self, reason: &Reason) -> bool {
        !self.disabled[slot(reason)]
    }
}
