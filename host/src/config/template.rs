//! Customer notice templates: `{placeholder}`s parsed once at load, rendered per message.

use super::names::{backticked, did_you_mean};
use std::fmt;

/// A value a notice can mention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{business}`: the tenant's display name.
    Business,
    /// `{agent_first_name}`: the first name of the agent offered or joined.
    AgentFirstName,
    /// `{position}`: the customer's place in the queue, 1 for next.
    Position,
    /// `{wait}`: the expected wait, from [`format_wait`]: "about 5 minutes", "under a minute".
    Wait,
    /// `{opens}`: when the business opens next, from
    /// [`Hours::opens_phrase`](super::Hours::opens_phrase).
    Opens,
    /// `{emergency_phone}`: the tenant's `emergency_phone`.
    EmergencyPhone,
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: [Placeholder; 6] = [
        Placeholder::Business,
        Placeholder::AgentFirstName,
        Placeholder::Position,
        Placeholder::Wait,
        Placeholder::Opens,
        Placeholder::EmergencyPhone,
    ];

    /// The name between the braces.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Business => "business",
            Placeholder::AgentFirstName => "agent_first_name",
            Placeholder::Position => "position",
            Placeholder::Wait => "wait",
            Placeholder::Opens => "opens",
            Placeholder::EmergencyPhone => "emergency_phone",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// The values to fill a template with. Unset values render as empty text; the loader makes
/// sure each notice only uses placeholders its moment provides (see [`Notices`](super::Notices)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    /// The tenant's display name.
    pub business: String,
    /// The agent's first name.
    pub agent_first_name: String,
    /// Place in the queue, e.g. `3`.
    pub position: String,
    /// The expected wait, e.g. from [`format_wait`].
    pub wait: String,
    /// When the business opens, e.g. from [`Hours::opens_phrase`](super::Hours::opens_phrase).
    pub opens: String,
    /// The emergency phone number.
    pub emergency_phone: String,
}

impl Vars {
    fn get(&self, p: Placeholder) -> &str {
        match p {
            Placeholder::Business => &self.business,
            Placeholder::AgentFirstName => &self.agent_first_name,
            Placeholder::Position => &self.position,
            Placeholder::Wait => &self.wait,
            Placeholder::Opens => &self.opens,
            Placeholder::EmergencyPhone => &self.emergency_phone,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Placeholder, std::ops::Range<usize>),
}

/// A parsed notice template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

/// Why a template doesn't parse: the message, a help line, and the byte range of the
/// problem in the template text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// Where, in bytes of the template text.
    pub at: std::ops::Range<usize>,
}

impl Template {
    /// Parse `text`: `{name}` is a placeholder, `{{` and `}}` are literal braces.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|&(_, c)| c) == Some('{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().map(|&(_, c)| c) == Some('}') => {
                    rest.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError {
                        message: "unmatched `}`".to_string(),
                        help: Some("write `}}` for a literal `}`".to_string()),
                        at: i..i + 1,
                    })
                }
                '{' => {
                    let Some(len) = text[i + 1..]
                        .find(['}', '{'])
                        .filter(|&n| text.as_bytes().get(i + 1 + n) == Some(&b'}'))
                    else {
                        return Err(TemplateError {
                            message: "unclosed `{`".to_string(),
                            help: Some(
                                "close the placeholder with `}`, or write `{{` for a literal `{`"
                                    .to_string(),
                            ),
                            at: i..i + 1,
                        });
                    };
                    let name = &text[i + 1..i + 1 + len];
                    let at = i..i + len + 2;
                    let Some(p) = Placeholder::from_name(name) else {
                        let names: Vec<&str> = Placeholder::ALL.iter().map(|p| p.name()).collect();
                        let help = match did_you_mean(name.trim(), names.iter().copied()) {
                            Some(s) => format!("did you mean `{{{s}}}`?"),
                            None => format!(
                                "the placeholders are {}",
                                backticked(
                                    &Placeholder::ALL
                                        .iter()
                                        .map(|p| p.to_string())
                                        .collect::<Vec<_>>()
                                        .iter()
                                        .map(String::as_str)
                                        .collect::<Vec<_>>()
                                )
                            ),
                        };
                        return Err(TemplateError {
                            message: format!("unknown placeholder `{{{name}}}`"),
                            help: Some(help),
                            at,
                        });
                    };
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Var(p, at));
                    for _ in 0..name.chars().count() + 1 {
                        rest.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template {
            source: text.to_string(),
            pieces,
        })
    }

    /// A template that is `text` exactly, braces and all.
    pub(crate) fn literal(text: &str) -> Template {
        Template {
            source: text.to_string(),
            pieces: vec![Piece::Text(text.to_string())],
        }
    }

    /// The template text as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The placeholders the template uses, in order, with their byte ranges in the text.
    pub fn placeholders(&self) -> Vec<(Placeholder, std::ops::Range<usize>)> {
        self.pieces
            .iter()
            .filter_map(|piece| match piece {
                Piece::Var(p, at) => Some((*p, at.clone())),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// Fill in the placeholders.
    pub fn render(&self, vars: &Vars) -> String {
        let mut out = String::with_capacity(self.source.len() + 32);
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(p, _) => out.push_str(vars.get(*p)),
            }
        }
        out
    }
}

/// How long a wait is, rounded the way customers are told it; each language words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoundedWait {
    UnderAMinute,
    AboutAMinute,
    Minutes(u64),
    AnHour,
    AnHourAndAHalf,
    Hours(u64),
}

impl RoundedWait {
    fn of(secs: u64) -> RoundedWait {
        let minutes = secs.saturating_add(30) / 60;
        match secs {
            0..=59 => RoundedWait::UnderAMinute,
            _ if minutes <= 1 => RoundedWait::AboutAMinute,
            _ if minutes < 60 => RoundedWait::Minutes(minutes),
            _ if minutes < 90 => RoundedWait::AnHour,
            _ if minutes < 120 => RoundedWait::AnHourAndAHalf,
            _ => RoundedWait::Hours((minutes + 30) / 60),
        }
    }
}

/// [`format_wait`] in Spanish: "menos de un minuto", "unos 5 minutos", "unas 3 horas".
pub fn format_wait_es(secs: u64) -> String {
    match RoundedWait::of(secs) {
        RoundedWait::UnderAMinute => "menos de un minuto".to_string(),
        RoundedWait::AboutAMinute => "alrededor de un minuto".to_string(),
        RoundedWait::Minutes(m) => format!("unos {m} minutos"),
        RoundedWait::AnHour => "alrededor de una hora".to_string(),
        RoundedWait::AnHourAndAHalf => "alrededor de una hora y media".to_string(),
        RoundedWait::Hours(h) => format!("unas {h} horas"),
    }
}

/// A wait for customers: "under a minute", "about a minute", "about 5 minutes", "about an
/// hour", "about an hour and a half", "about 3 hours".
pub fn format_wait(secs: u64) -> String {
    match RoundedWait::of(secs) {
        RoundedWait::UnderAMinute => "under a minute".to_string(),
        RoundedWait::AboutAMinute => "about a minute".to_string(),
        RoundedWait::Minutes(m) => format!("about {m} minutes"),
        RoundedWait::AnHour => "about an hour".to_string(),
        RoundedWait::AnHourAndAHalf => "about an hour and a half".to_string(),
        RoundedWait::Hours(h) => format!("about {h} hours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_round_the_same_in_every_language() {
        for (secs, en, es) in [
            (59, "under a minute", "menos de un minuto"),
            (89, "about a minute", "alrededor de un minuto"),
            (290, "about 5 minutes", "unos 5 minutos"),
            (3_600, "about an hour", "alrededor de una hora"),
            (
                5_400,
                "about an hour and a half",
                "alrededor de una hora y media",
            ),
            (3 * 3_600, "about 3 hours", "unas 3 horas"),
        ] {
            assert_eq!(format_wait(secs), en, "{secs}");
            assert_eq!(format_wait_es(secs), es, "{secs}");
        }
    }

    #[test]
    fn renders_placeholders_and_escapes() {
        let t = Template::parse("{business}: {{not}} {position}/{wait} }}{{").expect("parses");
        let braced = Template::parse("{{{business}}}").expect("parses");
        assert_eq!(braced.placeholders(), vec![(Placeholder::Business, 2..12)]);
        let vars = Vars {
            business: "Acme".into(),
            position: "3".into(),
            wait: format_wait(290),
            ..Vars::default()
        };
        assert_eq!(t.render(&vars), "Acme: {not} 3/about 5 minutes }{");
        assert_eq!(
            t.placeholders().iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            vec![
                Placeholder::Business,
                Placeholder::Position,
                Placeholder::Wait
            ]
        );
        assert_eq!(t.placeholders()[0].1, 0..10);
        let plain = Template::parse("héllo — there").expect("parses");
        assert_eq!(plain.render(&vars), "héllo — there");
        assert_eq!(Template::parse("").expect("empty").render(&vars), "");
    }

    #[test]
    fn rejects_bad_templates() {
        let err = |s: &str| Template::parse(s).err().map(|e| (e.message, e.help, e.at));
        assert_eq!(
            err("hi {buisness}!"),
            Some((
                "unknown placeholder `{buisness}`".into(),
                Some("did you mean `{business}`?".into()),
                3..13
            ))
        );
        assert_eq!(err("a { b").map(|e| e.2), Some(2..3));
        assert_eq!(
            err("a {b {business}").map(|e| e.0),
            Some("unclosed `{`".into())
        );
        assert_eq!(err("a } b").map(|e| e.0), Some("unmatched `}`".into()));
        assert_eq!(
            err("{}").map(|e| e.0),
            Some("unknown placeholder `{}`".into())
        );
        assert!(
            err("{ business }").is_some_and(|e| e.1 == Some("did you mean `{business}`?".into()))
        );
        assert!(err("{zzz}").is_some_and(|e| e
            .1
            .is_some_and(|h| h.starts_with("the placeholders are `{business}`"))));
    }

    #[test]
    fn waits() {
        assert_eq!(format_wait(0), "under a minute");
        assert_eq!(format_wait(59), "under a minute");
        assert_eq!(format_wait(60), "about a minute");
        assert_eq!(format_wait(89), "about a minute");
        assert_eq!(format_wait(90), "about 2 minutes");
        assert_eq!(format_wait(300), "about 5 minutes");
        assert_eq!(format_wait(3600), "about an hour");
        assert_eq!(format_wait(5400), "about an hour and a half");
        assert_eq!(format_wait(3 * 3600 + 600), "about 3 hours");
        assert!(format_wait(u64::MAX).ends_with(" hours"));
    }
}
