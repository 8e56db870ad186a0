//! Small text helpers shared by policies and the host: here because every part of Baton may
//! import the SDK, and the host's own leaf modules (`engine`, `config`, `store`) may import
//! nothing else from the host.

/// How many characters of an offending input an error message quotes.
pub const QUOTE_CHARS: usize = 60;

/// The first `max_chars` characters of `s` (never splits a character). For quoting
/// untrusted input in an error message or a log line at a bounded length.
///
/// ```
/// assert_eq!(baton_plugin_sdk::text::clip("héllo", 2), "hé");
/// assert_eq!(baton_plugin_sdk::text::clip("hi", 60), "hi");
/// ```
pub fn clip(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}
