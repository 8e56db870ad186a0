//! Compiled plugins, cached by content hash in memory and (optionally) on disk, so tenants
//! sharing a plugin compile it once and a restart loads machine code instead of compiling.

use super::contract::{self, ContractError, World};
use super::wasm::Runtime;
use super::LoadError;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use wasmtime::component::Component;

/// A compiled plugin, shared by every tenant version that uses the same bytes.
pub struct CompiledPlugin {
    /// Hex SHA-256 of the plugin's bytes.
    pub digest: String,
    pub(crate) component: Component,
    exports: Vec<(String, String)>,
    all_exports: Vec<String>,
}

impl CompiledPlugin {
    /// Check that the component exports the interface `world` needs, in a compatible version.
    pub fn check_world(&self, world: World) -> Result<(), ContractError> {
        contract::check(&self.exports, &self.all_exports, world)
    }
}

/// The cache. Entries live while some tenant version holds them.
pub(crate) struct CompileCache {
    dir: Option<PathBuf>,
    entries: Mutex<HashMap<String, Weak<CompiledPlugin>>>,
    compilations: AtomicU64,
}

impl CompileCache {
    pub fn new(engine: &wasmtime::Engine, dir: Option<PathBuf>) -> Self {
        // Machine code is only valid for the engine configuration that produced it.
        let dir = dir.map(|d| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            engine.precompile_compatibility_hash().hash(&mut h);
            d.join(format!("{:016x}", h.finish()))
        });
        CompileCache {
            dir,
            entries: Mutex::new(HashMap::new()),
            compilations: AtomicU64::new(0),
        }
    }

    pub fn compilations(&self) -> u64 {
        self.compilations.load(Ordering::Relaxed)
    }

    pub fn get_or_compile(
        &self,
        runtime: &Runtime,
        path: &Path,
        bytes: &[u8],
    ) -> Result<Arc<CompiledPlugin>, LoadError> {
        let digest = hex::encode(Sha256::digest(bytes));
        if let Some(hit) = self.lookup(&digest) {
            return Ok(hit);
        }
        let component = self.load_or_compile(runtime, path, &digest, bytes)?;
        let (exports, all_exports) = contract::exported_interfaces(&runtime.engine, &component);
        let compiled = Arc::new(CompiledPlugin {
            digest: digest.clone(),
            component,
            exports,
            all_exports,
        });
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, w| w.strong_count() > 0);
            entries.insert(digest, Arc::downgrade(&compiled));
        }
        Ok(compiled)
    }

    fn lookup(&self, digest: &str) -> Option<Arc<CompiledPlugin>> {
        self.entries.lock().ok()?.get(digest)?.upgrade()
    }

    fn load_or_compile(
        &self,
        runtime: &Runtime,
        path: &Path,
        digest: &str,
        bytes: &[u8],
    ) -> Result<Component, LoadError> {
        let cached = self.dir.as_ref().map(|d| d.join(format!("{digest}.cwasm")));
        if let Some(file) = cached.as_ref().filter(|f| f.exists()) {
            // SAFETY: the file was written by this host's own `serialize` below, under a
            // folder keyed by the engine's compatibility hash; wasmtime still checks its
            // header and refuses a mismatched one, in which case we recompile.
            match unsafe { Component::deserialize_file(&runtime.engine, file) } {
                Ok(component) => return Ok(component),
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "stale compiled plugin; recompiling")
                }
            }
        }
        let component = Component::new(&runtime.engine, bytes).map_err(|e| LoadError::Compile {
            path: path.to_path_buf(),
            detail: format!("{e:#}"),
        })?;
        self.compilations.fetch_add(1, Ordering::Relaxed);
        if let Some(file) = cached {
            if let Err(e) = write_atomically(&file, &component) {
                tracing::warn!(file = %file.display(), error = %e, "cannot cache the compiled plugin");
            }
        }
        Ok(component)
    }
}

fn write_atomically(file: &Path, component: &Component) -> std::io::Result<()> {
    let bytes = component
        .serialize()
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, file)?;
    Ok(())
}
