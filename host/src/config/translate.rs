//! Turn the `toml` crate's syntax and serde errors into [`Diagnostic`]s with our wording:
//! which key, in which table, and a "did you mean".

use super::diagnostic::{Diagnostic, Span};
use super::names::{backticked, did_you_mean};
use super::schema::{HOME_OF, TOP_KEYS};
use std::path::Path;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// What the document holds at a span: the path to it, and the value's span when the span
/// was a key's.
struct Found {
    path: Vec<Seg>,
    value_span: Option<Span>,
}

fn find(table: &DeTable<'_>, span: &Span, path: &mut Vec<Seg>) -> Option<Found> {
    for (k, v) in table.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        if k.span() == *span {
            return Some(Found {
                path: path.clone(),
                value_span: Some(v.span()),
            });
        }
        if let Some(f) = find_value(v, span, path) {
            return Some(f);
        }
        path.pop();
    }
    None
}

fn find_value(v: &Spanned<DeValue<'_>>, span: &Span, path: &mut Vec<Seg>) -> Option<Found> {
    // Nested tables first: an array-of-tables element and its first key can share a start.
    match v.get_ref() {
        DeValue::Table(t) => {
            if let Some(f) = find(t, span, path) {
                return Some(f);
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                if let Some(f) = find_value(item, span, path) {
                    return Some(f);
                }
                path.pop();
            }
        }
        _ => {}
    }
    (v.span() == *span).then(|| Found {
        path: path.clone(),
        value_span: None,
    })
}

/// `[limits]`, `[[agents]]`, `[trigger.tests.expect]`, or "" for the top level.
fn section(path: &[Seg]) -> String {
    let keys: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    match path.last() {
        None => String::new(),
        Some(Seg::Index(_)) => format!("[[{}]]", keys.join(".")),
        Some(Seg::Key(_)) => format!("[{}]", keys.join(".")),
    }
}

/// The last key on the path: what to call a value.
fn key_name(path: &[Seg]) -> Option<&str> {
    path.iter().rev().find_map(|s| match s {
        Seg::Key(k) => Some(k.as_str()),
        Seg::Index(_) => None,
    })
}

fn in_section(sec: &str) -> String {
    if sec.is_empty() {
        String::new()
    } else {
        format!(" in `{sec}`")
    }
}

/// Words that mark a key as probably holding a secret, whose value is never shown.
const SECRET_WORDS: [&str; 5] = ["secret", "token", "password", "api_key", "apikey"];

/// A TOML syntax error.
pub(crate) fn syntax(file: &Path, text: &str, err: &toml::de::Error) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let msg = err.message().trim();
    let snippet = text.get(span.clone()).unwrap_or("");
    let one_line = !snippet.is_empty() && !snippet.contains('\n') && snippet.len() <= 60;
    if msg == "duplicate key" && one_line {
        Diagnostic::at_span(file, text, span, format!("duplicate key `{snippet}`"))
            .with_help("a key may appear only once in a table")
    } else if msg.starts_with("string values must be quoted") && one_line {
        Diagnostic::at_span(file, text, span, format!("unquoted text `{snippet}`")).with_help(
            format!(
                "put text in double quotes: `\"{}\"`",
                snippet.replace('"', "\\\"")
            ),
        )
    } else {
        Diagnostic::at_span(file, text, span, lowercase_first(msg))
    }
}

/// A serde error from deserializing a document that parsed: unknown and missing keys,
/// wrong types.
pub(crate) fn serde(
    file: &Path,
    text: &str,
    root: &DeTable<'_>,
    err: &toml::de::Error,
) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let found = find(root, &span, &mut Vec::new());
    let msg = err.message().trim();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        if let Some((key, expected)) = rest.split_once('`') {
            return unknown_key(file, text, span, found, key, &backticked_list(expected));
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        let sec = found.as_ref().map(|f| section(&f.path)).unwrap_or_default();
        let message = format!("missing key `{key}`{}", in_section(&sec));
        // A key missing from the top level has no place to point at.
        let d = if found.is_none() && span.is_empty() {
            Diagnostic::whole_file(file, message)
        } else {
            Diagnostic::at_span(file, text, span, message)
        };
        let help = match (sec.as_str(), key) {
            ("", "name") => Some("add the business's display name at the top, e.g. `name = \"Acme Plumbing\"`"),
            ("", "trigger") => Some("add a `[trigger]` table naming the plugin, e.g. `plugin = \"plugins/standard-trigger.wasm\"`"),
            ("", "routing") => Some("add a `[routing]` table naming the plugin, e.g. `plugin = \"plugins/skills-router.wasm\"`"),
            (_, "escalate") => Some("say whether the conversation should pass to a person: `escalate = true` or `escalate = false`"),
            _ => None,
        };
        return match help {
            Some(h) => d.with_help(h),
            None => d,
        };
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((unexpected, expected)) = rest.rsplit_once(", expected ") {
            let name = found
                .as_ref()
                .and_then(|f| {
                    let key = key_name(&f.path)?;
                    Some(match f.path.last() {
                        Some(Seg::Index(_)) => format!(" for an item of `{key}`"),
                        _ => format!(" for `{key}`"),
                    })
                })
                .unwrap_or_default();
            return Diagnostic::at_span(
                file,
                text,
                span,
                format!(
                    "wrong type{name}: expected {}, found {}",
                    describe_expected(expected),
                    describe_unexpected(unexpected)
                ),
            );
        }
    }
    Diagnostic::at_span(file, text, span, lowercase_first(msg))
}

fn unknown_key(
    file: &Path,
    text: &str,
    span: Span,
    found: Option<Found>,
    key: &str,
    allowed: &[String],
) -> Diagnostic {
    let path = found.as_ref().map(|f| f.path.clone()).unwrap_or_default();
    let parent = &path[..path.len().saturating_sub(1)];
    let sec = section(parent);
    let mut d = Diagnostic::at_span(
        file,
        text,
        span.clone(),
        format!("unknown key `{key}`{}", in_section(&sec)),
    );
    let lower = key.to_lowercase();
    if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
        if let Some(value_span) = found.as_ref().and_then(|f| f.value_span.clone()) {
            d = d.redact(text, value_span);
        }
    }
    let allowed_refs: Vec<&str> = allowed.iter().map(String::as_str).collect();
    let help = if sec == "[[webhooks]]" && lower.contains("secret") && key != "secret_env" {
        "never write the secret in this file: put it in an environment variable and give that variable's name, e.g. `secret_env = \"ACME_WEBHOOK_SECRET\"`".to_string()
    } else if let Some(s) = did_you_mean(key, allowed_refs.iter().copied()) {
        format!("did you mean `{s}`?")
    } else if let Some((_, home)) = HOME_OF.iter().find(|(k, _)| *k == key) {
        if *home == "the top level" {
            format!("`{key}` is a top-level key: move it above the first `[table]` header")
        } else {
            format!("`{key}` belongs in {home}")
        }
    } else if sec.is_empty() && allowed_refs == TOP_KEYS {
        format!("the top-level keys are {}", backticked(TOP_KEYS))
    } else if allowed_refs.is_empty() {
        "this table takes no keys".to_string()
    } else {
        format!("expected {}", backticked(&allowed_refs))
    };
    d.with_help(help)
}

/// `expected one of `a`, `b`` / `expected `a` or `b`` / `expected `a`` → names.
fn backticked_list(expected: &str) -> Vec<String> {
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn describe_expected(e: &str) -> String {
    let e = e.trim();
    match e {
        "i64" | "u64" | "i32" | "u32" | "u16" | "u8" => "an integer".into(),
        "f64" | "f32" => "a number".into(),
        "a boolean" => "`true` or `false`".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ => e.to_string(),
    }
}

fn describe_unexpected(u: &str) -> String {
    let u = u.trim();
    let kind = u.split([' ', '`', '"']).next().unwrap_or("");
    match kind {
        "string" => "a string",
        "integer" => "an integer",
        "floating" => "a number with a fraction",
        "boolean" => "a boolean",
        "sequence" => "an array",
        "map" => "a table",
        _ => return u.to_string(),
    }
    .to_string()
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
