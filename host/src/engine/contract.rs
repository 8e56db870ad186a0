//! The contract between the host and its plugins, across its versions: which versions this
//! host speaks, the check that a component speaks one of them, and the dispatch of a call to
//! the adapter of the version a plugin was built against.
//!
//! Each version the host speaks is frozen in its own module (`contract/since_v0_1_0.rs`,
//! bindings generated from `plugin-sdk/wit/since_v0.1.0/`), whose adapter turns that
//! version's types into the host's. `plugin-sdk/wit/README.md` says how to add one.

mod since_v0_1_0;

use super::policy::CallTypes;
use super::sandbox::HostState;
use std::fmt;
use wasmtime::component::InstancePre;
use wasmtime::Store;

/// The contract version this host speaks: the WIT package version, whose one source is the
/// SDK (`baton_plugin_sdk::CONTRACT_VERSION`; the SDK's tests check that the WIT file declares
/// it and that its folder is named for it, and this module's tests that the host's newest
/// bindings were generated from it).
pub const HOST_CONTRACT_VERSION: &str = baton_plugin_sdk::CONTRACT_VERSION;

/// A world the host can call in every contract version it speaks (one adapter per version).
pub trait Speaks: since_v0_1_0::Adapter {}

impl<K: since_v0_1_0::Adapter> Speaks for K {}

/// A loaded plugin's exports for world `K`, in the contract version it was built against.
pub(crate) enum Exports<K: Speaks> {
    /// Built against `baton:policy@0.1.x`.
    V0_1_0(since_v0_1_0::Exports<K>),
}

impl<K: Speaks> Exports<K> {
    /// Look up `K`'s export in a linked component. (With one version spoken there is nothing
    /// to choose; at the first bump, the variant follows the version the component exports,
    /// see [`exported_interfaces`].)
    pub fn new(pre: &InstancePre<HostState>) -> wasmtime::Result<Self> {
        Ok(Exports::V0_1_0(since_v0_1_0::Exports::new(pre)?))
    }

    /// Instantiate fresh and run `configure`; `Ok(Err)` is the plugin's own refusal.
    pub async fn configured(
        &self,
        pre: &InstancePre<HostState>,
        store: &mut Store<HostState>,
        config: &str,
    ) -> wasmtime::Result<Result<Configured<K>, String>> {
        match self {
            Exports::V0_1_0(e) => Ok(e
                .configured(pre, store, config)
                .await?
                .map(Configured::V0_1_0)),
        }
    }
}

/// An instance whose `configure` accepted its config, in its contract version.
pub(crate) enum Configured<K: Speaks> {
    /// Built against `baton:policy@0.1.x`.
    V0_1_0(since_v0_1_0::Configured<K>),
}

impl<K: Speaks> Configured<K> {
    /// Call the plugin's decision function with `input`; `Ok(Err)` is the plugin's own error.
    pub async fn call(
        &self,
        store: &mut Store<HostState>,
        input: <K as CallTypes>::Input<'_>,
    ) -> wasmtime::Result<Result<<K as CallTypes>::Output, String>> {
        match self {
            Configured::V0_1_0(c) => c.call(store, input).await,
        }
    }
}

const PACKAGE: &str = "baton:policy";

/// The two kinds of policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    /// Exports `baton:policy/trigger`.
    Trigger,
    /// Exports `baton:policy/routing`.
    Routing,
}

impl World {
    /// The interface name inside the package.
    pub fn interface(self) -> &'static str {
        match self {
            World::Trigger => "trigger",
            World::Routing => "routing",
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.interface())
    }
}

/// A component that does not speak the contract the host needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// Built for an incompatible version.
    #[error("the plugin was built for `{PACKAGE}@{found}`, but this host speaks `{PACKAGE}@{host}`\n  = help: rebuild the plugin against baton-plugin-sdk {host} (or run a host that speaks {found})", host = HOST_CONTRACT_VERSION)]
    Version {
        /// The version the plugin exports.
        found: String,
    },
    /// Exports the other world.
    #[error("the plugin is a {found} policy (it exports `{PACKAGE}/{found}`), but it is named as a {wanted} policy\n  = help: point `[{wanted}] plugin` at a plugin built with `export_{wanted}!`")]
    WrongWorld {
        /// What the tenant file needs.
        wanted: World,
        /// What the plugin is.
        found: World,
    },
    /// Exports no Baton interface at all.
    #[error("the plugin exports no `{PACKAGE}` interface (its exports: {exports})\n  = help: build it with baton-plugin-sdk's `export_trigger!` or `export_routing!`")]
    NotAPolicy {
        /// What it does export.
        exports: String,
    },
}

/// The Baton interfaces a component exports: `(interface, version)`.
pub(crate) fn exported_interfaces(
    engine: &wasmtime::Engine,
    component: &wasmtime::component::Component,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut ours = Vec::new();
    let mut all = Vec::new();
    for (name, _) in component.component_type().exports(engine) {
        all.push(format!("`{name}`"));
        if let Some(rest) = name.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('/')) {
            let (iface, version) = rest.split_once('@').unwrap_or((rest, "unversioned"));
            ours.push((iface.to_string(), version.to_string()));
        }
    }
    (ours, all)
}

/// Whether `version` is compatible with the host's: same major, or for 0.x the same minor.
pub(crate) fn compatible(version: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64)> {
        let mut it = v.split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next()?.parse().ok()?;
        Some((major, minor))
    }
    match (parts(version), parts(HOST_CONTRACT_VERSION)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// Check a component's exports against the world the tenant file needs.
pub(crate) fn check(
    exports: &[(String, String)],
    all: &[String],
    wanted: World,
) -> Result<(), ContractError> {
    if exports.is_empty() {
        return Err(ContractError::NotAPolicy {
            exports: if all.is_empty() {
                "none".into()
            } else {
                all.join(", ")
            },
        });
    }
    if let Some((_, version)) = exports.iter().find(|(_, v)| !compatible(v)) {
        return Err(ContractError::Version {
            found: version.clone(),
        });
    }
    if exports.iter().any(|(i, _)| i == wanted.interface()) {
        return Ok(());
    }
    let found = if exports.iter().any(|(i, _)| i == "routing") {
        World::Routing
    } else {
        World::Trigger
    };
    Err(ContractError::WrongWorld { wanted, found })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_compatibility_follows_semver_for_0x() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.0.0"));
        assert!(!compatible("garbage"));
    }

    /// The SDK's `CONTRACT_VERSION`, the newest adapter's `VERSION` and the folder its
    /// bindings are generated from are one version.
    #[test]
    fn the_newest_bindings_are_the_version_the_sdk_declares() {
        assert_eq!(since_v0_1_0::VERSION, HOST_CONTRACT_VERSION);
        let source = include_str!("contract/since_v0_1_0.rs");
        let path = format!("path: \"../plugin-sdk/wit/since_v{HOST_CONTRACT_VERSION}\",");
        assert!(
            source.contains(&path),
            "the bindings are not generated from `{path}`"
        );
    }

    #[test]
    fn messages_name_both_versions() {
        let e = check(&[("trigger".into(), "1.0.0".into())], &[], World::Trigger).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`baton:policy@1.0.0`") && text.contains("`baton:policy@0.1.0`"),
            "{text}"
        );
    }
}
