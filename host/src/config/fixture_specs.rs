//! `[[trigger.fixtures]]`: labelled conversation files a tenant names for `baton test`, with
//! the scores its trigger policy must reach on them (`min_f1`, `min_precision`,
//! `min_recall`, `max_missed`). Serving never reads them; `baton test` replays them.

use super::diagnostic::{Diagnostic, Span};
use super::schema::RawFixtures;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// One fixtures file and the thresholds its replay must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureSpec {
    /// The file, resolved against the tenant file's folder.
    pub path: PathBuf,
    /// `path` as written, for naming the test.
    pub written: String,
    /// Where `path = ...` is, for pointing a missing or malformed file at it.
    pub path_span: Span,
    /// The whole `[[trigger.fixtures]]` table, for pointing a failed threshold at it.
    pub span: Span,
    /// The least F1 (0 to 1).
    pub min_f1: Option<f64>,
    /// The least precision (0 to 1).
    pub min_precision: Option<f64>,
    /// The least recall (0 to 1).
    pub min_recall: Option<f64>,
    /// The most positives never escalated.
    pub max_missed: Option<usize>,
}

/// Build and check the fixture entries, pushing problems onto `errors`.
pub(crate) fn build(
    file: &Path,
    text: &str,
    base: &Path,
    raw: &[Spanned<RawFixtures>],
    errors: &mut Vec<Diagnostic>,
) -> Vec<FixtureSpec> {
    let mut out = Vec::new();
    for entry in raw {
        let before = errors.len();
        let f = entry.get_ref();
        let written = f.path.get_ref();
        if written.trim().is_empty() {
            errors.push(
                Diagnostic::at_span(file, text, f.path.span(), "`trigger.fixtures.path` is empty")
                    .with_help("name a JSON Lines file of labelled conversations, absolute or relative to this file's folder"),
            );
        }
        let mut share = |v: &Option<Spanned<toml::Value>>, key: &str| {
            let v = v.as_ref()?;
            let n = match v.get_ref() {
                toml::Value::Float(x) => Some(*x),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            match n {
                Some(x) if (0.0..=1.0).contains(&x) => Some(x),
                _ => {
                    let d = Diagnostic::at_span(
                        file,
                        text,
                        v.span(),
                        format!(
                            "`trigger.fixtures.{key}` must be a number from 0 to 1, found `{}`",
                            v.get_ref()
                        ),
                    );
                    errors.push(match n {
                        Some(x) if (1.0..=100.0).contains(&x) => d.with_help(format!(
                            "a score is a share: write `{}` for {x}%",
                            x / 100.0
                        )),
                        _ => d,
                    });
                    None
                }
            }
        };
        let min_f1 = share(&f.min_f1, "min_f1");
        let min_precision = share(&f.min_precision, "min_precision");
        let min_recall = share(&f.min_recall, "min_recall");
        let max_missed = f.max_missed.as_ref().and_then(|m| match *m.get_ref() {
            n @ 0..=1_000_000 => Some(n as usize),
            n => {
                errors.push(Diagnostic::at_span(
                    file,
                    text,
                    m.span(),
                    format!("`trigger.fixtures.max_missed` must be from 0 to 1000000, found `{n}`"),
                ));
                None
            }
        });
        let given = [&f.min_f1, &f.min_precision, &f.min_recall]
            .iter()
            .any(|v| v.is_some())
            || f.max_missed.is_some();
        if !given {
            errors.push(
                Diagnostic::at_span(file, text, entry.span(), "these fixtures check nothing")
                    .with_help("give `min_f1`, `min_precision`, `min_recall` or `max_missed`, e.g. `{ path = \"conversations.jsonl\", min_f1 = 0.8 }`"),
            );
        }
        if errors.len() > before {
            continue;
        }
        let p = Path::new(written);
        out.push(FixtureSpec {
            path: if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            },
            written: written.clone(),
            path_span: f.path.span(),
            span: entry.span(),
            min_f1,
            min_precision,
            min_recall,
            max_missed,
        });
    }
    out
}
