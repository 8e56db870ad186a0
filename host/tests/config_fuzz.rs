//! Random input never panics the tenant file parser, and every refusal is a clear error: it
//! names the file, points at a line that exists, and, when one key's value was changed to
//! the wrong kind of value, names that key.

use baton::config::Diagnostics;
use proptest::prelude::*;
use std::path::Path;

const GOOD: &str = include_str!("golden/config/good/acme-plumbing.toml");
const FILE: &str = "policies/fuzz.toml";

/// Every diagnostic names `file` and, when it points into the text, a line the text has.
fn check_diagnostics(d: &Diagnostics, file: &Path, text: &str) {
    assert!(!d.is_empty(), "an error with no diagnostic");
    let rendered = d.to_string();
    assert!(!rendered.is_empty());
    let lines = text.lines().count().max(1);
    for diag in d.iter() {
        assert_eq!(diag.file, file, "{rendered}");
        assert!(!diag.message.is_empty(), "{rendered}");
        if let Some(at) = &diag.location {
            assert!(
                at.line >= 1 && at.line <= lines + 1,
                "line {} of a {lines}-line file: {rendered}",
                at.line
            );
            assert!(
                rendered.contains(&format!("{}:{}:", file.display(), at.line)),
                "{rendered}"
            );
        }
    }
}

fn parse(text: &str) -> Result<(), Diagnostics> {
    let file = Path::new(FILE);
    let result = baton::config::parse_str("fuzz", file, text);
    if let Err(d) = &result {
        check_diagnostics(d, file, text);
    }
    result.map(|_| ())
}

/// Every key path to a leaf value of `table` (arrays of tables by index).
fn leaves(prefix: &[String], value: &toml::Value, out: &mut Vec<Vec<String>>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let mut p = prefix.to_vec();
                p.push(k.clone());
                leaves(&p, v, out);
            }
        }
        toml::Value::Array(items) if items.iter().all(|i| i.is_table()) && !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                let mut p = prefix.to_vec();
                p.push(i.to_string());
                leaves(&p, v, out);
            }
        }
        _ => out.push(prefix.to_vec()),
    }
}

fn slot<'a>(root: &'a mut toml::Value, path: &[String]) -> &'a mut toml::Value {
    path.iter().fold(root, |v, k| match v {
        toml::Value::Table(t) => t.get_mut(k).unwrap(),
        toml::Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => unreachable!(),
    })
}

/// A value of a different kind than `old`.
fn other_kind(old: &toml::Value, pick: u8) -> toml::Value {
    let choices = [
        toml::Value::Integer(-7),
        toml::Value::String("not-what-you-want".into()),
        toml::Value::Boolean(true),
        toml::Value::Float(1.5),
        toml::Value::Array(vec![toml::Value::Integer(1)]),
    ];
    choices
        .iter()
        .cycle()
        .skip(pick as usize % choices.len())
        .find(|c| c.type_str() != old.type_str())
        .unwrap()
        .clone()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn tomlish_text_never_panics(text in r#"([a-z_\[\]\.=" ,{}0-9:\-\n#\t'é]|queues|agents|hours|trigger|plugin|notices|\{business\}){0,200}"#) {
        let _ = parse(&text);
    }

    #[test]
    fn mangled_good_file_never_panics(cut in 0usize..GOOD.len(), len in 0usize..40, insert in ".{0,8}") {
        let mut text = GOOD.to_string();
        let start = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(start..end, &insert);
        let _ = parse(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The file as read from disk: any bytes (not UTF-8 included) give a config or errors
    /// that name the file.
    #[test]
    fn arbitrary_bytes_from_a_file_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fuzz.toml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(d) = baton::config::load_file(&path) {
            check_diagnostics(&d, &path, &String::from_utf8_lossy(&bytes));
        }
    }

    /// One key's value replaced by a value of another kind: a config (the key takes both)
    /// or an error that names that key, in its message or on the line it points at.
    #[test]
    fn a_value_of_the_wrong_kind_is_refused_naming_its_key(which in any::<prop::sample::Index>(), pick in any::<u8>()) {
        let mut doc: toml::Value = toml::from_str(GOOD).unwrap();
        let mut all = Vec::new();
        leaves(&[], &doc, &mut all);
        let path = which.get(&all).clone();
        let target = slot(&mut doc, &path);
        *target = other_kind(target, pick);
        let text = toml::to_string(&doc).unwrap();
        if let Err(d) = parse(&text) {
            let key = path.iter().rev().find(|k| k.parse::<usize>().is_err()).unwrap();
            let named = d.iter().any(|diag| {
                diag.message.contains(key.as_str())
                    || diag.location.as_ref().is_some_and(|at| at.source_line.contains(key.as_str()))
            });
            prop_assert!(named, "changed `{}`, but no error names it:\n{}", path.join("."), d);
        }
    }
}
