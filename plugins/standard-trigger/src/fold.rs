//! Character folding and tokenising, shared by the runtime and by `build.rs` (which
//! includes this file with `#[path]`), so that lexicon phrases, classifier features and
//! messages are cut into tokens the same way. No dependencies, no allocation beyond the
//! output buffers.

/// Fold one character to lowercase ASCII where that keeps its meaning for matching:
/// accents are dropped (`á` → `a`, `ñ` → `n`), apostrophes vanish (`don't` → `dont`),
/// a few emoji become marker words, and everything else that is not a letter or digit
/// becomes a separator. Returns `Fold::Skip` for characters to drop silently.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fold {
    /// A character of a word.
    Char(char),
    /// A marker word (for emoji).
    Word(&'static str),
    /// Ends a token and, for `.`/`!`/`?`/`;`/newline, a clause.
    Sep { clause: bool },
    /// Dropped without separating (apostrophes).
    Skip,
}

/// Fold one character (see [`Fold`]).
pub fn fold_char(c: char) -> Fold {
    match c {
        'a'..='z' | '0'..='9' => Fold::Char(c),
        'A'..='Z' => Fold::Char(c.to_ascii_lowercase()),
        '\'' | '\u{2019}' | '\u{2018}' | '`' => Fold::Skip,
        '.' | '!' | '?' | ';' | '\n' | '\u{bf}' | '\u{a1}' => Fold::Sep { clause: true },
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'Á' | 'À' | 'Ä' | 'Â' | 'Ã' => Fold::Char('a'),
        'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => Fold::Char('e'),
        'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => Fold::Char('i'),
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' | 'Ó' | 'Ò' | 'Ö' | 'Ô' | 'Õ' => Fold::Char('o'),
        'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => Fold::Char('u'),
        'ñ' | 'Ñ' => Fold::Char('n'),
        'ç' | 'Ç' => Fold::Char('c'),
        '\u{1F643}' => Fold::Word("xsarcasm"),
        '\u{1F621}' | '\u{1F620}' | '\u{1F92C}' | '\u{1F624}' => Fold::Word("xangry"),
        '\u{1F602}' | '\u{1F923}' | '\u{1F604}' | '\u{1F60A}' | '\u{1F600}' | '\u{1F601}'
        | '\u{1F44D}' | '\u{1F389}' | '\u{2600}' => Fold::Word("xhappy"),
        _ => Fold::Sep { clause: false },
    }
}

/// Words that open a new clause (a contrast resets negation and hypothetical scope).
pub fn opens_clause(word: &str) -> bool {
    (3..=8).contains(&word.len())
        && matches!(
            word,
            "but" | "pero" | "though" | "tho" | "although" | "however" | "also" | "plus"
        )
}

/// One token of a folded text: byte range in the folded buffer and its clause number.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Span {
    /// Start byte in the folded buffer.
    pub start: u32,
    /// End byte (exclusive).
    pub end: u32,
    /// 0-based clause number within the message.
    pub clause: u16,
    /// Whether the token sits inside quotation marks.
    pub quoted: bool,
}

/// Fold `text` into `buf` (cleared first) and push its tokens into `spans` (cleared).
///
/// A number keeps its inner `.` and `,` (`1,850.50`); a double quote right after a digit
/// is an inch mark, not a quotation.
pub fn tokenize(text: &str, buf: &mut String, spans: &mut Vec<Span>) {
    buf.clear();
    spans.clear();
    let mut clause: u16 = 0;
    let mut quoted = false;
    let mut start: Option<usize> = None;
    let mut prev: char = ' ';
    buf.reserve(text.len() + 8);
    spans.reserve(text.len() / 4 + 1);
    let mut chars = text.chars().peekable();
    fn close(
        buf: &mut String,
        spans: &mut Vec<Span>,
        start: &mut Option<usize>,
        clause: &mut u16,
        quoted: bool,
    ) {
        if let Some(s) = start.take() {
            let word = &buf[s..];
            if opens_clause(word) && !spans.is_empty() {
                *clause = clause.saturating_add(1);
            }
            spans.push(Span {
                start: s as u32,
                end: buf.len() as u32,
                clause: *clause,
                quoted,
            });
            buf.push(' ');
        }
    }
    while let Some(c) = chars.next() {
        // Fast path: lowercase ASCII letters and digits continue or open a word.
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if start.is_none() {
                start = Some(buf.len());
            }
            buf.push(c);
            prev = c;
            continue;
        }
        // Keep `.` and `,` inside numbers.
        if (c == '.' || c == ',') && prev.is_ascii_digit() {
            if let Some(&n) = chars.peek() {
                if n.is_ascii_digit() {
                    buf.push(c);
                    prev = c;
                    continue;
                }
            }
        }
        if c == '"' || c == '\u{201C}' || c == '\u{201D}' {
            if !(c == '"' && prev.is_ascii_digit()) {
                close(buf, spans, &mut start, &mut clause, quoted);
                quoted = !quoted;
            }
            prev = c;
            continue;
        }
        match fold_char(c) {
            Fold::Char(f) => {
                if start.is_none() {
                    start = Some(buf.len());
                }
                buf.push(f);
            }
            Fold::Skip => {}
            Fold::Word(w) => {
                close(buf, spans, &mut start, &mut clause, quoted);
                let s = buf.len();
                buf.push_str(w);
                start = Some(s);
                close(buf, spans, &mut start, &mut clause, quoted);
            }
            Fold::Sep { clause: ends } => {
                close(buf, spans, &mut start, &mut clause, quoted);
                if ends && spans.last().is_some_and(|s| s.clause == clause) {
                    clause = clause.saturating_add(1);
                }
            }
        }
        prev = c;
    }
    close(buf, spans, &mut start, &mut clause, quoted);
}

/// FNV-1a, for hashing classifier features identically at build and run time.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= u64::from(b' ');
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Light stemming for overlap measures and classifier features: drop a plural `s`/`es`
/// and `ing`/`ed` endings of longer words.
pub fn stem(word: &str) -> &str {
    let n = word.len();
    if n > 5 && word.ends_with("ing") {
        &word[..n - 3]
    } else if n > 4 && (word.ends_with("ed") || word.ends_with("es")) {
        &word[..n - 2]
    } else if n > 3 && word.ends_with('s') && !word.ends_with("ss") {
        &word[..n - 1]
    } else {
        word
    }
}

/// Bits of the classifier's hashed feature space (buckets = `1 << FEATURE_BITS`).
pub const FEATURE_BITS: u32 = 15;

fn bucket(h: u64) -> u32 {
    let h = (h ^ (h >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> (64 - FEATURE_BITS)) as u32
}

fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

/// Classifier features of a folded message, as bucket numbers pushed to `out` (with
/// repeats): stemmed word unigrams and bigrams, and character 3- to 5-grams of every
/// word padded with `<` and `>` (so `fuga` gives `<fu`, `<fug`, `<fuga`, `fug`, … `ga>`),
/// which carry morphology and survive typos.
pub fn features<'a>(words: impl Iterator<Item = &'a str>, out: &mut Vec<u32>) {
    const WORD: u64 = 0x1000_0000_01b3;
    const CHARS: u64 = 0x2000_0000_0a17;
    let mut prev: Option<u64> = None;
    let mut padded = [0u8; 40];
    for w in words {
        let s = stem(w);
        let hw = s.bytes().fold(WORD, fnv_step);
        out.push(bucket(hw));
        if let Some(p) = prev {
            out.push(bucket(p.rotate_left(17) ^ hw ^ 0x5bd1_e995));
        }
        prev = Some(hw);
        let n = w.len().min(padded.len() - 2);
        padded[0] = b'<';
        padded[1..=n].copy_from_slice(&w.as_bytes()[..n]);
        padded[n + 1] = b'>';
        let len = n + 2;
        for i in 0..len.saturating_sub(2) {
            let mut h = CHARS;
            for (j, &b) in padded[i..len.min(i + 5)].iter().enumerate() {
                h = fnv_step(h, b);
                if j >= 2 {
                    out.push(bucket(h));
                }
            }
        }
    }
}
