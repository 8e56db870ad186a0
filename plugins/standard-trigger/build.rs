//! Generates the static tables of the policy at compile time, so that `new` builds
//! nothing at run time:
//!
//! * `lexicon/*.txt` → `PHRASES` (sorted by first word, for a binary-search scan) and
//!   `PREFIX_PHRASES`, one cue class per file;
//! * `training/*.txt` (templates) and `training/slots.txt` → the logistic-regression
//!   weights of `src/classifier.rs`, one label per file (`training/gen.rs`, `training/train.rs`).

#[path = "training/fixtures.rs"]
mod fixtures;
#[path = "src/fold.rs"]
#[allow(dead_code)]
mod fold;
#[path = "training/gen.rs"]
#[allow(dead_code)]
mod gen;
#[path = "training/train.rs"]
mod train;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    println!("cargo:rerun-if-changed=lexicon");
    println!("cargo:rerun-if-changed=training");
    println!("cargo:rerun-if-changed=tests/fixtures");
    println!("cargo:rerun-if-changed=src/fold.rs");
    let lexicon = lexicon(Path::new(&dir).join("lexicon").as_path());
    fs::write(Path::new(&out).join("lexicon_gen.rs"), lexicon).expect("write lexicon_gen.rs");
    let weights = classifier(Path::new(&dir).join("training").as_path(), Path::new(&out));
    fs::write(Path::new(&out).join("classifier_gen.rs"), weights).expect("write classifier_gen.rs");
}

fn txt_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let text = fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, text)
        })
        .collect()
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn lexicon(dir: &Path) -> String {
    let files = txt_files(dir);
    let mut exact: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut prefix: Vec<(String, Vec<String>, usize)> = Vec::new();
    let mut seen = BTreeSet::new();
    for (class, (name, text)) in files.iter().enumerate() {
        for line in lines(text) {
            let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            for w in &words {
                let core = w.trim_end_matches('*');
                assert!(
                    w == "~" || (!core.is_empty() && core.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                    "lexicon/{name}.txt: `{line}`: write words folded (lowercase ASCII, no accents or apostrophes)"
                );
            }
            assert!(
                words[0] != "~",
                "lexicon/{name}.txt: `{line}` starts with `~`"
            );
            if !seen.insert((class, line.to_string())) {
                continue;
            }
            let first = words[0].clone();
            let rest = words[1..].to_vec();
            if first.ends_with('*') {
                prefix.push((first.trim_end_matches('*').to_string(), rest, class));
            } else {
                exact.push((first, rest, class));
            }
        }
    }
    exact.sort();
    let mut s = String::new();
    writeln!(s, "/// Number of cue classes (one per `lexicon/*.txt`).").ok();
    writeln!(s, "pub const CLASS_COUNT: usize = {};", files.len()).ok();
    writeln!(s, "/// Cue class ids, named after their lexicon files.").ok();
    writeln!(s, "#[allow(dead_code)]\npub mod class {{").ok();
    for (i, (name, _)) in files.iter().enumerate() {
        writeln!(
            s,
            "    /// `lexicon/{name}.txt`\n    pub const {}: u8 = {i};",
            name.to_uppercase()
        )
        .ok();
    }
    writeln!(s, "}}").ok();
    writeln!(
        s,
        "/// Cue class names, by id.\npub static CLASS_NAMES: [&str; {}] = {:?};",
        files.len(),
        files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>()
    )
    .ok();
    let emit = |s: &mut String, name: &str, v: &[(String, Vec<String>, usize)]| {
        writeln!(
            s,
            "/// Generated phrases.\npub static {name}: [Phrase; {}] = [",
            v.len()
        )
        .ok();
        for (first, rest, class) in v {
            writeln!(
                s,
                "    Phrase {{ first: {first:?}, rest: &{rest:?}, class: {class} }},"
            )
            .ok();
        }
        writeln!(s, "];").ok();
    };
    prefix.sort();
    emit(&mut s, "PHRASES", &exact);
    emit(&mut s, "PREFIX_PHRASES", &prefix);
    index(&mut s, "PHRASE_INDEX", &exact);
    index(&mut s, "PREFIX_INDEX", &prefix);
    let longest = prefix.iter().map(|p| p.0.len()).max().unwrap_or(0);
    writeln!(
        s,
        "/// Longest prefix in `PREFIX_PHRASES`.\npub const LONGEST_PREFIX: usize = {longest};"
    )
    .ok();
    s
}

/// An open-addressing hash index (FNV-1a of the first word → the run of phrases that
/// start with it, contiguous because the phrases are sorted), so the scan does one or
/// two probes per word instead of a binary search over strings.
fn index(s: &mut String, name: &str, v: &[(String, Vec<String>, usize)]) {
    let mut runs: Vec<(u64, usize, usize)> = Vec::new();
    for (i, (first, _, _)) in v.iter().enumerate() {
        match runs.last_mut() {
            Some(r) if v[r.1].0 == *first => r.2 += 1,
            _ => runs.push((fold::fnv1a(&[first]), i, 1)),
        }
    }
    let size = (runs.len() * 3).next_power_of_two().max(2);
    let mut table = vec![(0u64, 0u16, 0u16); size];
    for (h, start, len) in runs {
        let mut i = (h as usize) & (size - 1);
        while table[i].2 != 0 {
            i = (i + 1) & (size - 1);
        }
        table[i] = (h, start as u16, len as u16);
    }
    writeln!(
        s,
        "/// Hash index over `{}` (hash, first phrase, run length; length 0 = empty).\npub static {name}: [(u64, u16, u16); {size}] = {table:?};",
        name.trim_end_matches("_INDEX")
    )
    .ok();
}

/// Expand the templates of `training/` and train the classifier on them: writes the
/// quantised weights to `classifier_weights.bin` and the labels, biases and scale as Rust.
fn classifier(dir: &Path, out: &Path) -> String {
    let mut files = txt_files(dir);
    let slots_text = files
        .iter()
        .position(|f| f.0 == "slots")
        .map(|i| files.remove(i).1)
        .unwrap_or_default();
    let slots = gen::parse_slots(&slots_text);
    let mut corpus = gen::expand(&files, &slots);
    fixtures::add(&mut corpus, &dir.join("../tests/fixtures"));
    let model = train::train(&corpus);
    fs::write(
        out.join("classifier_weights.bin"),
        model.weights.iter().map(|w| *w as u8).collect::<Vec<u8>>(),
    )
    .expect("write classifier_weights.bin");
    let k = corpus.labels.len();
    let mut s = String::new();
    writeln!(s, "/// Classifier labels (one per `training/*.txt` but `slots.txt`).\npub static LABELS: [&str; {k}] = {:?};", corpus.labels).ok();
    writeln!(
        s,
        "/// Number of labels.\npub const LABEL_COUNT: usize = {k};"
    )
    .ok();
    writeln!(
        s,
        "/// Bias (logit) per label.\npub static BIAS: [f32; {k}] = {:?};",
        model.bias
    )
    .ok();
    writeln!(
        s,
        "/// A quantised weight sum divided by this is a logit.\npub const SCALE: f32 = {:?};",
        model.scale
    )
    .ok();
    writeln!(s, "/// Messages generated from the templates ({} for training, the rest held out).\npub const CORPUS_SIZE: usize = {};", model.trained_on, corpus.examples.len()).ok();
    writeln!(s, "/// Weights, `[bucket * LABEL_COUNT + label]`, as `i8`.\nstatic WEIGHTS: &[u8; {}] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/classifier_weights.bin\"));", model.weights.len()).ok();
    s
}
