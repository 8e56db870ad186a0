//! `[notices]`: what the bot tells the customer at each step of a handoff, in the customer's
//! language. English and Spanish are built in; a tenant overrides either (`[notices]` for
//! English, `[notices.es]` for Spanish), and each override is checked like every other key.

use super::diagnostic::{span_in_string, Diagnostic};
use super::names::backticked;
use super::schema::{RawNotices, S};
use super::template::{Placeholder, Template};
use std::path::Path;

/// A language notices are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// English: the default.
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Language {
    /// Every language with built-in notices.
    pub const ALL: [Language; 2] = [Language::En, Language::Es];

    /// The language's code, as in `[notices.es]` and the tag `lang:es`.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Es => "es",
        }
    }

    /// The customer's language from a decision's tags: `lang:es` (any case), or the stock
    /// trigger's `spanish`, chooses Spanish; anything else English. The first language tag
    /// wins.
    pub fn of_tags(tags: &[String]) -> Language {
        for t in tags {
            let t = t.to_ascii_lowercase();
            match t.as_str() {
                "spanish" | "lang:es" => return Language::Es,
                "english" | "lang:en" => return Language::En,
                _ => {}
            }
        }
        Language::En
    }
}

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
    /// `paged`: an urgent handoff offered to an on-call agent who is offline in the inbox
    /// (after hours, or in hours with nobody signed in to take it): they are paged through
    /// their alert contacts.
    Paged,
    /// `emergency_waiting`: an urgent handoff after hours that nobody on call could be
    /// offered: it waits in a queue.
    EmergencyWaiting,
    /// `emergency_unstaffed`: an urgent handoff in hours that nobody signed in or on call
    /// could be offered: it waits in a queue.
    EmergencyUnstaffed,
    /// `handback`: the agent handed the conversation back to the bot.
    Handback,
}

impl NoticeKind {
    /// Every notice, in file order.
    pub const ALL: [NoticeKind; 9] = [
        NoticeKind::Queued,
        NoticeKind::Offered,
        NoticeKind::Joined,
        NoticeKind::AfterHours,
        NoticeKind::Emergency,
        NoticeKind::Paged,
        NoticeKind::EmergencyWaiting,
        NoticeKind::EmergencyUnstaffed,
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
            NoticeKind::Paged => "paged",
            NoticeKind::EmergencyWaiting => "emergency_waiting",
            NoticeKind::EmergencyUnstaffed => "emergency_unstaffed",
            NoticeKind::Handback => "handback",
        }
    }

    /// The placeholders the host fills in at this moment. `{business}` and
    /// `{emergency_phone}` are always available (the latter only when `emergency_phone` is
    /// set). `{wait}` in `offered` is how long the offered agent usually takes to join (the
    /// tenant's recent median time to accept): an offer is a person coming, not a place in
    /// line, so the default text does not state it.
    pub fn placeholders(self) -> &'static [Placeholder] {
        use Placeholder::*;
        match self {
            NoticeKind::Queued => &[Business, Position, Wait, EmergencyPhone],
            NoticeKind::Offered => &[Business, AgentFirstName, Wait, EmergencyPhone],
            NoticeKind::Joined | NoticeKind::Handback | NoticeKind::Paged => {
                &[Business, AgentFirstName, EmergencyPhone]
            }
            NoticeKind::AfterHours | NoticeKind::EmergencyWaiting => {
                &[Business, Opens, EmergencyPhone]
            }
            NoticeKind::Emergency | NoticeKind::EmergencyUnstaffed => &[Business, EmergencyPhone],
        }
    }

    /// The text used when the file gives none, in `lang`. `after_hours`, `paged`,
    /// `emergency_waiting` and `emergency_unstaffed` mention the emergency phone only when
    /// there is one; none of them promises a person sooner than one can come, and `paged`
    /// holds in hours and after (it does not say the business is closed).
    pub fn default_text(self, lang: Language, has_emergency_phone: bool) -> &'static str {
        match lang {
            Language::En => self.english(has_emergency_phone),
            Language::Es => self.spanish(has_emergency_phone),
        }
    }

    fn english(self, has_emergency_phone: bool) -> &'static str {
        match self {
            NoticeKind::Queued => "Thanks for your patience — I'm bringing in a person from {business}. You're number {position} in line; the wait is {wait}.",
            NoticeKind::Offered => "I'm connecting you with {agent_first_name} from {business} now.",
            NoticeKind::Joined => "{agent_first_name} from {business} has joined and can see our whole conversation.",
            NoticeKind::AfterHours if has_emergency_phone => "We're closed right now; {business} opens {opens}. A person will reply then — for an emergency call {emergency_phone}.",
            NoticeKind::AfterHours => "We're closed right now; {business} opens {opens}. A person will reply then.",
            NoticeKind::Emergency => "This sounds urgent. I'm getting a person from {business} right now. If anyone is in danger, call 911.",
            NoticeKind::Paged if has_emergency_phone => "This sounds urgent: I've paged {agent_first_name}, {business}'s on-call technician, who will answer here as soon as they pick up. You can also call our emergency line: {emergency_phone}. If anyone is in danger, call 911.",
            NoticeKind::Paged => "This sounds urgent: I've paged {agent_first_name}, {business}'s on-call technician, who will answer here as soon as they pick up. If anyone is in danger, call 911.",
            NoticeKind::EmergencyWaiting if has_emergency_phone => "This sounds urgent, but {business} is closed and nobody on call can be reached right now. Please call our emergency line: {emergency_phone}. If anyone is in danger, call 911. A person will reply here when we open {opens}.",
            NoticeKind::EmergencyWaiting => "This sounds urgent, but {business} is closed and nobody on call can be reached right now. If anyone is in danger, call 911. A person will reply here when we open {opens}.",
            NoticeKind::EmergencyUnstaffed if has_emergency_phone => "This sounds urgent, but nobody at {business} can be reached this minute. Please call our emergency line: {emergency_phone}. If anyone is in danger, call 911. You're first in line here: a person will reply as soon as one is free.",
            NoticeKind::EmergencyUnstaffed => "This sounds urgent, but nobody at {business} can be reached this minute. If anyone is in danger, call 911. You're first in line here: a person will reply as soon as one is free.",
            NoticeKind::Handback => "Thanks! I'm back to help with anything else.",
        }
    }

    fn spanish(self, has_emergency_phone: bool) -> &'static str {
        match self {
            NoticeKind::Queued => "Gracias por su paciencia: estoy llamando a una persona de {business}. Usted es el número {position} en la fila; la espera es de {wait}.",
            NoticeKind::Offered => "Le estoy comunicando ahora con {agent_first_name}, de {business}.",
            NoticeKind::Joined => "{agent_first_name}, de {business}, se ha unido y puede ver toda nuestra conversación.",
            NoticeKind::AfterHours if has_emergency_phone => "Ahora estamos cerrados; {business} abre {opens}. Una persona le responderá entonces. Para una emergencia, llame al {emergency_phone}.",
            NoticeKind::AfterHours => "Ahora estamos cerrados; {business} abre {opens}. Una persona le responderá entonces.",
            NoticeKind::Emergency => "Esto parece urgente. Estoy llamando ahora mismo a una persona de {business}. Si alguien está en peligro, llame al 911.",
            NoticeKind::Paged if has_emergency_phone => "Esto parece urgente: he avisado a {agent_first_name}, el técnico de guardia de {business}, que le responderá aquí en cuanto conteste. También puede llamar a nuestra línea de emergencias: {emergency_phone}. Si alguien está en peligro, llame al 911.",
            NoticeKind::Paged => "Esto parece urgente: he avisado a {agent_first_name}, el técnico de guardia de {business}, que le responderá aquí en cuanto conteste. Si alguien está en peligro, llame al 911.",
            NoticeKind::EmergencyWaiting if has_emergency_phone => "Esto parece urgente, pero {business} está cerrado y ahora no podemos localizar a nadie de guardia. Llame a nuestra línea de emergencias: {emergency_phone}. Si alguien está en peligro, llame al 911. Una persona le responderá aquí cuando abramos, {opens}.",
            NoticeKind::EmergencyWaiting => "Esto parece urgente, pero {business} está cerrado y ahora no podemos localizar a nadie de guardia. Si alguien está en peligro, llame al 911. Una persona le responderá aquí cuando abramos, {opens}.",
            NoticeKind::EmergencyUnstaffed if has_emergency_phone => "Esto parece urgente, pero en este momento no podemos localizar a nadie de {business}. Llame a nuestra línea de emergencias: {emergency_phone}. Si alguien está en peligro, llame al 911. Usted es el primero en la fila: una persona le responderá en cuanto quede libre.",
            NoticeKind::EmergencyUnstaffed => "Esto parece urgente, pero en este momento no podemos localizar a nadie de {business}. Si alguien está en peligro, llame al 911. Usted es el primero en la fila: una persona le responderá en cuanto quede libre.",
            NoticeKind::Handback => "¡Gracias! Vuelvo a estar aquí para ayudarle con lo que necesite.",
        }
    }
}

/// A tenant's notices in every language: the built-in texts with the tenant's overrides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notices {
    /// English: `[notices]`.
    pub en: NoticeSet,
    /// Spanish: `[notices.es]`.
    pub es: NoticeSet,
}

impl Notices {
    /// The built-in notices in every language.
    pub fn defaults(has_emergency_phone: bool) -> Notices {
        Notices {
            en: NoticeSet::defaults(Language::En, has_emergency_phone),
            es: NoticeSet::defaults(Language::Es, has_emergency_phone),
        }
    }

    /// The notices in `lang`.
    pub fn set(&self, lang: Language) -> &NoticeSet {
        match lang {
            Language::En => &self.en,
            Language::Es => &self.es,
        }
    }

    fn set_mut(&mut self, lang: Language) -> &mut NoticeSet {
        match lang {
            Language::En => &mut self.en,
            Language::Es => &mut self.es,
        }
    }

    /// The notice for `kind` in `lang`.
    pub fn get(&self, kind: NoticeKind, lang: Language) -> &Template {
        self.set(lang).get(kind)
    }
}

/// The nine notices of one language, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeSet {
    /// Waiting for a person: `{business}`, `{position}`, `{wait}`.
    pub queued: Template,
    /// An agent is being offered the conversation: `{business}`, `{agent_first_name}`,
    /// `{wait}` (the usual time to accept).
    pub offered: Template,
    /// The agent has joined: `{business}`, `{agent_first_name}`.
    pub joined: Template,
    /// Closed now: `{business}`, `{opens}`.
    pub after_hours: Template,
    /// An urgent handoff: `{business}`.
    pub emergency: Template,
    /// An urgent handoff, on-call agent paged: `{business}`, `{agent_first_name}`.
    pub paged: Template,
    /// An urgent handoff after hours that nobody on call could take: `{business}`,
    /// `{opens}`.
    pub emergency_waiting: Template,
    /// An urgent handoff in hours that nobody could take: `{business}`.
    pub emergency_unstaffed: Template,
    /// Back to the bot: `{business}`, `{agent_first_name}`.
    pub handback: Template,
}

impl NoticeSet {
    /// The notice for `kind`.
    pub fn get(&self, kind: NoticeKind) -> &Template {
        match kind {
            NoticeKind::Queued => &self.queued,
            NoticeKind::Offered => &self.offered,
            NoticeKind::Joined => &self.joined,
            NoticeKind::AfterHours => &self.after_hours,
            NoticeKind::Emergency => &self.emergency,
            NoticeKind::Paged => &self.paged,
            NoticeKind::EmergencyWaiting => &self.emergency_waiting,
            NoticeKind::EmergencyUnstaffed => &self.emergency_unstaffed,
            NoticeKind::Handback => &self.handback,
        }
    }

    fn get_mut(&mut self, kind: NoticeKind) -> &mut Template {
        match kind {
            NoticeKind::Queued => &mut self.queued,
            NoticeKind::Offered => &mut self.offered,
            NoticeKind::Joined => &mut self.joined,
            NoticeKind::AfterHours => &mut self.after_hours,
            NoticeKind::Emergency => &mut self.emergency,
            NoticeKind::Paged => &mut self.paged,
            NoticeKind::EmergencyWaiting => &mut self.emergency_waiting,
            NoticeKind::EmergencyUnstaffed => &mut self.emergency_unstaffed,
            NoticeKind::Handback => &mut self.handback,
        }
    }

    /// The built-in notices in `lang`.
    pub fn defaults(lang: Language, has_emergency_phone: bool) -> NoticeSet {
        let t = |k: NoticeKind| {
            // The defaults are fixed text that parses (see the tests below).
            let text = k.default_text(lang, has_emergency_phone);
            Template::parse(text).unwrap_or_else(|_| Template::literal(text))
        };
        NoticeSet {
            queued: t(NoticeKind::Queued),
            offered: t(NoticeKind::Offered),
            joined: t(NoticeKind::Joined),
            after_hours: t(NoticeKind::AfterHours),
            emergency: t(NoticeKind::Emergency),
            paged: t(NoticeKind::Paged),
            emergency_waiting: t(NoticeKind::EmergencyWaiting),
            emergency_unstaffed: t(NoticeKind::EmergencyUnstaffed),
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
        NoticeKind::Paged => raw.paged.as_ref(),
        NoticeKind::EmergencyWaiting => raw.emergency_waiting.as_ref(),
        NoticeKind::EmergencyUnstaffed => raw.emergency_unstaffed.as_ref(),
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
    let en = Overrides {
        file,
        text,
        table: "notices",
        has_emergency_phone,
    };
    en.fill(raw, notices.set_mut(Language::En), errors);
    if let Some(es) = &raw.es {
        if let Some(nested) = &es.get_ref().es {
            errors.push(
                Diagnostic::at_span(
                    file,
                    text,
                    nested.span(),
                    "`[notices.es.es]`: a language's notices hold no other language",
                )
                .with_help("write the Spanish texts directly under `[notices.es]`"),
            );
        }
        let es_table = Overrides {
            table: "notices.es",
            ..en
        };
        es_table.fill(es.get_ref(), notices.set_mut(Language::Es), errors);
    }
    notices
}

/// Where one language's overrides are read from, for diagnostics.
#[derive(Clone, Copy)]
struct Overrides<'a> {
    file: &'a Path,
    text: &'a str,
    /// `notices` or `notices.es`.
    table: &'static str,
    has_emergency_phone: bool,
}

impl Overrides<'_> {
    /// Parse and check the texts `raw` gives, replacing the defaults in `set`.
    fn fill(self, raw: &RawNotices, set: &mut NoticeSet, errors: &mut Vec<Diagnostic>) {
        let Overrides {
            file,
            text,
            table,
            has_emergency_phone,
        } = self;
        for kind in NoticeKind::ALL {
            let Some(value) = raw_for(raw, kind) else {
                continue;
            };
            let at = |sub| span_in_string(text, &value.span(), value.get_ref(), sub);
            let key = format!("{table}.{}", kind.key());
            let template = match Template::parse(value.get_ref()) {
                Ok(t) => t,
                Err(e) => {
                    let mut d = Diagnostic::at_span(
                        file,
                        text,
                        at(e.at),
                        format!("{} in `{key}`", e.message),
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
                    Diagnostic::at_span(file, text, value.span(), format!("`{key}` is empty"))
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
                            format!("`{p}` is not known when `{key}` is sent"),
                        )
                        .with_help(format!("`{key}` can use {}", backticked(&names))),
                    );
                } else if p == Placeholder::EmergencyPhone && !has_emergency_phone {
                    errors.push(
                        Diagnostic::at_span(
                            file,
                            text,
                            at(range),
                            format!("`{key}` uses `{p}`, but no `emergency_phone` is set"),
                        )
                        .with_help("add a top-level `emergency_phone = \"+15555550199\"`"),
                    );
                }
            }
            *set.get_mut(kind) = template;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_use_only_their_placeholders() {
        for lang in Language::ALL {
            for phone in [true, false] {
                for kind in NoticeKind::ALL {
                    let t =
                        Template::parse(kind.default_text(lang, phone)).expect("default parses");
                    for (p, _) in t.placeholders() {
                        assert!(kind.placeholders().contains(&p), "{lang:?} {kind:?} {p}");
                        assert!(phone || p != Placeholder::EmergencyPhone);
                    }
                    assert_eq!(Notices::defaults(phone).get(kind, lang), &t);
                }
            }
        }
    }

    #[test]
    fn every_spanish_default_says_the_same_as_the_english_one() {
        // The same placeholders in both languages: a translation never drops the wait,
        // the agent's name or the emergency line.
        for phone in [true, false] {
            for kind in NoticeKind::ALL {
                let names = |lang| {
                    let mut p: Vec<Placeholder> = Template::parse(kind.default_text(lang, phone))
                        .expect("parses")
                        .placeholders()
                        .into_iter()
                        .map(|(p, _)| p)
                        .collect();
                    p.sort_by_key(|p| p.to_string());
                    p
                };
                assert_eq!(names(Language::En), names(Language::Es), "{kind:?}");
                assert_ne!(
                    kind.default_text(Language::En, phone),
                    kind.default_text(Language::Es, phone)
                );
            }
        }
    }

    #[test]
    fn the_language_comes_from_the_decision_tags() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Language::of_tags(&tags(&[])), Language::En);
        assert_eq!(Language::of_tags(&tags(&["vip", "spanish"])), Language::Es);
        assert_eq!(Language::of_tags(&tags(&["LANG:ES"])), Language::Es);
        assert_eq!(
            Language::of_tags(&tags(&["lang:en", "spanish"])),
            Language::En
        );
        assert_eq!(Language::of_tags(&tags(&["lang:fr"])), Language::En);
    }
}
