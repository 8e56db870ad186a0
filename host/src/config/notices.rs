//! `[notices]`: what the bot tells the customer at each step of a handoff.

use super::diagnostic::{span_in_string, Diagnostic};
use super::names::backticked;
use super::schema::{RawNotices, S};
use super::template::{Placeholder, Template};
use std::path::Path;

/// The moments a notice is sent at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// `queued`: waiting for a person.
    Queued,
    /// `offered`: an agent is being offered the conversation.
    Offered,
    /// `joined`: the agent has joined.
    Joined,
    /// `after_hours`: closed; a person will reply when the business opens.
    AfterHours,
    /// `emergency`: an urgent handoff.
    Emergency,
    /// `handback`: the agent handed the conversation back to the bot.
    Handback,
}

impl NoticeKind {
    /// Every notice, in file order.
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::Queued,
        NoticeKind::Offered,
        NoticeKind::Joined,
        NoticeKind::AfterHours,
        NoticeKind::Emergency,
        NoticeKind::Handback,
    ];

    /// The key under `[notices]`.
    pub fn key(self) -> &'static str {
        match self {
            NoticeKind::Queued => "queued",
            NoticeKind::Offered => "offered",
            NoticeKind::Joined => "joined",
            NoticeKind::AfterHours => "after_hours",
            NoticeKind::Emergency => "emergency",
            NoticeKind::Handback => "handback",
        }
    }

    /// The placeholders the host fills in at this moment. `{business}` and
    /// `{emergency_phone}` are always available (the latter only when `emergency_phone` is
    /// set).
    pub fn placeholders(self) -> &'static [Placeholder] {
        use Placeholder::*;
        match self {
            NoticeKind::Queued => &[Business, Position, Wait, EmergencyPhone],
            NoticeKind::Offered | NoticeKind::Joined | NoticeKind::Handback => {
                &[Business, AgentFirstName, EmergencyPhone]
            }
            NoticeKind::AfterHours => &[Business, Opens, EmergencyPhone],
            NoticeKind::Emergency => &[Business, EmergencyPhone],
        }
    }

    /// The text used when the file gives none. `after_hours` mentions the emergency phone
    /// only when there is one.
    pub fn default_text(self, has_emergency_phone: bool) -> &'static str {
        match self {
            NoticeKind::Queued => "Thanks for your patience — I'm bringing in a person from {business}. You're number {position} in line; the wait is {wait}.",
            NoticeKind::Offered => "I'm connecting you with {agent_first_name} from {business} now.",
            NoticeKind::Joined => "{agent_first_name} from {business} has joined and can see our whole conversation.",
            NoticeKind::AfterHours if has_emergency_phone => "We're closed right now; {business} opens {opens}. A person will reply then — for an emergency call {emergency_phone}.",
            NoticeKind::AfterHours => "We're closed right now; {business} opens {opens}. A person will reply then.",
            NoticeKind::Emergency => "This sounds urgent. I'm getting a person from {business} right now. If anyone is in danger, call 911.",
            NoticeKind::Handback => "Thanks! I'm back to help with anything else.",
        }
    }
}

/// The six notices, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notices {
    /// Waiting for a person: `{business}`, `{position}`, `{wait}`.
    pub queued: Template,
    /// An agent is being offered the conversation: `{business}`, `{agent_first_name}`.
    pub offered: Template,
    /// The agent has joined: `{business}`, `{agent_first_name}`.
    pub joined: Template,
    /// Closed now: `{business}`, `{opens}`.
    pub after_hours: Template,
    /// An urgent handoff: `{business}`.
    pub emergency: Template,
    /// Back to the bot: `{business}`, `{agent_first_name}`.
    pub handback: Template,
}

impl Notices {
    /// The notice for `kind`.
    pub fn get(&self, kind: NoticeKind) -> &Template {
        match kind {
            NoticeKind::Queued => &self.queued,
            NoticeKind::Offered => &self.offered,
            NoticeKind::Joined => &self.joined,
            NoticeKind::AfterHours => &self.after_hours,
            NoticeKind::Emergency => &self.emergency,
            NoticeKind::Handback => &self.handback,
        }
    }

    /// The default notices.
    pub fn defaults(has_emergency_phone: bool) -> Notices {
        let t = |k: NoticeKind| {
            // The defaults are fixed text that parses (see the tests below).
            let text = k.default_text(has_emergency_phone);
            Template::parse(text).unwrap_or_else(|_| Template::literal(text))
        };
        Notices {
            queued: t(NoticeKind::Queued),
            offered: t(NoticeKind::Offered),
            joined: t(NoticeKind::Joined),
            after_hours: t(NoticeKind::AfterHours),
            emergency: t(NoticeKind::Emergency),
            handback: t(NoticeKind::Handback),
        }
    }
}

fn raw_for(raw: &RawNotices, kind: NoticeKind) -> Option<&S> {
    match kind {
        NoticeKind::Queued => raw.queued.as_ref(),
        NoticeKind::Offered => raw.offered.as_ref(),
        NoticeKind::Joined => raw.joined.as_ref(),
        NoticeKind::AfterHours => raw.after_hours.as_ref(),
        NoticeKind::Emergency => raw.emergency.as_ref(),
        NoticeKind::Handback => raw.handback.as_ref(),
    }
}

/// Parse and check `[notices]`, pushing problems onto `errors`.
pub(crate) fn build(
    file: &Path,
    text: &str,
    raw: &RawNotices,
    has_emergency_phone: bool,
    errors: &mut Vec<Diagnostic>,
) -> Notices {
    let mut notices = Notices::defaults(has_emergency_phone);
    for kind in NoticeKind::ALL {
        let Some(value) = raw_for(raw, kind) else {
            continue;
        };
        let at = |sub| span_in_string(text, &value.span(), value.get_ref(), sub);
        let key = kind.key();
        let template = match Template::parse(value.get_ref()) {
            Ok(t) => t,
            Err(e) => {
                let mut d = Diagnostic::at_span(
                    file,
                    text,
                    at(e.at),
                    format!("{} in `notices.{key}`", e.message),
                );
                if let Some(h) = e.help {
                    d = d.with_help(h);
                }
                errors.push(d);
                continue;
            }
        };
        if template.source().trim().is_empty() {
            errors.push(
                Diagnostic::at_span(
                    file,
                    text,
                    value.span(),
                    format!("`notices.{key}` is empty"),
                )
                .with_help("remove the key to use the default text"),
            );
            continue;
        }
        for (p, range) in template.placeholders() {
            let allowed = kind.placeholders();
            if !allowed.contains(&p) {
                let names: Vec<String> = allowed.iter().map(|p| p.to_string()).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                errors.push(
                    Diagnostic::at_span(
                        file,
                        text,
                        at(range),
                        format!("`{p}` is not known when `notices.{key}` is sent"),
                    )
                    .with_help(format!("`notices.{key}` can use {}", backticked(&names))),
                );
            } else if p == Placeholder::EmergencyPhone && !has_emergency_phone {
                errors.push(
                    Diagnostic::at_span(
                        file,
                        text,
                        at(range),
                        format!("`notices.{key}` uses `{p}`, but no `emergency_phone` is set"),
                    )
                    .with_help("add a top-level `emergency_phone = \"+15555550199\"`"),
                );
            }
        }
        match kind {
            NoticeKind::Queued => notices.queued = template,
            NoticeKind::Offered => notices.offered = template,
            NoticeKind::Joined => notices.joined = template,
            NoticeKind::AfterHours => notices.after_hours = template,
            NoticeKind::Emergency => notices.emergency = template,
            NoticeKind::Handback => notices.handback = template,
        }
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_use_only_their_placeholders() {
        for phone in [true, false] {
            for kind in NoticeKind::ALL {
                let t = Template::parse(kind.default_text(phone)).expect("default parses");
                for (p, _) in t.placeholders() {
                    assert!(kind.placeholders().contains(&p), "{kind:?} {p}");
                    assert!(phone || p != Placeholder::EmergencyPhone);
                }
                assert_eq!(Notices::defaults(phone).get(kind), &t);
            }
        }
    }
}
