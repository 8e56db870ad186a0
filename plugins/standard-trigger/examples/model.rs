//! The classifier on the held-out templates (`training/gen.rs` marks every fifth
//! template of a file as validation; `build.rs` never trains on them), and on given texts:
//! `cargo run --release -p standard-trigger --example model [-- "some text" ...]`.
#[path = "../training/gen.rs"]
#[allow(dead_code)]
mod gen;

use standard_trigger::classifier::{classify_text, LABELS};

fn main() {
    let texts: Vec<String> = std::env::args().skip(1).collect();
    if !texts.is_empty() {
        for t in texts {
            let g = classify_text(&t);
            println!("{:<16} p {:.2} none {:.2}  {t}", g.label, g.prob, g.none);
        }
        return;
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/training");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("training/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_string();
            (name, std::fs::read_to_string(&p).expect("read"))
        })
        .collect();
    files.sort();
    let slots = files
        .iter()
        .position(|f| f.0 == "slots")
        .map(|i| files.remove(i).1)
        .unwrap_or_default();
    let corpus = gen::expand(&files, &gen::parse_slots(&slots));
    let val: Vec<&gen::Example> = corpus.examples.iter().filter(|e| e.validation).collect();
    let show = std::env::var("SHOW").is_ok();
    println!(
        "{} generated, {} validation (held-out templates)",
        corpus.examples.len(),
        val.len()
    );
    let none = corpus.labels.iter().position(|l| l == "none").unwrap_or(0);
    for t in [0.5f32, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] {
        let (mut tp, mut fp, mut pos, mut right) = (0, 0, 0, 0);
        for e in &val {
            let g = classify_text(&e.text);
            let fires = g.label != "none" && g.prob >= t;
            if e.label != none {
                pos += 1;
            }
            if fires && e.label != none {
                tp += 1;
                right += usize::from(g.label == corpus.labels[e.label]);
            }
            if fires && e.label == none {
                fp += 1;
                if show && t >= 0.85 {
                    println!("  FP {} {:.2}: {}", g.label, g.prob, e.text);
                }
            }
            if !fires && e.label != none && show && (t - 0.85).abs() < 1e-3 {
                println!(
                    "  miss {} ({} {:.2}): {}",
                    corpus.labels[e.label], g.label, g.prob, e.text
                );
            }
        }
        println!(
            "threshold {t:.2}: recall {:.3} precision {:.3} label accuracy {:.3} false alarms {fp} of {} none",
            tp as f32 / pos.max(1) as f32,
            tp as f32 / (tp + fp).max(1) as f32,
            right as f32 / tp.max(1) as f32,
            val.len() - pos
        );
    }
    let _ = LABELS;
}
