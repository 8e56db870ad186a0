//! The host's layout as the README describes it: the module table lists exactly the
//! top-level modules of `host/src/`, and every `crate::` import points down that table
//! (`engine`, `config` and `store` importing nothing else from the crate).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules of the README's table, top to bottom.
fn readme_modules() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let start = readme
        .find("| module (`host/src/`) | holds |")
        .expect("the README has its module table");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.split('`')
                .nth(1)
                .expect("a row names its module")
                .to_string()
        })
        .collect()
}

/// The top-level modules (`host/src/<name>.rs`, but the crate's roots).
fn source_modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let m = name.strip_suffix(".rs")?.to_string();
            (m != "lib" && m != "main").then_some(m)
        })
        .collect()
}

/// Every `.rs` file of module `m` (its root file and its folder).
fn files_of(m: &str) -> Vec<PathBuf> {
    let mut files = vec![src().join(format!("{m}.rs"))];
    let mut dirs = vec![src().join(m)];
    while let Some(d) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files
}

/// The other top-level modules `m` names as `crate::<module>`.
fn imports_of(m: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for f in files_of(m) {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != m && modules.contains(&name) {
                used.insert(name);
            }
        }
    }
    used
}

#[test]
fn the_readme_module_table_lists_every_module_once() {
    let table = readme_modules();
    let listed: BTreeSet<String> = table.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        table.len(),
        "a module is listed twice: {table:?}"
    );
    assert_eq!(
        listed,
        source_modules(),
        "the README's module table and host/src/ disagree"
    );
}

#[test]
fn every_import_points_down_the_module_table() {
    let table = readme_modules();
    let modules: BTreeSet<String> = table.iter().cloned().collect();
    let mut upward = Vec::new();
    for (i, m) in table.iter().enumerate() {
        for used in imports_of(m, &modules) {
            let j = table.iter().position(|t| *t == used).unwrap();
            if j < i {
                upward.push(format!("{m} -> {used}"));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that point up the README's table: {upward:?}"
    );
    for foundation in ["engine", "config", "store"] {
        let used = imports_of(foundation, &modules);
        assert!(used.is_empty(), "{foundation} imports {used:?}");
    }
}
