//! Which skills a handoff needs: from its reason, its tags and the bot's intent.

use crate::config::Config;
use baton_plugin_sdk::{Roster, RouteRequest};

/// One requirement, met by anyone who has at least one of `any_of` (ASCII case ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The skills that each meet it, e.g. `["sales", "estimating"]`.
    pub any_of: Vec<String>,
    /// Where it came from, for the explanation: `reason billing_dispute`, `tag spanish`.
    pub source: String,
}

impl Need {
    /// Parse one config entry (`"skill"` or `"one|other"`); `None` if it names no skill.
    pub fn parse(entry: &str, source: &str) -> Option<Need> {
        let any_of: Vec<String> = entry
            .split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        (!any_of.is_empty()).then(|| Need {
            any_of,
            source: source.to_string(),
        })
    }

    /// Whether a holder of `skills` meets this requirement.
    pub fn met_by(&self, skills: &[String]) -> bool {
        self.any_of
            .iter()
            .any(|want| skills.iter().any(|have| have.eq_ignore_ascii_case(want)))
    }

    /// The requirement as written in an explanation: `billing` or `sales|estimating`.
    pub fn label(&self) -> String {
        self.any_of.join("|")
    }

    /// A key equal for two requirements naming the same skills in any order or case.
    fn key(&self) -> Vec<String> {
        let mut k: Vec<String> = self.any_of.iter().map(|s| s.to_ascii_lowercase()).collect();
        k.sort();
        k.dedup();
        k
    }
}

/// The requirements of one handoff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// What agents and queues are matched against.
    pub active: Vec<Need>,
    /// Requirements no agent or queue on the roster could ever meet, set aside because
    /// `ignore_unknown_skills` is on.
    pub set_aside: Vec<Need>,
}

impl Needs {
    /// How many active requirements a holder of `skills` meets.
    pub fn matched(&self, skills: &[String]) -> usize {
        self.active.iter().filter(|n| n.met_by(skills)).count()
    }

    /// Whether a holder of `skills` meets every active requirement.
    pub fn all_met(&self, skills: &[String]) -> bool {
        self.active.iter().all(|n| n.met_by(skills))
    }
}

/// Collect the requirements of `request`: its reason first, then its tags in order, then
/// the bot's intent; duplicates once.
pub fn needs_of(request: &RouteRequest, roster: &Roster, config: &Config) -> Needs {
    let mut all: Vec<Need> = Vec::new();
    let reason = request.reason.as_str();
    if let Some(entries) = config.reason_requirements(reason) {
        push_all(&mut all, &entries, &format!("reason {reason}"));
    }
    for tag in &request.tags {
        if let Some(entries) = config.tag_requirements(tag) {
            push_all(&mut all, &entries, &format!("tag {tag}"));
        }
    }
    if let Some(intent) = &request.intent {
        if let Some(entries) = config.tag_requirements(intent) {
            push_all(&mut all, &entries, &format!("intent {intent}"));
        }
    }
    if !config.ignore_unknown_skills {
        return Needs {
            active: all,
            set_aside: Vec::new(),
        };
    }
    let mut needs = Needs::default();
    for need in all {
        let known: Vec<String> = need
            .any_of
            .iter()
            .filter(|skill| on_roster(roster, skill))
            .cloned()
            .collect();
        if known.is_empty() {
            needs.set_aside.push(need);
        } else {
            needs.active.push(Need {
                any_of: known,
                source: need.source,
            });
        }
    }
    needs
}

/// The requirements of the `emergency` reason (default: the `emergency` skill), never set
/// aside: who may take an urgent handoff as overflow, and who ranks first for one.
pub fn emergency_needs(config: &Config) -> Vec<Need> {
    let mut out = Vec::new();
    if let Some(entries) = config.reason_requirements("emergency") {
        push_all(&mut out, &entries, "reason emergency");
    }
    out
}

fn push_all(all: &mut Vec<Need>, entries: &[&str], source: &str) {
    for entry in entries {
        if let Some(need) = Need::parse(entry, source) {
            if !all.iter().any(|n| n.key() == need.key()) {
                all.push(need);
            }
        }
    }
}

/// Whether any agent (whatever their presence) or queue on the roster lists `skill`.
fn on_roster(roster: &Roster, skill: &str) -> bool {
    let has = |skills: &[String]| skills.iter().any(|s| s.eq_ignore_ascii_case(skill));
    roster.agents.iter().any(|a| has(&a.skills)) || roster.queues.iter().any(|q| has(&q.skills))
}
