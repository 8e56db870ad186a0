//! What a policy project needs from this `baton`, carried in the binary: the stock plugins
//! (`standard-trigger`, `skills-router`, embedded by `host/build.rs` from a build of this
//! repository), the WIT contract (from `baton-plugin-sdk`) and the Rust SDK's source, so
//! `baton new policy --lang rust` works with no checkout of this repository.

/// One stock plugin: its file name and its component bytes.
#[derive(Debug, Clone, Copy)]
pub struct StockPlugin {
    /// `standard-trigger.wasm` or `skills-router.wasm`.
    pub file_name: &'static str,
    /// The component.
    pub bytes: &'static [u8],
}

/// The stock plugins this binary carries, or why it carries none.
pub fn plugins() -> Result<[StockPlugin; 2], NotEmbedded> {
    #[cfg(baton_stock_plugins)]
    {
        Ok([
            StockPlugin {
                file_name: "standard-trigger.wasm",
                bytes: include_bytes!(concat!(env!("OUT_DIR"), "/standard-trigger.wasm")),
            },
            StockPlugin {
                file_name: "skills-router.wasm",
                bytes: include_bytes!(concat!(env!("OUT_DIR"), "/skills-router.wasm")),
            },
        ])
    }
    #[cfg(not(baton_stock_plugins))]
    {
        Err(NotEmbedded)
    }
}

/// The WIT contract (`baton:policy@0.1.0`).
pub const WIT: &str = baton_plugin_sdk::WIT;

/// This `baton` was built without the stock plugins.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("this `baton` was built without the stock plugins: build them with `scripts/build-plugins` and rebuild, or install with `scripts/install` from the repository")]
pub struct NotEmbedded;

/// The Rust SDK's files (`baton-plugin-sdk`), as `(path in the crate, text)`; its
/// `Cargo.toml` is [`sdk_manifest`].
pub const SDK_FILES: &[(&str, &str)] = &[
    (
        "src/config.rs",
        include_str!("../../plugin-sdk/src/config.rs"),
    ),
    (
        "src/export.rs",
        include_str!("../../plugin-sdk/src/export.rs"),
    ),
    (
        "src/fixtures.rs",
        include_str!("../../plugin-sdk/src/fixtures.rs"),
    ),
    (
        "src/fixtures/format.rs",
        include_str!("../../plugin-sdk/src/fixtures/format.rs"),
    ),
    (
        "src/fixtures/score.rs",
        include_str!("../../plugin-sdk/src/fixtures/score.rs"),
    ),
    (
        "src/guest.rs",
        include_str!("../../plugin-sdk/src/guest.rs"),
    ),
    ("src/lib.rs", include_str!("../../plugin-sdk/src/lib.rs")),
    (
        "src/routing.rs",
        include_str!("../../plugin-sdk/src/routing.rs"),
    ),
    (
        "src/segment.rs",
        include_str!("../../plugin-sdk/src/segment.rs"),
    ),
    ("src/text.rs", include_str!("../../plugin-sdk/src/text.rs")),
    (
        "src/trigger.rs",
        include_str!("../../plugin-sdk/src/trigger.rs"),
    ),
    (
        "src/types.rs",
        include_str!("../../plugin-sdk/src/types.rs"),
    ),
    (
        "wit/README.md",
        include_str!("../../plugin-sdk/wit/README.md"),
    ),
    (
        "wit/since_v0.1.0/policy.wit",
        include_str!("../../plugin-sdk/wit/since_v0.1.0/policy.wit"),
    ),
];

const SDK_MANIFEST: &str = include_str!("../../plugin-sdk/Cargo.toml");
const WORKSPACE_MANIFEST: &str = include_str!("../../Cargo.toml");

/// The SDK's `Cargo.toml` standing on its own: every `workspace = true` key replaced by the
/// workspace's value, so the crate builds inside any project.
pub fn sdk_manifest() -> Result<String, toml::de::Error> {
    let mut sdk: toml::Table = toml::from_str(SDK_MANIFEST)?;
    let workspace: toml::Table = toml::from_str(WORKSPACE_MANIFEST)?;
    let ws = workspace.get("workspace").and_then(|w| w.as_table());
    let section = |name: &str| {
        ws.and_then(|w| w.get(name))
            .and_then(|t| t.as_table())
            .cloned()
            .unwrap_or_default()
    };
    let (package, dependencies) = (section("package"), section("dependencies"));
    if let Some(p) = sdk.get_mut("package").and_then(|p| p.as_table_mut()) {
        for (key, value) in p.iter_mut() {
            if inherits(value) {
                if let Some(v) = package.get(key) {
                    *value = v.clone();
                }
            }
        }
    }
    if let Some(d) = sdk.get_mut("dependencies").and_then(|d| d.as_table_mut()) {
        resolve(d, &dependencies);
    }
    if let Some(targets) = sdk.get_mut("target").and_then(|t| t.as_table_mut()) {
        for (_, target) in targets.iter_mut() {
            if let Some(d) = target
                .get_mut("dependencies")
                .and_then(|d| d.as_table_mut())
            {
                resolve(d, &dependencies);
            }
        }
    }
    Ok(format!(
        "# baton-plugin-sdk, written by `baton new policy` from the SDK this `baton` carries.\n{}",
        toml::to_string(&sdk).unwrap_or_default()
    ))
}

/// Replace each `name = { workspace = true, ... }` of `table` by the workspace's entry,
/// keeping the keys beside `workspace` (`optional`, `features`).
fn resolve(table: &mut toml::Table, workspace: &toml::Table) {
    for (name, value) in table.iter_mut() {
        if !inherits(value) {
            continue;
        }
        let mut resolved = match workspace.get(name) {
            Some(toml::Value::String(v)) => {
                toml::Table::from_iter([("version".to_string(), toml::Value::from(v.as_str()))])
            }
            Some(toml::Value::Table(t)) => t.clone(),
            _ => continue,
        };
        for (k, v) in value.as_table().into_iter().flatten() {
            if k != "workspace" {
                resolved.insert(k.clone(), v.clone());
            }
        }
        *value = toml::Value::Table(resolved);
    }
}

fn inherits(value: &toml::Value) -> bool {
    value
        .as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(|w| w.as_bool())
        == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `plugin-sdk/src` and `plugin-sdk/wit` is carried: a new SDK module must
    /// be added to [`SDK_FILES`].
    #[test]
    fn every_sdk_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-sdk");
        let mut on_disk = Vec::new();
        let mut stack = vec![root.join("src"), root.join("wit")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(&root).unwrap();
                    on_disk.push(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let embedded: Vec<String> = SDK_FILES.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn the_sdk_manifest_stands_alone() {
        let text = sdk_manifest().unwrap();
        assert!(!text.contains("workspace"), "{text}");
        let t: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(t["package"]["name"].as_str(), Some("baton-plugin-sdk"));
        assert_eq!(t["package"]["edition"].as_str(), Some("2021"));
        assert_eq!(t["dependencies"]["serde"]["version"].as_str(), Some("1"));
        assert_eq!(
            t["dependencies"]["jiff"]["optional"].as_bool(),
            Some(true),
            "keys beside the version stay"
        );
        assert_eq!(
            t["target"]["cfg(target_arch = \"wasm32\")"]["dependencies"]["wit-bindgen"]["version"]
                .as_str(),
            Some("0.46")
        );
    }
}
