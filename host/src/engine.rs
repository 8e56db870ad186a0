//! The sandbox: compiles policy plugins once, runs every decision in a fresh, isolated
//! instance under the tenant's memory cap and deadline, and turns any misbehaviour into the
//! safe decision plus a recorded [`Fault`].
//!
//! Nothing a plugin does can reach the host's files, environment or network: its WASI
//! context grants none of them. What it prints is captured (capped) and logged with its
//! tenant and plugin.

mod cache;
mod contract;
mod fault;
mod policy;
mod quarantine;
mod reuse;
mod routing;
mod sandbox;
mod trigger;
mod turns;
mod wasm;

pub use cache::CompiledPlugin;
pub use contract::{ContractError, World, HOST_CONTRACT_VERSION};
pub use fault::{Fault, FaultKind};
pub use policy::{Policy, PolicyKind, Routing, Trigger};
#[doc(hidden)]
pub use reuse::ReusedTrigger;
pub use routing::{RoutingEvaluation, RoutingPlugin};
pub use trigger::{TriggerEvaluation, TriggerPlugin};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Per-tenant limits on every plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most linear memory one instance may grow to, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock budget of one call (instantiation included).
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 16 << 20,
            deadline: Duration::from_millis(20),
        }
    }
}

/// Which tenant and plugin a call belongs to, for logs and faults.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PluginLabel {
    /// The tenant id.
    pub tenant: Arc<str>,
    /// The plugin's file name or role (e.g. `trigger`).
    pub plugin: Arc<str>,
}

impl PluginLabel {
    /// A label from a tenant id and a plugin name.
    pub fn new(tenant: &str, plugin: &str) -> Self {
        PluginLabel {
            tenant: tenant.into(),
            plugin: plugin.into(),
        }
    }
}

/// How the engine is set up; one engine serves every tenant of a host.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Most plugin instances alive at once across all tenants (the pooling allocator's size).
    pub max_instances: u32,
    /// Most plugin calls running at once. A call's deadline is wall-clock time from the
    /// moment it starts, so calls wait for a turn *before* their clock starts rather than
    /// sharing the CPU with hundreds of others and timing out through no fault of their own.
    /// One tenant gets at most half of them (see `engine/turns.rs`). Default: twice the
    /// machine's cores.
    pub max_concurrent_calls: u32,
    /// The largest memory cap any tenant may ask for, in bytes.
    pub max_memory_bytes: usize,
    /// Where compiled plugins are cached on disk (`None`: memory only).
    pub cache_dir: Option<PathBuf>,
    /// Most bytes of a plugin's stdout/stderr kept per call for the log.
    pub output_cap: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            max_instances: 256,
            max_concurrent_calls: std::thread::available_parallelism()
                .map(|n| n.get() as u32 * 2)
                .unwrap_or(4),
            max_memory_bytes: 512 << 20,
            cache_dir: None,
            output_cap: 4096,
        }
    }
}

/// Why a plugin could not be loaded. Every variant names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read plugin `{path}`: {source}")]
    Read {
        /// The plugin path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a valid WebAssembly component.
    #[error("`{path}` is not a valid WebAssembly component: {detail}")]
    Compile {
        /// The plugin path.
        path: PathBuf,
        /// What wasmtime said.
        detail: String,
    },
    /// It does not speak the contract the tenant file asks of it.
    #[error("`{path}`: {source}")]
    Contract {
        /// The plugin path.
        path: PathBuf,
        /// What is wrong.
        source: ContractError,
    },
    /// It imports something the sandbox does not provide.
    #[error(
        "`{path}` cannot be linked: {detail} (policies get no I/O beyond an empty WASI context)"
    )]
    Link {
        /// The plugin path.
        path: PathBuf,
        /// What wasmtime said.
        detail: String,
    },
    /// Its `configure` refused the tenant's config table.
    #[error("`{path}` refused its config: {message}")]
    Config {
        /// The plugin path.
        path: PathBuf,
        /// The plugin's own message.
        message: String,
    },
    /// Its `configure` faulted (trap, deadline, memory).
    #[error("`{path}` faulted while loading: {fault}")]
    Fault {
        /// The plugin path.
        path: PathBuf,
        /// What happened.
        fault: Fault,
    },
}

/// The engine could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the WebAssembly engine: {0}")]
pub struct EngineError(String);

/// The engine: one per host process.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<wasm::Runtime>,
}

impl Engine {
    /// Build the engine (wasmtime config, pooling allocator, epoch ticker, linker).
    pub fn new(options: EngineOptions) -> Result<Self, EngineError> {
        Ok(Engine {
            inner: Arc::new(wasm::Runtime::new(options)?),
        })
    }

    /// The engine with its compile cache in `cache_dir` (none: compile at every start).
    pub fn with_cache(cache_dir: Option<PathBuf>) -> Result<Self, EngineError> {
        Engine::new(EngineOptions {
            cache_dir,
            ..Default::default()
        })
    }

    /// The engine for a data location: its compile cache is `compiled/` in a data folder,
    /// none for a database URL (a shared store has no shared folder).
    pub fn for_data(data: Option<&str>) -> Result<Self, EngineError> {
        Engine::with_cache(
            data.filter(|d| !d.contains("://"))
                .map(|d| PathBuf::from(d).join("compiled")),
        )
    }

    /// Compile (or fetch from the cache) the plugin at `path` and check it exports `world`.
    pub async fn compile(
        &self,
        path: &std::path::Path,
        world: World,
    ) -> Result<Arc<CompiledPlugin>, LoadError> {
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| LoadError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        let runtime = self.inner.clone();
        let p = path.to_path_buf();
        let compiled =
            tokio::task::spawn_blocking(move || runtime.cache.get_or_compile(&runtime, &p, &bytes))
                .await
                .map_err(|e| LoadError::Compile {
                    path: path.to_path_buf(),
                    detail: format!("compile task failed: {e}"),
                })??;
        compiled
            .check_world(world)
            .map_err(|source| LoadError::Contract {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(compiled)
    }

    /// How many distinct plugins have been compiled (not served from the cache) so far.
    pub fn compilations(&self) -> u64 {
        self.inner.cache.compilations()
    }

    /// Load a trigger plugin for a tenant: compile, link, and run its `configure` once with
    /// `config_json` so a config it refuses is an error now, not at the first customer.
    pub async fn load_trigger(
        &self,
        path: &std::path::Path,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<TriggerPlugin, LoadError> {
        self.load(path, config_json, limits, label).await
    }

    /// Load a routing plugin for a tenant (as [`Engine::load_trigger`]).
    pub async fn load_routing(
        &self,
        path: &std::path::Path,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<RoutingPlugin, LoadError> {
        self.load(path, config_json, limits, label).await
    }

    async fn load<K: PolicyKind>(
        &self,
        path: &std::path::Path,
        config_json: &str,
        limits: Limits,
        label: PluginLabel,
    ) -> Result<Policy<K>, LoadError> {
        let compiled = self.compile(path, K::WORLD).await?;
        Policy::load(self.inner.clone(), compiled, config_json, limits, label).await
    }
}
