//! Setting up a host to load: a policies folder (the demo tenants, or N generated tenants
//! sharing three plugins) and one channel key per tenant, written to a keys file in the
//! `NAME=secret` form of `baton-data/demo-keys.env`.

use crate::store::{new_key, KeyRole, KeyRow, SharedStore};
use std::fmt::Write as _;
use std::path::Path;

/// The plugins the demo tenants and the generated tenants name.
pub const PLUGINS: &[&str] = &["standard-trigger", "skills-router", "keyword-trigger"];

/// Write `n` tenant files `t00000.toml`, `t00001.toml`, ... into `dir` from `template` (a
/// tenant file whose business is "Acme Plumbing", e.g. `policies/acme-plumbing.toml`). They
/// share three plugins: the template's trigger and router for all, and for a third of them
/// `plugins/keyword-trigger.wasm` as `[shadow]`. Also used by `benches/tenants.rs`.
pub fn write_many_tenants(template: &str, dir: &Path, n: usize) -> std::io::Result<()> {
    for i in 0..n {
        let mut text = unlimited(&template.replace("Acme Plumbing", &format!("Plumber {i}")));
        if i % 3 == 1 {
            text.push_str("\n[shadow]\nplugin = \"plugins/keyword-trigger.wasm\"\n[shadow.config]\nwords = [\"manager\"]\n");
        }
        std::fs::write(dir.join(format!("t{i:05}.toml")), text)?;
    }
    Ok(())
}

/// A tenant file without the per-key rate limit (`[limits] messages_per_minute = 0`): a
/// load run measures the host, and one key posts far more than a channel's default quota.
pub fn unlimited(tenant_toml: &str) -> String {
    let lifted = "messages_per_minute = 0 # lifted by `baton load prepare`\n";
    let kept: String = tenant_toml
        .lines()
        .filter(|l| !l.trim_start().starts_with("messages_per_minute"))
        .map(|l| format!("{l}\n"))
        .collect();
    match kept.find("[limits]\n") {
        Some(i) => {
            let at = i + "[limits]\n".len();
            format!("{}{lifted}{}", &kept[..at], &kept[at..])
        }
        None => format!("{kept}\n[limits]\n{lifted}"),
    }
}

/// Copy [`PLUGINS`] from `from` (a `plugins` folder) into `to`.
pub fn copy_plugins(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for name in PLUGINS {
        let file = format!("{name}.wasm");
        std::fs::copy(from.join(&file), to.join(&file)).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "{}: {e} (run scripts/build-plugins)",
                    from.join(&file).display()
                ),
            )
        })?;
    }
    Ok(())
}

/// The variable name of a tenant's channel key: `acme-plumbing` → `ACME_PLUMBING_CHANNEL_KEY`.
pub fn key_name(tenant: &str) -> String {
    let upper: String = tenant
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{upper}_CHANNEL_KEY")
}

/// Create a channel key for each of `tenants` in `store` and return the keys file's text.
/// Keys are stored concurrently, so group commit makes thousands of them one fsync per batch.
pub async fn channel_keys(store: &SharedStore, tenants: &[String]) -> anyhow::Result<String> {
    let mut text = String::from("# Channel keys for `baton load --keys` (one per tenant).\n");
    for chunk in tenants.chunks(500) {
        let made: Vec<_> = chunk.iter().map(|t| (t.clone(), new_key())).collect();
        let inserts = made.iter().map(|(tenant, key)| {
            store.insert_key(KeyRow {
                id: key.id.clone(),
                hash: key.hash.clone(),
                tenant: Some(tenant.clone()),
                role: KeyRole::Channel,
                agent_id: None,
                created_ms: jiff::Timestamp::now().as_millisecond(),
                revoked_ms: None,
                expires_ms: None,
            })
        });
        for r in futures_util::future::join_all(inserts).await {
            r?;
        }
        for (tenant, key) in made {
            let _ = writeln!(text, "{}={}", key_name(&tenant), key.secret);
        }
    }
    Ok(text)
}

/// The channel keys in a keys file: every `NAME_CHANNEL_KEY=secret` line (others, such as
/// agent keys, are skipped).
pub fn read_channel_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .filter(|(name, _)| name.trim().ends_with("_CHANNEL_KEY"))
        .map(|(_, secret)| secret.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_tenants_lift_the_per_key_rate_limit() {
        let with = "name = \"A\"\n[limits]\nmessages_per_minute = 5\ndeadline_ms = 20\n";
        assert_eq!(
            unlimited(with),
            "name = \"A\"\n[limits]\nmessages_per_minute = 0 # lifted by `baton load prepare`\ndeadline_ms = 20\n"
        );
        let without = unlimited("name = \"A\"\n");
        assert!(without
            .ends_with("[limits]\nmessages_per_minute = 0 # lifted by `baton load prepare`\n"));
    }

    #[test]
    fn keys_files_give_their_channel_keys() {
        let text =
            "# demo\nACME_CHANNEL_KEY=bk_a\nACME_SAM_KEY=bk_s\nHVAC_CHANNEL_KEY=\"bk_h\"\n\n";
        assert_eq!(read_channel_keys(text), vec!["bk_a", "bk_h"]);
        assert_eq!(key_name("acme-plumbing"), "ACME_PLUMBING_CHANNEL_KEY");
    }

    #[test]
    fn many_tenants_share_three_plugins() {
        let dir = tempfile::tempdir().unwrap();
        write_many_tenants("name = \"Acme Plumbing\"\n", dir.path(), 4).unwrap();
        let one = std::fs::read_to_string(dir.path().join("t00001.toml")).unwrap();
        assert!(one.contains("Plumber 1") && one.contains("[shadow]"));
        let two = std::fs::read_to_string(dir.path().join("t00002.toml")).unwrap();
        assert!(!two.contains("[shadow]"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    }
}
