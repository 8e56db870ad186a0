//! Shared test support: real plugins built from `plugins/`, an engine, conversations.

use baton::engine::{Engine, EngineOptions, Limits, PluginLabel, TriggerPlugin};
use baton_plugin_sdk::{Clock, Conversation, Customer, Message, Role};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Build every plugin once per test run (cargo makes this a no-op when up to date) and
/// return the path of `name`'s component.
pub fn plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let status = std::process::Command::new(env!("CARGO"))
            .current_dir(root())
            .args([
                "build",
                "--quiet",
                "--target",
                "wasm32-wasip2",
                "--profile",
                "plugin",
                "-p",
                "standard-trigger",
                "-p",
                "skills-router",
                "-p",
                "chaos",
                "-p",
                "keyword-trigger",
            ])
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("building the plugins failed: {status}"))
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let path = target
        .join("wasm32-wasip2/plugin")
        .join(format!("{}.wasm", name.replace('-', "_")));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// One engine per test binary, as one per host.
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Engine::new(EngineOptions {
                max_instances: 64,
                ..EngineOptions::default()
            })
            .expect("engine")
        })
        .clone()
}

/// Limits with a deadline generous enough for an unoptimised test build on a busy 2-core
/// CI machine (the chaos plugin's allocation loop must reach the memory cap before it).
pub fn limits() -> Limits {
    Limits {
        memory_bytes: 16 << 20,
        deadline: Duration::from_millis(1000),
    }
}

/// Load `plugin` as a tenant's trigger with `config` (JSON).
pub async fn trigger(tenant: &str, plugin_name: &str, config: &str) -> TriggerPlugin {
    let path = plugin(plugin_name);
    engine()
        .load_trigger(
            &path,
            config,
            limits(),
            PluginLabel::new(tenant, plugin_name),
        )
        .await
        .unwrap_or_else(|e| panic!("loading {plugin_name}: {e}"))
}

/// A conversation of customer and bot turns.
pub fn conversation(turns: &[(&str, &str)]) -> Conversation {
    Conversation {
        id: "c-1".into(),
        channel: "sms".into(),
        customer: Customer {
            name: "Dana Ruiz".into(),
            ..Customer::default()
        },
        messages: turns
            .iter()
            .enumerate()
            .map(|(i, (role, text))| Message {
                role: match *role {
                    "bot" => Role::Bot,
                    _ => Role::Customer,
                },
                text: text.to_string(),
                at_ms: 1_770_000_000_000 + i as i64 * 60_000,
                intent: (*role == "bot").then(|| "faq".to_string()),
                confidence: (*role == "bot").then_some(0.9),
            })
            .collect(),
        clock: Clock::default(),
    }
}
