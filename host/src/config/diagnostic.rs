//! Load errors that point at the offending place in a tenant file, rendered like rustc's.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A byte range into a tenant file's text.
pub type Span = Range<usize>;

/// Where in the file a [`Diagnostic`] points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters (a tab counts as one).
    pub column: usize,
    /// The text of the line, tabs expanded and control characters replaced, for display.
    pub source_line: String,
    /// Where the carets start in `source_line`, in characters from its start.
    pub caret_start: usize,
    /// How many carets to draw under `source_line` (at least 1).
    pub caret_len: usize,
}

/// One problem with a tenant file.
///
/// Its `Display` renders like rustc:
///
/// ```text
/// error: policies/acme.toml:12:1: unknown key `queus`
///    |
/// 12 | queus = []
///    | ^^^^^
///    = help: did you mean `queues`?
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", render(self))]
pub struct Diagnostic {
    /// The file, as it should appear in the message.
    pub file: PathBuf,
    /// Where in the file, when the problem has a place (a bad file name has none).
    pub location: Option<Box<Location>>,
    /// What is wrong: lowercase, the user's input in backticks.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem with the file as a whole (its name, or reading it).
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            location: None,
            message: message.into(),
            help: None,
        }
    }

    /// A problem at byte range `span` of `source`, the text of `file`.
    ///
    /// Spans past the end of the text, or not on character boundaries, are clamped, so any
    /// span is accepted. Other modules (the plugin loader) use this with the spans a
    /// [`TenantConfig`](super::TenantConfig) keeps, e.g. `trigger.path_span`.
    pub fn at_span(file: &Path, source: &str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            location: Some(Box::new(locate(source, span))),
            message: message.into(),
            help: None,
        }
    }

    /// Add a `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Replace the text of `span` in the displayed source line with `"<redacted>"`, for
    /// lines that may hold a secret. The carets keep pointing at what they pointed at.
    pub(crate) fn redact(mut self, source: &str, span: Span) -> Self {
        let Some(loc) = self.location.as_mut() else {
            return self;
        };
        let (line_start, line_end) = line_bounds(source, span.start.min(source.len()));
        let start = clamp_boundary(source, span.start.max(line_start));
        let end = clamp_boundary(source, span.end.min(line_end).max(start));
        let before = display_width(&source[line_start..start]);
        let old_len = display_width(&source[start..end]);
        let replacement = "\"<redacted>\"";
        let mut chars: Vec<char> = loc.source_line.chars().collect();
        let to = (before + old_len).min(chars.len());
        let from = before.min(to);
        chars.splice(from..to, replacement.chars());
        loc.source_line = chars.into_iter().collect();
        if loc.caret_start >= to {
            loc.caret_start = loc.caret_start + replacement.len() - (to - from);
        } else if loc.caret_start >= from {
            loc.caret_start = from;
            loc.caret_len = replacement.len();
        }
        self
    }
}

/// One or more problems with a tenant file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// The problems, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }
    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are none (never true for an `Err` returned by the loader).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    /// Each problem rendered like rustc, separated by blank lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

fn render(d: &Diagnostic) -> String {
    let file = d.file.display();
    let mut out = String::new();
    match &d.location {
        None => {
            out.push_str(&format!("error: {file}: {}", d.message));
            if let Some(help) = &d.help {
                out.push_str(&format!("\n  = help: {help}"));
            }
        }
        Some(loc) => {
            let num = loc.line.to_string();
            let pad = " ".repeat(num.len());
            out.push_str(&format!(
                "error: {file}:{}:{}: {}\n{pad} |\n{num} | {}\n{pad} | {}{}",
                loc.line,
                loc.column,
                d.message,
                loc.source_line.trim_end(),
                " ".repeat(loc.caret_start),
                "^".repeat(loc.caret_len.max(1)),
            ));
            if let Some(help) = &d.help {
                out.push_str(&format!("\n{pad} = help: {help}"));
            }
        }
    }
    out
}

/// The nearest character boundary at or before `i` (clamped to the text).
fn clamp_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte range of the line holding byte `at`, without its line break.
fn line_bounds(text: &str, at: usize) -> (usize, usize) {
    let at = clamp_boundary(text, at);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    (start, end.max(start))
}

/// How many display characters `s` takes once tabs are expanded to four spaces.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

fn display_line(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' => "    ".to_string(),
            c if c.is_control() => "\u{FFFD}".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// Line, column and carets for `span` in `source`.
pub(crate) fn locate(source: &str, span: Span) -> Location {
    let start = clamp_boundary(source, span.start);
    let end = clamp_boundary(source, span.end.max(start));
    let (line_start, line_end) = line_bounds(source, start);
    let start = start.min(line_end.max(line_start));
    let line = source[..line_start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let caret_end = end.min(line_end).max(start);
    Location {
        line,
        column,
        source_line: display_line(&source[line_start..line_end]),
        caret_start: display_width(&source[line_start..start]),
        caret_len: display_width(&source[start..caret_end]).max(1),
    }
}

/// Map a byte range `sub` of a decoded TOML string back to the file.
///
/// `value_span` is the span of the string literal, quotes included. When the literal has no
/// escapes the mapping is exact; otherwise the decoded text is looked for in the literal, and
/// failing that the whole literal is used.
pub(crate) fn span_in_string(source: &str, value_span: &Span, decoded: &str, sub: Span) -> Span {
    let Some(raw) = source.get(value_span.clone()) else {
        return value_span.clone();
    };
    let (open, close) = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        (3, 3)
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        (1, 1)
    } else {
        (0, 0)
    };
    if raw.len() >= open + close {
        let mut inner_start = open;
        let mut inner = &raw[open..raw.len() - close];
        // A multi-line string drops a line break right after its opening quotes.
        if open == 3 {
            for nl in ["\r\n", "\n"] {
                if let Some(rest) = inner.strip_prefix(nl) {
                    inner = rest;
                    inner_start += nl.len();
                    break;
                }
            }
        }
        if inner == decoded && sub.end <= decoded.len() {
            let base = value_span.start + inner_start;
            return base + sub.start..base + sub.end;
        }
    }
    if let Some(needle) = decoded.get(sub) {
        if !needle.is_empty() {
            if let Some(i) = raw.find(needle) {
                let base = value_span.start + i;
                return base..base + needle.len();
            }
        }
    }
    value_span.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let src = "name = \"x\"\nqueus = []\n";
        let d = Diagnostic::at_span(
            Path::new("policies/acme.toml"),
            src,
            11..16,
            "unknown key `queus`",
        )
        .with_help("did you mean `queues`?");
        assert_eq!(
            d.to_string(),
            "error: policies/acme.toml:2:1: unknown key `queus`\n  |\n2 | queus = []\n  | ^^^^^\n  = help: did you mean `queues`?"
        );
    }

    #[test]
    fn clamps_odd_spans() {
        let src = "a = \"é\"\n";
        #[allow(clippy::reversed_empty_ranges)]
        let spans = [0..0, 5..6, 6..100, 100..200, 3..2];
        for span in spans {
            let d = Diagnostic::at_span(Path::new("x.toml"), src, span, "m");
            assert!(d.to_string().contains("error: x.toml:"));
        }
        let d = Diagnostic::at_span(Path::new("x.toml"), "", 0..0, "m");
        assert!(d.to_string().starts_with("error: x.toml:1:1: m"));
    }

    #[test]
    fn redacts_secret_values() {
        let src = "[[webhooks]]\nsecret = \"hunter2\"\n";
        let d = Diagnostic::at_span(Path::new("x.toml"), src, 13..19, "unknown key `secret`")
            .redact(src, 22..31);
        let text = d.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("secret = \"<redacted>\"\n  | ^^^^^^"),
            "{text}"
        );
    }

    #[test]
    fn maps_string_offsets() {
        let src = "q = \"a {x} b\"\nr = \"\\u0041 {x}\"\n";
        assert_eq!(span_in_string(src, &(4..13), "a {x} b", 2..5), 7..10);
        assert_eq!(span_in_string(src, &(18..30), "A {x}", 2..5), 26..29);
    }
}
