//! The tenant's `[routing.config]` table: every key, its default and its checks.

use baton_plugin_sdk::Reason;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Skills each stock reason needs when the tenant's table says nothing about it.
///
/// An entry `"a|b"` is one requirement met by either skill.
pub const DEFAULT_REASON_SKILLS: &[(&str, &[&str])] = &[
    ("emergency", &["emergency"]),
    ("billing_dispute", &["billing"]),
    ("high_value", &["sales|estimating"]),
    ("customization", &["estimating|sales"]),
    ("complex_inquiry", &["office"]),
];

/// Skills a decision tag or bot intent needs when the tenant's table says nothing about it.
pub const DEFAULT_TAG_SKILLS: &[(&str, &[&str])] = &[
    ("spanish", &["spanish"]),
    ("gas", &["gas"]),
    ("electrical", &["electrical"]),
    ("billing_question", &["billing"]),
    ("emergency_triage", &["emergency"]),
];

/// Whether a needed skill is a hard filter or only a ranking preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillMode {
    /// An agent lacking a needed skill is not offered the handoff (the default).
    #[default]
    Required,
    /// Every reachable agent may be offered; those with more of the needed skills first.
    Preferred,
}

/// The tenant's `[routing.config]` table. Every key is optional; an empty table gives the
/// stock behaviour. A key not listed here is an error at load time, naming the key.
///
/// ```toml
/// [routing.config]
/// skills = "required"
/// prefer_previous_agent = true
/// emergency_overflow = true
/// on_call_when_busy = true
/// page_on_call = true
/// after_hours_queue = "night"
/// max_offers = 3
/// ignore_unknown_skills = true
///
/// [routing.config.reason_skills]
/// warranty_claim = ["warranty"]
/// high_value = ["estimating"]
///
/// [routing.config.tag_skills]
/// commercial = ["commercial"]
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Skills needed per escalation reason: a stock reason (`billing_dispute`, ...) or the
    /// tenant's own (`warranty_claim`). Each list entry is one requirement; `"a|b"` is met
    /// by either skill. An entry here replaces the default for that reason (`[]` removes
    /// it); other reasons keep their defaults ([`DEFAULT_REASON_SKILLS`]).
    pub reason_skills: BTreeMap<String, Vec<String>>,
    /// Skills needed per decision tag or bot intent (`spanish`, `gas`, `billing_question`),
    /// matched without regard to ASCII case. Same form and merging as `reason_skills`;
    /// defaults in [`DEFAULT_TAG_SKILLS`].
    pub tag_skills: BTreeMap<String, Vec<String>>,
    /// `"required"` (default): an agent lacking a needed skill is not offered.
    /// `"preferred"`: such an agent may be offered, after those who have the skills.
    pub skills: SkillMode,
    /// Offer the customer's previous agent first when they are reachable, have room and
    /// have every needed skill. Default `true`.
    pub prefer_previous_agent: bool,
    /// For an urgent handoff (priority `urgent` or reason `emergency`), also offer
    /// available agents who are at capacity, if they have the skills the `emergency`
    /// reason needs (default `emergency`). Default `true`.
    pub emergency_overflow: bool,
    /// After hours, on-call agents marked `busy` may still be offered (after the
    /// `available` ones). Default `true`.
    pub on_call_when_busy: bool,
    /// An urgent handoff (priority `urgent` or reason `emergency`) may be offered to
    /// on-call agents who are not taking work in the inbox: after hours those offline (or
    /// `busy` while `on_call_when_busy` is off), after the `available` and `busy` ones; in
    /// hours those not `available` (off shift, say), after everyone signed in. On call
    /// means reachable by pager, and the host pages them through their alert contacts with
    /// a link to accept. Default `true`; `false` offers only agents signed in to the inbox.
    pub page_on_call: bool,
    /// The queue after-hours handoffs wait in. Default: none, i.e. the roster's fallback
    /// queue. If the roster has no queue of this name the fallback queue is used.
    pub after_hours_queue: Option<String>,
    /// How many agents to offer, best first. Default 3; `0` sends every handoff to a queue.
    pub max_offers: usize,
    /// A needed skill that no agent and no queue on the roster lists is set aside rather
    /// than excluding everyone (the tenant does not use that skill). Default `true`;
    /// `false` keeps it required, so nobody is offered and the handoff waits in a queue.
    pub ignore_unknown_skills: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            reason_skills: BTreeMap::new(),
            tag_skills: BTreeMap::new(),
            skills: SkillMode::Required,
            prefer_previous_agent: true,
            emergency_overflow: true,
            on_call_when_busy: true,
            page_on_call: true,
            after_hours_queue: None,
            max_offers: 3,
            ignore_unknown_skills: true,
        }
    }
}

/// Most agents a tenant may ask to offer at once.
pub const MAX_OFFERS_LIMIT: usize = 50;

impl Config {
    /// Check what serde cannot: reason names, skill names, `max_offers`. The error names
    /// the offending key.
    pub fn validate(&self) -> Result<(), String> {
        for (reason, skills) in &self.reason_skills {
            if let Err(e) = reason.parse::<Reason>() {
                return Err(format!("reason_skills: {e}"));
            }
            check_skills("reason_skills", reason, skills)?;
        }
        for (tag, skills) in &self.tag_skills {
            if tag.trim().is_empty() {
                return Err("tag_skills: an empty tag name".to_string());
            }
            check_skills("tag_skills", tag, skills)?;
        }
        // Tags match without regard to case, so `Gas` and `gas` would shadow each other.
        let mut keys = self.tag_skills.keys();
        while let Some(k) = keys.next() {
            if let Some(twin) = keys.clone().find(|o| o.eq_ignore_ascii_case(k)) {
                return Err(format!(
                    "tag_skills: `{k}` and `{twin}` are the same tag (case is ignored)"
                ));
            }
        }
        if let Some(q) = &self.after_hours_queue {
            if q.trim().is_empty() {
                return Err("after_hours_queue: an empty queue name".to_string());
            }
        }
        if self.max_offers > MAX_OFFERS_LIMIT {
            return Err(format!(
                "max_offers: {} is more than the {MAX_OFFERS_LIMIT} allowed",
                self.max_offers
            ));
        }
        Ok(())
    }

    /// The requirements `reason` brings: the tenant's entry, else the default, else none.
    pub fn reason_requirements(&self, reason: &str) -> Option<Vec<&str>> {
        lookup(&self.reason_skills, DEFAULT_REASON_SKILLS, reason, false)
    }

    /// The requirements a tag or intent brings (ASCII case ignored).
    pub fn tag_requirements(&self, tag: &str) -> Option<Vec<&str>> {
        lookup(&self.tag_skills, DEFAULT_TAG_SKILLS, tag, true)
    }
}

fn check_skills(key: &str, name: &str, skills: &[String]) -> Result<(), String> {
    for entry in skills {
        if entry.split('|').any(|s| s.trim().is_empty()) {
            return Err(format!(
                "{key}.{name}: `{entry}` is not a skill (write `skill` or `one|other`)"
            ));
        }
    }
    Ok(())
}

/// The tenant's entry wins over the default; `None` when neither knows `name`.
fn lookup<'a>(
    tenant: &'a BTreeMap<String, Vec<String>>,
    defaults: &'static [(&'static str, &'static [&'static str])],
    name: &str,
    ignore_case: bool,
) -> Option<Vec<&'a str>> {
    let same = |k: &str| {
        if ignore_case {
            k.eq_ignore_ascii_case(name)
        } else {
            k == name
        }
    };
    if let Some((_, v)) = tenant.iter().find(|(k, _)| same(k)) {
        return Some(v.iter().map(String::as_str).collect());
    }
    defaults
        .iter()
        .find(|(k, _)| same(k))
        .map(|(_, v)| v.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_plugin_sdk::parse_config;

    #[test]
    fn empty_table_gives_defaults() {
        let c: Config = parse_config("{}").unwrap();
        assert_eq!(c, Config::default());
        assert!(c.validate().is_ok());
        assert_eq!(
            c.reason_requirements("billing_dispute"),
            Some(vec!["billing"])
        );
        assert_eq!(c.tag_requirements("Spanish"), Some(vec!["spanish"]));
        assert_eq!(c.reason_requirements("frustration"), None);
    }

    #[test]
    fn tenant_entry_overrides_and_extends() {
        let c: Config = parse_config(
            r#"{"reason_skills": {"billing_dispute": [], "warranty_claim": ["warranty"]}}"#,
        )
        .unwrap();
        assert_eq!(c.reason_requirements("billing_dispute"), Some(vec![]));
        assert_eq!(
            c.reason_requirements("warranty_claim"),
            Some(vec!["warranty"])
        );
        assert_eq!(c.reason_requirements("emergency"), Some(vec!["emergency"]));
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |json: &str| {
            let c: Config = parse_config(json).unwrap();
            c.validate().unwrap_err()
        };
        assert!(bad(r#"{"reason_skills": {"Not A Reason": ["x"]}}"#).contains("Not A Reason"));
        assert!(bad(r#"{"tag_skills": {"gas": ["gas|"]}}"#).contains("tag_skills.gas"));
        assert!(bad(r#"{"max_offers": 500}"#).contains("max_offers"));
        assert!(bad(r#"{"tag_skills": {"Gas": ["gas"], "gas": ["hvac"]}}"#).contains("`Gas`"));
        assert!(bad(r#"{"after_hours_queue": " "}"#).contains("after_hours_queue"));
    }
}
