//! The NUL character (`\u0000`): PostgreSQL's `text` and `jsonb` cannot hold one and SQLite
//! can, so a request that carried one would be stored on one backend and refused (as a store
//! error) on the other. Every JSON body, path parameter and query string is checked here,
//! before anything reaches the desk, and a NUL is a 422 naming the field on every store.

use super::error::ApiError;
use serde_json::Value;

/// What a refusal says.
const MESSAGE: &str = "contains a NUL character (\\u0000), which Baton does not store";

/// A 422 naming `field` for a NUL in it.
pub(crate) fn refused(field: impl Into<String>) -> ApiError {
    ApiError::invalid(field, MESSAGE)
}

/// The path (`customer.name`, `tags[0]`, as `serde_path_to_error` writes them) of the first
/// string or object key of a JSON body that holds a NUL, if any. A body without the escape
/// `\u0000` cannot hold one (JSON forbids a raw control character in a string), so most
/// bodies are only scanned, never parsed twice.
pub(crate) fn in_json(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return None;
    }
    let value: Value = serde_json::from_slice(bytes).ok()?;
    in_value(&value, "")
}

fn in_value(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then(|| display(path)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| in_value(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let key = k.replace('\0', "\\u0000");
            let p = if path.is_empty() {
                key
            } else {
                format!("{path}.{key}")
            };
            if k.contains('\0') {
                Some(p)
            } else {
                in_value(x, &p)
            }
        }),
        _ => None,
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        ".".to_string()
    } else {
        path.to_string()
    }
}

/// The first query parameter whose name or (percent-decoded) value holds a NUL.
pub(crate) fn in_query(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| k.replace('\0', "\\u0000"))
}

/// The first path parameter whose (percent-decoded) value holds a NUL.
pub(crate) fn in_path<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    params
        .into_iter()
        .find(|(_, v)| v.contains('\0'))
        .map(|(k, _)| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_is_found_wherever_it_is_and_named_by_its_path() {
        assert_eq!(in_json(br#"{"text":"a\u0000b"}"#).as_deref(), Some("text"));
        assert_eq!(
            in_json(br#"{"text":"ok","customer":{"name":"x","tags":["vip","\u0000"]}}"#).as_deref(),
            Some("customer.tags[1]")
        );
        assert_eq!(in_json(br#"{"a\u0000":1}"#).as_deref(), Some("a\\u0000"));
        assert_eq!(in_json(br#""\u0000""#).as_deref(), Some("."));
        // An escaped backslash before `u0000` is text, not a NUL.
        assert_eq!(in_json(br#"{"text":"C:\\u0000"}"#), None);
        assert_eq!(in_json(br#"{"text":"fine"}"#), None);
        assert_eq!(in_query("after=1&x=a%00").as_deref(), Some("x"));
        assert_eq!(in_query("after=1"), None);
        assert_eq!(in_path([("id", "a\0")]).as_deref(), Some("id"));
    }
}
