//! Embeds the stock plugins (`standard-trigger`, `skills-router`) in the `baton` binary, so
//! `baton new policy` can write them into a project made in an empty folder.
//!
//! They are built by `scripts/build-plugins` into `policies/plugins/` (gitignored), or taken
//! from `$BATON_STOCK_PLUGINS` (a folder). A clean clone still builds for development and
//! tests (`cargo check`, `cargo test`): the binary then says, when asked for them, how to get
//! a complete `baton`. A release build (`cargo install --path host`, `scripts/install`)
//! refuses to build without them, so the documented install never ships an incomplete
//! `baton`; set `BATON_ALLOW_NO_STOCK_PLUGINS=1` to build one anyway.

use std::path::PathBuf;

const STOCK: [&str; 2] = ["standard-trigger", "skills-router"];

fn main() {
    println!("cargo:rerun-if-env-changed=BATON_STOCK_PLUGINS");
    println!("cargo:rerun-if-env-changed=BATON_ALLOW_NO_STOCK_PLUGINS");
    println!("cargo::rustc-check-cfg=cfg(baton_stock_plugins)");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = std::env::var_os("BATON_STOCK_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../policies/plugins"));
    // Watch the folder too, so a first `scripts/build-plugins` after a build re-embeds.
    println!("cargo:rerun-if-changed={}", dir.display());
    let files: Vec<PathBuf> = STOCK
        .iter()
        .map(|p| dir.join(format!("{p}.wasm")))
        .collect();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !f.is_file())
        .map(|f| f.display().to_string())
        .collect();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    if missing.is_empty() {
        for (name, f) in STOCK.iter().zip(&files) {
            std::fs::copy(f, out.join(format!("{name}.wasm"))).expect("copy a stock plugin");
        }
        println!("cargo:rustc-cfg=baton_stock_plugins");
        return;
    }
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let allowed = std::env::var("BATON_ALLOW_NO_STOCK_PLUGINS").is_ok_and(|v| v == "1");
    if release && !allowed {
        panic!(
            "the stock plugins are not built ({}): run `scripts/build-plugins` first, or \
             install with `scripts/install`, which does both (BATON_ALLOW_NO_STOCK_PLUGINS=1 \
             builds a `baton` whose `baton new policy` cannot write them)",
            missing.join(", ")
        );
    }
    println!(
        "cargo:warning=building `baton` without the stock plugins (not found: {}); run scripts/build-plugins for a complete `baton`",
        missing.join(", ")
    );
}
