//! One customer message, analysed once: folded words, clauses, lexicon hits, amounts,
//! shouting. Every cue module reads this instead of re-scanning the text.

use crate::fold::{self, Span};
use crate::lexicon::{self, class, Hit};

/// Scope words looked for before a hit, in its own clause.
const SCOPE_WORDS: usize = 4;

/// An analysed message.
#[derive(Debug, Default)]
pub struct Msg {
    /// Index in the conversation.
    pub index: usize,
    buf: String,
    spans: Vec<Span>,
    /// Lexicon hits, in scan order.
    pub hits: Vec<Hit>,
    /// Mask of the cue classes present.
    pub mask: u64,
    /// Share of letters in upper case (0 when fewer than 8 letters).
    pub caps: f32,
    /// Money amounts written with `$` (or `k`), in dollars.
    pub money: Vec<f64>,
    /// Four-digit years from 1850 to 1979 (old houses and appliances).
    pub old_year: bool,
    /// An age of 70 or more is stated ("she's 91", "87 years old", "tiene 80 anos").
    pub elderly: bool,
    /// A young child's age is stated ("2 month old", "my 1 year old", "bebe de 3 meses").
    pub child: bool,
    /// Doubled question or exclamation marks ("??", "!!").
    pub insistent: bool,
    /// Words of three or more letters written in capitals ("MOVE it").
    pub shouted: usize,
}

impl Msg {
    /// Analyse `text`, the message at `index`.
    pub fn new(index: usize, text: &str) -> Msg {
        let mut m = Msg {
            index,
            ..Msg::default()
        };
        fold::tokenize(text, &mut m.buf, &mut m.spans);
        let words: Vec<&str> = m
            .spans
            .iter()
            .map(|s| &m.buf[s.start as usize..s.end as usize])
            .collect();
        m.mask = lexicon::scan(&words, &m.spans, &mut m.hits);
        m.old_year = words
            .iter()
            .any(|w| w.len() == 4 && w.parse::<u16>().is_ok_and(|y| (1850..=1979).contains(&y)));
        (m.child, m.elderly) = ages(&words);
        m.shouted = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase()))
            .filter(|w| {
                !matches!(
                    *w,
                    "HVAC" | "ASAP" | "GFCI" | "LED" | "HOA" | "ADA" | "AFCI" | "PVC"
                )
            })
            .count();
        m.elderly |= words.iter().enumerate().any(|(i, w)| {
            w.parse::<u16>().is_ok_and(|n| (70..=110).contains(&n))
                && (matches!(words.get(i + 1), Some(&("years" | "yrs" | "year" | "anos")))
                    || (i > 0
                        && matches!(
                            words[i - 1],
                            "is" | "hes" | "shes" | "tiene" | "age" | "aged"
                        )))
        });
        let (upper, letters) = text
            .chars()
            .filter(|c| c.is_alphabetic())
            .fold((0usize, 0usize), |(u, n), c| {
                (u + usize::from(c.is_uppercase()), n + 1)
            });
        m.caps = if letters >= 8 {
            upper as f32 / letters as f32
        } else {
            0.0
        };
        m.money = money(text);
        m.insistent = text.contains("??") || text.contains("!!") || text.contains("?!");
        m
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the message has no words.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Word `i` (folded).
    pub fn word(&self, i: usize) -> &str {
        let s = self.spans[i];
        &self.buf[s.start as usize..s.end as usize]
    }

    /// All words (folded).
    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.spans.len()).map(|i| self.word(i))
    }

    /// The spans (for matching tenant phrases).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Whether class `c` occurs anywhere.
    pub fn has(&self, c: u8) -> bool {
        self.mask & (1 << c) != 0
    }

    /// Hits of class `c`.
    pub fn of(&self, c: u8) -> impl Iterator<Item = &Hit> + '_ {
        self.hits.iter().filter(move |h| h.class == c)
    }

    /// Number of distinct phrases (by start) of class `c` that are live.
    pub fn count_live(&self, c: u8) -> usize {
        let mut n = 0;
        let mut last = u16::MAX;
        for h in self.of(c) {
            if h.start != last && self.live(h) {
                n += 1;
                last = h.start;
            }
        }
        n
    }

    /// Whether class `c` occurs in `clause`.
    pub fn in_clause(&self, c: u8, clause: u16) -> bool {
        self.of(c).any(|h| h.clause == clause)
    }

    /// Whether a past marker governs `clause` ("last week", but not "since last week").
    pub fn past_in_clause(&self, clause: u16) -> bool {
        self.of(class::PAST).any(|h| {
            h.clause == clause
                && !(h.start > 0
                    && matches!(self.word(h.start as usize - 1), "since" | "desde" | "for"))
        })
    }

    /// Whether class `c` occurs in `clause` before token `before`.
    pub fn before_in_clause(&self, c: u8, clause: u16, before: u16) -> bool {
        self.of(c).any(|h| h.clause == clause && h.start < before)
    }

    /// Whether a negator ends within the few words before `start` in the same clause.
    pub fn negated_at(&self, clause: u16, start: u16) -> bool {
        self.of(class::NEGATOR)
            .any(|n| n.clause == clause && n.end <= start && start - n.end < SCOPE_WORDS as u16)
    }

    /// Whether any token of the hit is quoted.
    pub fn quoted(&self, h: &Hit) -> bool {
        (h.start..h.end).any(|i| self.spans.get(i as usize).is_some_and(|s| s.quoted))
    }

    /// A hit that counts: not negated, not quoted, not about the past or the future, not
    /// after an `if` or a general question about the service.
    pub fn live(&self, h: &Hit) -> bool {
        self.live_request(h) && !self.before_in_clause(class::SERVICE_Q, h.clause, h.start)
    }

    /// As [`Msg::live`], but a question about the service ("do you have someone...") may
    /// carry the cue: used for requests.
    pub fn live_request(&self, h: &Hit) -> bool {
        !self.negated_at(h.clause, h.start)
            && !self.quoted(h)
            && !self.past_in_clause(h.clause)
            && !self.conditional_before(h.clause, h.start)
            && !self.in_clause(class::FUTURE, h.clause)
    }

    /// Whether an `if` governs token `before` in `clause`; a preference ("easier if you
    /// call", "better if") is not a condition.
    pub fn conditional_before(&self, clause: u16, before: u16) -> bool {
        self.of(class::CONDITIONAL).any(|h| {
            h.clause == clause
                && h.start < before
                && !(h.start > 0
                    && matches!(
                        self.word(h.start as usize - 1),
                        "easier" | "easiest" | "better" | "best" | "prefer" | "rather" | "great"
                    ))
        })
    }

    /// Whether a live hit of class `c` exists.
    pub fn live_any(&self, c: u8) -> bool {
        self.has(c) && self.of(c).any(|h| self.live(h))
    }

    /// The first live hit of class `c`.
    pub fn first_live(&self, c: u8) -> Option<&Hit> {
        self.of(c).find(|h| self.live(h))
    }

    /// The words of a hit, joined by spaces.
    pub fn phrase(&self, h: &Hit) -> &str {
        let (Some(a), Some(b)) = (
            self.spans.get(h.start as usize),
            self.spans.get(h.end as usize - 1),
        ) else {
            return "";
        };
        &self.buf[a.start as usize..b.end as usize]
    }

    /// Every hit as `(class name, phrase)`, for explanations and debugging.
    pub fn explain(&self) -> Vec<(&'static str, &str)> {
        self.hits
            .iter()
            .map(|h| (lexicon::CLASS_NAMES[h.class as usize], self.phrase(h)))
            .collect()
    }

    /// Hashes of the stemmed content words (length ≥ 3, not stop words), sorted and
    /// deduplicated, for overlap measures.
    pub fn content(&self) -> Vec<u64> {
        content_hashes(self.words())
    }
}

/// Hashes of the stemmed content words of `words`, sorted and deduplicated.
pub fn content_hashes<'a>(words: impl Iterator<Item = &'a str>) -> Vec<u64> {
    let mut v: Vec<u64> = words
        .filter(|w| w.len() >= 3 && !is_stop(w))
        .map(|w| fold::fnv1a(&[fold::stem(w)]))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Stated ages of people: (a young child, someone elderly). `N month(s)/week(s) old`,
/// `de N meses`, `N year old` with N ≤ 5 are a child, `N years old` with N ≥ 70 elderly;
/// not when a thing follows ("a 2 year old water heater").
fn ages(words: &[&str]) -> (bool, bool) {
    let (mut child, mut elderly) = (false, false);
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<u16>() else { continue };
        let unit = words.get(i + 1).copied().unwrap_or("");
        let after = words.get(i + 2).copied().unwrap_or("");
        let next = if after == "old" {
            words.get(i + 3).copied().unwrap_or("")
        } else {
            after
        };
        if is_thing(next) || is_thing(words.get(i + 4).copied().unwrap_or("")) {
            continue;
        }
        let spanish_age = i > 0 && words[i - 1] == "de";
        match unit {
            "month" | "months" | "mo" | "mos" | "week" | "weeks" | "wk" | "day" | "days" => {
                child |= after == "old"
            }
            "meses" | "semanas" | "dias" => child |= spanish_age || after == "de",
            "year" | "years" | "yr" | "yrs" | "yo" | "anos" | "ano" => {
                let person = after == "old" || unit == "yo" || spanish_age;
                child |= person && n <= 5;
                elderly |= person && (70..=110).contains(&n);
            }
            _ => {}
        }
    }
    (child, elderly)
}

/// Nouns that make an age a thing's age.
fn is_thing(w: &str) -> bool {
    matches!(
        w,
        "heater"
            | "furnace"
            | "unit"
            | "ac"
            | "system"
            | "roof"
            | "house"
            | "home"
            | "fridge"
            | "washer"
            | "dryer"
            | "boiler"
            | "pump"
            | "panel"
            | "panels"
            | "opener"
            | "door"
            | "tank"
            | "water"
            | "appliance"
            | "dishwasher"
            | "oven"
            | "lock"
            | "pool"
            | "car"
            | "building"
            | "equipment"
            | "inverter"
            | "deck"
            | "fence"
            | "tree"
            | "trees"
    )
}

/// Money amounts: `$1,850`, `$587.50`, `$15k`.
fn money(text: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let mut j = i + 1;
            let mut digits = String::new();
            while j < bytes.len()
                && (bytes[j].is_ascii_digit() || bytes[j] == b',' || bytes[j] == b'.')
            {
                if bytes[j] != b',' {
                    digits.push(bytes[j] as char);
                }
                j += 1;
            }
            let digits = digits.trim_end_matches('.');
            if let Ok(mut v) = digits.parse::<f64>() {
                if j < bytes.len() && (bytes[j] == b'k' || bytes[j] == b'K') {
                    v *= 1000.0;
                }
                out.push(v);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// English and Spanish function words left out of overlap measures.
fn is_stop(w: &str) -> bool {
    matches!(
        w,
        "the"
            | "and"
            | "for"
            | "you"
            | "your"
            | "are"
            | "was"
            | "that"
            | "this"
            | "with"
            | "have"
            | "has"
            | "but"
            | "not"
            | "its"
            | "can"
            | "what"
            | "when"
            | "how"
            | "just"
            | "like"
            | "said"
            | "already"
            | "told"
            | "there"
            | "they"
            | "them"
            | "from"
            | "one"
            | "all"
            | "any"
            | "get"
            | "got"
            | "yes"
            | "yeah"
            | "ok"
            | "okay"
            | "thanks"
            | "thank"
            | "please"
            | "pls"
            | "que"
            | "por"
            | "para"
            | "con"
            | "una"
            | "los"
            | "las"
            | "del"
            | "dont"
            | "did"
            | "didnt"
            | "too"
            | "also"
            | "then"
            | "than"
            | "our"
            | "out"
            | "about"
            | "would"
            | "could"
            | "will"
            | "again"
            | "mentioned"
            | "above"
            | "first"
            | "message"
            | "sorry"
            | "those"
            | "these"
            | "ill"
            | "im"
    )
}
