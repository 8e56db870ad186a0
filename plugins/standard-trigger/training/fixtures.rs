//! Real customer messages for the classifier from our own tuning fixtures
//! (`tests/fixtures/held_out*.jsonl`, included by `build.rs`): every message of a
//! conversation that should not escalate, and every message before the labelled one of one
//! that should, is `none`; the labelled message is its reason (when the model has that
//! label). The fresh batches are never read: they are validation.

use crate::gen::{Corpus, Example};
use std::fs;
use std::path::Path;

/// Add the labelled messages of `dir/held_out*.jsonl` to `corpus` (training split).
pub fn add(corpus: &mut Corpus, dir: &Path) {
    let none = corpus.labels.iter().position(|l| l == "none");
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_else(|_| Vec::new());
    files.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("held_out") && n.ends_with(".jsonl"))
    });
    files.sort();
    for path in files {
        let text = fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let at = v["expect"]["at_message"].as_u64().map(|a| a as usize);
            let reason = v["expect"]["reason"].as_str().unwrap_or("");
            let messages = v["messages"].as_array().cloned().unwrap_or_default();
            for (i, m) in messages.iter().enumerate() {
                if m["role"].as_str() != Some("customer") {
                    continue;
                }
                let label = match at {
                    None => none,
                    Some(a) if i < a => none,
                    Some(a) if i == a => corpus.labels.iter().position(|l| l == reason),
                    _ => None,
                };
                if let (Some(label), Some(text)) = (label, m["text"].as_str()) {
                    corpus.examples.push(Example {
                        text: text.to_string(),
                        label,
                        validation: false,
                    });
                }
            }
        }
    }
}
