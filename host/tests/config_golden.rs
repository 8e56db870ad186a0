//! Golden tests for tenant file errors: each `tests/golden/config/*.toml` must fail to load
//! with exactly the message in the `.expected` file beside it.
//!
//! Run with `BLESS=1` to rewrite the `.expected` files from the current output.

use std::fs;
use std::path::{Path, PathBuf};

const DIR: &str = "tests/golden/config";

fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(DIR)
        .expect("golden folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    out
}

fn rendered(path: &Path) -> String {
    match baton::config::load_file(path) {
        Ok(_) => "(loaded without error)\n".to_string(),
        Err(d) => format!("{d}\n"),
    }
}

#[test]
fn golden_config_errors() {
    let bless = std::env::var("BLESS").is_ok_and(|v| v == "1");
    let cases = cases();
    assert!(cases.len() >= 12, "only {} golden cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = rendered(case);
        let expected_path = case.with_extension("expected");
        if bless {
            fs::write(&expected_path, &got).expect("write expected");
            continue;
        }
        let want = fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- expected ({})\n{want}--- got\n{got}",
                case.display(),
                expected_path.display()
            ));
        }
    }
    // Every expected file has its case.
    for e in fs::read_dir(DIR)
        .expect("golden folder")
        .filter_map(|e| e.ok())
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "expected") && !p.with_extension("toml").exists() {
            failures.push(format!("{} has no .toml beside it", p.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatches (run with BLESS=1 to accept):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn good_example_loads() {
    let path = Path::new(DIR).join("good/acme-plumbing.toml");
    if let Err(d) = baton::config::load_file(&path) {
        panic!("{d}");
    }
}
