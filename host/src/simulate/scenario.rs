//! A scenario file: one business day of a tenant, in TOML: when conversations arrive, which
//! labelled conversations they are drawn from, who works when and how each agent answers
//! offers, how long customers wait before they leave. Read and checked like a tenant file:
//! every problem is a [`Diagnostic`] naming the file, line and key.

use crate::config::{Diagnostic, Diagnostics, Span, TenantConfig};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    tenant: Spanned<String>,
    date: Spanned<String>,
    #[serde(default)]
    start: Option<Spanned<String>>,
    #[serde(default)]
    end: Option<Spanned<String>>,
    #[serde(default)]
    seed: u64,
    conversations: Spanned<String>,
    #[serde(default)]
    round_secs: Option<Spanned<i64>>,
    #[serde(default)]
    arrivals: Vec<RawArrivals>,
    #[serde(default)]
    mix: RawMix,
    #[serde(default)]
    customers: RawCustomers,
    #[serde(default)]
    agents: Vec<RawAgent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArrivals {
    hours: Spanned<String>,
    per_hour: Spanned<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMix {
    emergency: Option<Spanned<f64>>,
    escalating: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCustomers {
    patience_secs: Option<Spanned<Vec<i64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    id: Spanned<String>,
    #[serde(default)]
    shifts: Vec<Spanned<String>>,
    #[serde(default)]
    away: Vec<Spanned<String>>,
    #[serde(default)]
    accept: Option<Spanned<f64>>,
    #[serde(default)]
    decline: Option<Spanned<f64>>,
    #[serde(default)]
    answer_secs: Option<Spanned<Vec<i64>>>,
    #[serde(default)]
    handle_secs: Option<Spanned<Vec<i64>>>,
}

/// Minutes since local midnight, `[from, to)`.
pub type Minutes = (u16, u16);

/// Conversations arriving at a steady rate over part of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    /// When, local time.
    pub hours: Minutes,
    /// How many start per hour on average (arrivals are random: a Poisson process).
    pub per_hour: f64,
}

/// How one agent works the day.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentPlan {
    /// The tenant's agent id.
    pub id: String,
    /// Signed in as `available` during these.
    pub shifts: Vec<Minutes>,
    /// `busy` (signed in, taking nothing new) during these.
    pub away: Vec<Minutes>,
    /// The share of offers accepted.
    pub accept: f64,
    /// The share of offers declined; the rest get no answer and time out.
    pub decline: f64,
    /// How long an answer takes, seconds (uniform between the two).
    pub answer_secs: (u32, u32),
    /// From accept to resolve, seconds (uniform between the two).
    pub handle_secs: (u32, u32),
    span: Span,
}

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file, as named.
    pub file: PathBuf,
    text: String,
    /// The tenant (a file `<tenant>.toml` in the policies folder).
    pub tenant: String,
    tenant_span: Span,
    /// The day, in the tenant's time zone.
    pub date: jiff::civil::Date,
    /// The simulated span of the day, local minutes.
    pub day: Minutes,
    /// The random seed: the same seed plays the same day.
    pub seed: u64,
    /// The labelled conversations file (resolved from the scenario's folder).
    pub conversations: PathBuf,
    /// Longest simulated time between two background rounds while a handoff is open.
    pub round_secs: u32,
    /// Arrival rates.
    pub arrivals: Vec<Arrivals>,
    /// Share of arrivals drawn from conversations labelled `emergency`.
    pub emergency_share: f64,
    /// Share drawn from the other conversations labelled to escalate (the rest: labelled
    /// to stay with the bot).
    pub escalating_share: f64,
    /// How long a waiting customer stays before leaving, seconds (uniform).
    pub patience_secs: (u32, u32),
    /// The agents who work; the tenant's other agents stay offline.
    pub agents: Vec<AgentPlan>,
}

struct Check<'a> {
    file: &'a Path,
    text: &'a str,
    errors: Vec<Diagnostic>,
}

impl Check<'_> {
    fn err(&mut self, span: Span, message: impl Into<String>, help: Option<&str>) {
        let d = Diagnostic::at_span(self.file, self.text, span, message);
        self.errors.push(match help {
            Some(h) => d.with_help(h),
            None => d,
        });
    }

    fn share(&mut self, v: &Option<Spanned<f64>>, key: &str, default: f64) -> f64 {
        match v {
            None => default,
            Some(s) if (0.0..=1.0).contains(s.get_ref()) => *s.get_ref(),
            Some(s) => {
                self.err(
                    s.span(),
                    format!("`{key}` is {}; a share is 0.0 to 1.0", s.get_ref()),
                    None,
                );
                default
            }
        }
    }

    fn range(
        &mut self,
        v: &Option<Spanned<Vec<i64>>>,
        key: &str,
        default: (u32, u32),
    ) -> (u32, u32) {
        let Some(s) = v else { return default };
        match s.get_ref().as_slice() {
            [a, b] if 0 <= *a && a <= b && *b <= 86_400 => (*a as u32, *b as u32),
            _ => {
                self.err(
                    s.span(),
                    format!("`{key}` must be `[least, most]` seconds, 0 to 86400, least first"),
                    Some("e.g. `[30, 300]`"),
                );
                default
            }
        }
    }

    fn minutes(&mut self, s: &Spanned<String>, key: &str) -> Option<Minutes> {
        let parsed = s
            .get_ref()
            .split_once('-')
            .and_then(|(a, b)| Some((clock_minutes(a.trim())?, clock_minutes(b.trim())?)));
        match parsed {
            Some((a, b)) if a < b => Some((a, b)),
            _ => {
                self.err(
                    s.span(),
                    format!("`{key}` `{}` is not a time range of one day", s.get_ref()),
                    Some("write `HH:MM-HH:MM` (24-hour, the end after the start, `24:00` at most)"),
                );
                None
            }
        }
    }
}

/// `HH:MM` as minutes since midnight (`24:00` is the end of the day).
fn clock_minutes(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || h == 24 && m == 0) && s.len() == 5).then_some(h * 60 + m)
}

/// A `toml` deserialisation error in our words.
fn serde_error(file: &Path, text: &str, e: &toml::de::Error) -> Diagnostic {
    let msg = e.message().trim();
    let span = e.span().unwrap_or(0..0);
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            let expected = expected.trim_start_matches(", expected ");
            let help = strsim_best(key, expected)
                .map(|k| format!("did you mean `{k}`?"))
                .unwrap_or_else(|| format!("the keys here are {expected}"));
            return Diagnostic::at_span(file, text, span, format!("unknown key `{key}`"))
                .with_help(help);
        }
    }
    if let Some(key) = msg.strip_prefix("missing field `") {
        let message = format!("missing key `{}`", key.trim_end_matches('`'));
        if span.start == 0 && span.end >= text.trim_end().len() {
            return Diagnostic::whole_file(file, message);
        }
        return Diagnostic::at_span(file, text, span, message);
    }
    Diagnostic::at_span(file, text, span, msg.to_string())
}

fn strsim_best<'a>(key: &str, expected: &'a str) -> Option<&'a str> {
    expected
        .split(['`', ',', ' '])
        .filter(|k| !k.is_empty() && *k != "one" && *k != "of" && *k != "or")
        .map(|k| (strsim::jaro_winkler(key, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

impl Scenario {
    /// Read and check the scenario file at `path`.
    pub fn load(path: &Path) -> Result<Scenario, Diagnostics> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Diagnostic::whole_file(path, format!("can't read the file: {e}")))?;
        Self::parse(path, &text)
    }

    /// Check the scenario `text` (named `file` in messages; relative paths start from its
    /// folder).
    pub fn parse(file: &Path, text: &str) -> Result<Scenario, Diagnostics> {
        let raw: Raw = toml::from_str(text).map_err(|e| serde_error(file, text, &e))?;
        let mut c = Check {
            file,
            text,
            errors: Vec::new(),
        };
        let date = raw
            .date
            .get_ref()
            .parse::<jiff::civil::Date>()
            .unwrap_or_else(|_| {
                c.err(
                    raw.date.span(),
                    format!("`date` `{}` is not a date", raw.date.get_ref()),
                    Some("write `YYYY-MM-DD`, the day in the tenant's time zone"),
                );
                jiff::civil::date(2026, 1, 1)
            });
        let day = day_span(&mut c, &raw);
        let round_secs = match &raw.round_secs {
            None => 5,
            Some(r) if (1..=300).contains(r.get_ref()) => *r.get_ref() as u32,
            Some(r) => {
                c.err(r.span(), "`round_secs` is 1 to 300 seconds", None);
                5
            }
        };
        let arrivals = raw
            .arrivals
            .iter()
            .filter_map(|a| {
                let hours = c.minutes(&a.hours, "hours")?;
                if !(0.0..=10_000.0).contains(a.per_hour.get_ref()) {
                    c.err(a.per_hour.span(), "`per_hour` is 0 to 10000", None);
                    return None;
                }
                Some(Arrivals {
                    hours,
                    per_hour: *a.per_hour.get_ref(),
                })
            })
            .collect();
        let emergency_share = c.share(&raw.mix.emergency, "emergency", 0.05);
        let escalating_share = c.share(&raw.mix.escalating, "escalating", 0.35);
        if emergency_share + escalating_share > 1.0 + 1e-9 {
            let span = raw.mix.escalating.as_ref().or(raw.mix.emergency.as_ref());
            c.err(
                span.map(|s| s.span()).unwrap_or(0..0),
                "`emergency` and `escalating` add up to more than 1.0",
                Some("the rest of the arrivals are conversations labelled to stay with the bot"),
            );
        }
        let patience_secs = c.range(&raw.customers.patience_secs, "patience_secs", (300, 1800));
        let agents = agents(&mut c, &raw.agents);
        let folder = file.parent().unwrap_or(Path::new("."));
        let scenario = Scenario {
            file: file.to_path_buf(),
            text: text.to_string(),
            tenant: raw.tenant.get_ref().clone(),
            tenant_span: raw.tenant.span(),
            date,
            day,
            seed: raw.seed,
            conversations: folder.join(raw.conversations.get_ref()),
            round_secs,
            arrivals,
            emergency_share,
            escalating_share,
            patience_secs,
            agents,
        };
        if c.errors.is_empty() {
            Ok(scenario)
        } else {
            c.errors
                .sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
            Err(Diagnostics(c.errors))
        }
    }

    /// A problem at `span` of this scenario file.
    pub(crate) fn error_at(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at_span(&self.file, &self.text, span, message)
    }

    /// A problem with the `tenant` key (the tenant cannot be loaded).
    pub fn tenant_error(&self, message: impl Into<String>) -> Diagnostic {
        self.error_at(self.tenant_span.clone(), message)
    }

    /// Check the agents against the tenant: every `id` must be one of its agents.
    pub fn check_agents(&self, config: &TenantConfig) -> Result<(), Diagnostics> {
        let ids: Vec<&str> = config.agents.iter().map(|a| a.id.as_str()).collect();
        let errors: Vec<Diagnostic> = self
            .agents
            .iter()
            .filter(|a| config.agent(&a.id).is_none())
            .map(|a| {
                let d = self.error_at(
                    a.span.clone(),
                    format!("`{}` is not an agent of tenant `{}`", a.id, self.tenant),
                );
                let all = ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>();
                match strsim_best(&a.id, &ids.join(" ")) {
                    Some(k) => d.with_help(format!("did you mean `{k}`?")),
                    None => d.with_help(format!("its agents are {}", all.join(", "))),
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(errors))
        }
    }
}

fn day_span(c: &mut Check<'_>, raw: &Raw) -> Minutes {
    let at = |c: &mut Check<'_>, v: &Option<Spanned<String>>, key: &str, default: u16| match v {
        None => default,
        Some(s) => clock_minutes(s.get_ref()).unwrap_or_else(|| {
            c.err(
                s.span(),
                format!("`{key}` `{}` is not a time of day", s.get_ref()),
                Some("write `HH:MM` (24-hour; `24:00` for the end of the day)"),
            );
            default
        }),
    };
    let start = at(c, &raw.start, "start", 0);
    let end = at(c, &raw.end, "end", 24 * 60);
    if start >= end {
        let span = raw.end.as_ref().map(|s| s.span()).unwrap_or(0..0);
        c.err(span, "`end` must come after `start`", None);
    }
    (start, end.max(start + 1))
}

fn agents(c: &mut Check<'_>, raw: &[RawAgent]) -> Vec<AgentPlan> {
    let mut out: Vec<AgentPlan> = Vec::new();
    for a in raw {
        if out.iter().any(|o| &o.id == a.id.get_ref()) {
            c.err(
                a.id.span(),
                format!("agent `{}` is listed twice", a.id.get_ref()),
                None,
            );
            continue;
        }
        let shifts = a
            .shifts
            .iter()
            .filter_map(|s| c.minutes(s, "shifts"))
            .collect();
        let away = a.away.iter().filter_map(|s| c.minutes(s, "away")).collect();
        let accept = c.share(&a.accept, "accept", 0.9);
        let decline = c.share(&a.decline, "decline", 0.05);
        if accept + decline > 1.0 + 1e-9 {
            let span = a.decline.as_ref().or(a.accept.as_ref()).map(|s| s.span());
            c.err(
                span.unwrap_or(a.id.span()),
                "`accept` and `decline` add up to more than 1.0",
                Some("the rest of the offers get no answer and time out"),
            );
        }
        out.push(AgentPlan {
            id: a.id.get_ref().clone(),
            shifts,
            away,
            accept,
            decline,
            answer_secs: c.range(&a.answer_secs, "answer_secs", (5, 40)),
            handle_secs: c.range(&a.handle_secs, "handle_secs", (300, 900)),
            span: a.id.span(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
tenant = "acme-plumbing"
date = "2026-12-08"
start = "06:00"
end = "21:00"
conversations = "day.jsonl"
[[arrivals]]
hours = "07:00-19:00"
per_hour = 6
[[agents]]
id = "sam"
shifts = ["07:00-15:00"]
"#;

    fn errors(text: &str) -> String {
        Scenario::parse(Path::new("day.toml"), text)
            .err()
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn a_good_scenario_parses() {
        let s = Scenario::parse(Path::new("x/day.toml"), GOOD).unwrap();
        assert_eq!(s.day, (360, 1260));
        assert_eq!(s.arrivals[0].hours, (420, 1140));
        assert_eq!(s.agents[0].shifts, vec![(420, 900)]);
        assert_eq!(s.conversations, Path::new("x/day.jsonl"));
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let e = errors(&GOOD.replace("per_hour = 6", "per_hou = 6"));
        assert!(e.contains("day.toml:9:1: unknown key `per_hou`"), "{e}");
        assert!(e.contains("did you mean `per_hour`?"), "{e}");
    }

    #[test]
    fn bad_values_point_at_their_keys() {
        let e = errors(&GOOD.replace("\"07:00-15:00\"", "\"15:00-07:00\""));
        assert!(e.contains("day.toml:12:"), "{e}");
        assert!(
            e.contains("`shifts` `15:00-07:00` is not a time range"),
            "{e}"
        );
        let e = errors(&format!("{GOOD}accept = 1.5\n"));
        assert!(e.contains("`accept` is 1.5; a share is 0.0 to 1.0"), "{e}");
        let e = errors(&GOOD.replace("tenant = \"acme-plumbing\"\n", ""));
        assert!(e.contains("missing key `tenant`"), "{e}");
    }
}
