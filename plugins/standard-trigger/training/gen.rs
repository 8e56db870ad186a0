//! Expands the training templates into labelled messages. Shared by `build.rs` (which
//! trains the classifier on the training split) and `examples/model.rs` (which measures
//! it on the validation split), through `#[path]`, so both see the same corpus.
//!
//! * `training/<label>.txt`: one template a line (`#` comments). `{name}` draws a filler
//!   from `[name]` in `training/slots.txt`; `{a|b|}` draws one inline alternative (an
//!   empty one makes it optional). Fillers may contain further `{...}`.
//! * Every template is expanded a fixed number of times with a seeded generator (the seed
//!   is the template's hash), so the corpus is the same on every build; a third of the
//!   draws are rewritten in SMS style (lowercase, no punctuation, `u`, `pls`, `rn`,
//!   `porfa`, a typo).
//! * Whole templates, not single draws, are held out: every fifth template of a file
//!   (index % 5 == 3) is validation only, so validation measures new sentence shapes.

use std::collections::{BTreeMap, BTreeSet};

/// One generated message.
#[derive(Debug, Clone)]
pub struct Example {
    /// The text.
    pub text: String,
    /// Index into [`Corpus::labels`].
    pub label: usize,
    /// From a held-out template.
    pub validation: bool,
}

/// The expanded corpus.
#[derive(Debug, Default)]
pub struct Corpus {
    /// Label names, in the order of the template files given.
    pub labels: Vec<String>,
    /// Every generated message.
    pub examples: Vec<Example>,
}

/// Draws per template with slots.
const DRAWS: u64 = 24;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Parse `slots.txt`: `[name]` headers, one filler a line, `~` for an empty filler.
pub fn parse_slots(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut slots: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            slots.entry(current.clone()).or_default();
        } else {
            assert!(!current.is_empty(), "slots.txt: `{line}` before any [slot]");
            let filler = if line == "~" { "" } else { line };
            slots
                .entry(current.clone())
                .or_default()
                .push(filler.to_string());
        }
    }
    slots
}

fn fill(template: &str, slots: &BTreeMap<String, Vec<String>>, rng: &mut Rng, depth: u8) -> String {
    assert!(depth < 8, "slots nest too deep at `{template}`");
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        // The matching `}` and the top-level `|`s (alternatives may nest slots).
        let (mut level, mut close, mut bars) = (0usize, None, Vec::new());
        for (i, b) in rest.bytes().enumerate().skip(open) {
            match b {
                b'{' => level += 1,
                b'}' => {
                    level -= 1;
                    if level == 0 {
                        close = Some(i);
                        break;
                    }
                }
                b'|' if level == 1 => bars.push(i),
                _ => {}
            }
        }
        let close = close.unwrap_or_else(|| panic!("unclosed {{ in `{template}`"));
        let inner = &rest[open + 1..close];
        let choice = if bars.is_empty() {
            let fillers = slots
                .get(inner)
                .unwrap_or_else(|| panic!("unknown slot {{{inner}}} in `{template}`"));
            fillers[rng.below(fillers.len())].clone()
        } else {
            let mut cuts = vec![open];
            cuts.extend(&bars);
            cuts.push(close);
            let k = rng.below(cuts.len() - 1);
            rest[cuts[k] + 1..cuts[k + 1]].to_string()
        };
        out.push_str(&fill(&choice, slots, rng, depth + 1));
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrite `text` the way people type on a phone.
fn sms(text: &str, rng: &mut Rng) -> String {
    const SWAPS: &[(&str, &[&str])] = &[
        ("you", &["u", "you", "u"]),
        ("your", &["ur", "your"]),
        ("please", &["pls", "plz", "please"]),
        ("right now", &["rn", "right now"]),
        ("thanks", &["thx", "ty", "thanks"]),
        ("because", &["bc", "cuz"]),
        ("tomorrow", &["tmrw", "tomorrow"]),
        ("someone", &["some1", "someone", "somebody"]),
        ("are", &["r", "are"]),
        ("i am", &["im", "i am"]),
        ("going to", &["gonna"]),
        ("want to", &["wanna"]),
        ("por favor", &["porfa", "xfa", "por fa"]),
        ("que", &["q", "que", "k"]),
        ("también", &["tmb", "tambien"]),
        ("por", &["x", "por"]),
        ("ok", &["k", "ok", "okay"]),
    ];
    let mut s: String = text
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | '!' | ';' | ':' | '¿' | '¡' | '\'' | '’'))
        .collect();
    s = s
        .replace('á', "a")
        .replace('é', "e")
        .replace('í', "i")
        .replace('ó', "o")
        .replace('ú', "u");
    let mut words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    let mut i = 0;
    while i < words.len() {
        let two = words.get(i + 1).map(|n| format!("{} {n}", words[i]));
        if let Some((_, alts)) = SWAPS.iter().find(|(f, _)| Some(*f) == two.as_deref()) {
            words[i] = alts[rng.below(alts.len())].to_string();
            words.remove(i + 1);
        } else if let Some((_, alts)) = SWAPS.iter().find(|(f, _)| *f == words[i]) {
            words[i] = alts[rng.below(alts.len())].to_string();
        }
        i += 1;
    }
    if rng.chance(60) {
        let long: Vec<usize> = (0..words.len()).filter(|&i| words[i].len() >= 5).collect();
        if !long.is_empty() {
            let w = long[rng.below(long.len())];
            let mut cs: Vec<char> = words[w].chars().collect();
            let at = 1 + rng.below(cs.len() - 2);
            match rng.below(3) {
                0 => {
                    cs.remove(at);
                }
                1 => cs.insert(at, cs[at]),
                _ => cs.swap(at, at + 1),
            }
            words[w] = cs.into_iter().collect();
        }
    }
    words.join(" ")
}

/// Expand every template file (`(label, text)`) with the slots.
pub fn expand(files: &[(String, String)], slots: &BTreeMap<String, Vec<String>>) -> Corpus {
    let mut corpus = Corpus {
        labels: files.iter().map(|f| f.0.clone()).collect(),
        examples: Vec::new(),
    };
    for (label, (_, text)) in files.iter().enumerate() {
        let templates = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        for (i, template) in templates.enumerate() {
            let validation = i % 5 == 3;
            let mut rng = Rng(hash(template));
            let mut seen = BTreeSet::new();
            let draws = if template.contains('{') { DRAWS } else { 2 };
            for d in 0..draws {
                let mut text = fill(template, slots, &mut rng, 0);
                if (!template.contains('{') && d == 1) || (template.contains('{') && rng.chance(33))
                {
                    text = sms(&text, &mut rng);
                }
                if seen.insert(text.clone()) {
                    corpus.examples.push(Example {
                        text,
                        label,
                        validation,
                    });
                }
            }
        }
    }
    corpus
}
