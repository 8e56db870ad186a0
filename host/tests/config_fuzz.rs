//! Random input never panics the tenant file parser.

use proptest::prelude::*;
use std::path::Path;

const GOOD: &str = include_str!("golden/config/good/acme-plumbing.toml");

fn parse(text: &str) {
    let result = baton::config::parse_str("fuzz", Path::new("policies/fuzz.toml"), text);
    if let Err(d) = result {
        // Rendering must not panic either, and never be empty.
        assert!(!d.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(text in any::<String>()) {
        parse(&text);
    }

    #[test]
    fn tomlish_text_never_panics(text in r#"([a-z_\[\]\.=" ,{}0-9:\-\n#\t'é]|queues|agents|hours|trigger|plugin|notices|\{business\}){0,200}"#) {
        parse(&text);
    }

    #[test]
    fn mangled_good_file_never_panics(cut in 0usize..GOOD.len(), len in 0usize..40, insert in ".{0,8}") {
        let mut text = GOOD.to_string();
        let start = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(start..end, &insert);
        parse(&text);
    }
}
