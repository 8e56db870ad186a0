//! The registry: tenant id → its slot, whose active version is swapped atomically.

use super::{load_version, TenantVersion};
use crate::config::{self, Diagnostics};
use crate::engine::{Engine, Fault, FaultKind};
use arc_swap::{ArcSwap, ArcSwapOption};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One tenant's place in the registry.
struct Slot {
    active: ArcSwapOption<TenantVersion>,
    file: PathBuf,
    last_error: Mutex<Option<(jiff::Timestamp, String)>>,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
    faults: [AtomicU64; FaultKind::ALL.len()],
}

impl Slot {
    fn new(file: PathBuf) -> Self {
        Slot {
            active: ArcSwapOption::empty(),
            file,
            last_error: Mutex::new(None),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
            faults: Default::default(),
        }
    }
}

/// What the admin status shows for a tenant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TenantStatus {
    /// The tenant id.
    pub tenant: String,
    /// The tenant file.
    pub file: String,
    /// The version serving now (`null`: none, see `last_error`).
    pub active_version: Option<String>,
    /// When that version was loaded, RFC 3339.
    pub loaded_at: Option<String>,
    /// The last refused change, rendered as `baton check` prints it.
    pub last_error: Option<String>,
    /// When that change was refused.
    pub last_error_at: Option<String>,
    /// Versions activated since start.
    pub reloads: u64,
    /// Changes refused since start.
    pub reload_failures: u64,
    /// Policy faults since start, by kind.
    pub faults: BTreeMap<String, u64>,
}

/// Every tenant this host serves.
pub struct Tenants {
    engine: Engine,
    dir: PathBuf,
    slots: ArcSwap<HashMap<String, Arc<Slot>>>,
    /// Serialises changes to the map itself (reloads of different tenants may overlap).
    change: tokio::sync::Mutex<()>,
}

/// What a (re)load did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// A new version is active.
    Activated(String),
    /// The file's content gave the version already active.
    Unchanged(String),
    /// The change was refused; the previous version (if any) keeps serving.
    Refused(String),
    /// The tenant file is gone; the tenant was removed.
    Removed,
}

impl Tenants {
    /// An empty registry for the tenant files in `dir`.
    pub fn new(engine: Engine, dir: &Path) -> Arc<Self> {
        Arc::new(Tenants {
            engine,
            dir: dir.to_path_buf(),
            slots: ArcSwap::from_pointee(HashMap::new()),
            change: tokio::sync::Mutex::new(()),
        })
    }

    /// The folder watched.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The engine the tenants' plugins run on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The tenant's active version, if it has one. Hold it for the whole request: a reload
    /// never changes a version in use.
    pub fn get(&self, tenant: &str) -> Option<Arc<TenantVersion>> {
        self.slots.load().get(tenant)?.active.load_full()
    }

    /// Every tenant id known (serving or not).
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.slots.load().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Count a fault against the tenant.
    pub fn record_fault(&self, tenant: &str, fault: &Fault) {
        if let Some(slot) = self.slots.load().get(tenant) {
            if let Some(i) = FaultKind::ALL.iter().position(|k| *k == fault.kind) {
                slot.faults[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Load every tenant file in the folder (all at once, compiling each distinct plugin once).
    pub async fn load_all(self: &Arc<Self>) -> Vec<(PathBuf, ReloadOutcome)> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_tenant_file(p))
                .collect(),
            Err(e) => {
                tracing::error!(dir = %self.dir.display(), error = %e, "cannot read the policies folder");
                Vec::new()
            }
        };
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let outcome = self.reload_file(&f).await;
            out.push((f, outcome));
        }
        out
    }

    /// (Re)load the tenant whose file is `file`: activate a good new version, refuse a bad one
    /// keeping the last good, remove the tenant if the file is gone.
    pub async fn reload_file(&self, file: &Path) -> ReloadOutcome {
        let tenant = match config::tenant_id_from_path(file) {
            Ok(t) => t,
            Err(d) => return ReloadOutcome::Refused(d.to_string()),
        };
        if !file.exists() {
            let _guard = self.change.lock().await;
            let mut map = (**self.slots.load()).clone();
            if map.remove(&tenant).is_some() {
                self.slots.store(Arc::new(map));
                tracing::info!(tenant, "tenant removed");
            }
            return ReloadOutcome::Removed;
        }
        let slot = self.slot(&tenant, file).await;
        match load_version(&self.engine, file).await {
            Ok((version, report)) => {
                let current = slot.active.load();
                if current.as_ref().is_some_and(|v| v.id == version.id) {
                    *lock(&slot.last_error) = None;
                    return ReloadOutcome::Unchanged(version.id.clone());
                }
                let id = version.id.clone();
                slot.active.store(Some(Arc::new(version)));
                *lock(&slot.last_error) = None;
                slot.reloads.fetch_add(1, Ordering::Relaxed);
                tracing::info!(tenant, version = %id, self_tests = report.self_tests, "tenant version activated");
                ReloadOutcome::Activated(id)
            }
            Err(diagnostics) => {
                let text = render(&diagnostics);
                slot.reload_failures.fetch_add(1, Ordering::Relaxed);
                let keeps = slot.active.load().as_ref().map(|v| v.id.clone());
                tracing::error!(tenant, keeps_serving = ?keeps, "tenant change refused:\n{text}");
                *lock(&slot.last_error) = Some((jiff::Timestamp::now(), text.clone()));
                ReloadOutcome::Refused(text)
            }
        }
    }

    async fn slot(&self, tenant: &str, file: &Path) -> Arc<Slot> {
        if let Some(slot) = self.slots.load().get(tenant) {
            return slot.clone();
        }
        let _guard = self.change.lock().await;
        let mut map = (**self.slots.load()).clone();
        let slot = map
            .entry(tenant.to_string())
            .or_insert_with(|| Arc::new(Slot::new(file.to_path_buf())))
            .clone();
        self.slots.store(Arc::new(map));
        slot
    }

    /// The plugin files tenants use, for the watcher: a change to one reloads its tenants.
    pub fn tenants_using(&self, plugin: &Path) -> Vec<PathBuf> {
        let canonical = plugin.canonicalize().ok();
        self.slots
            .load()
            .values()
            .filter(|slot| {
                slot.active.load().as_ref().is_some_and(|v| {
                    let c = &v.config;
                    std::iter::once(&c.trigger)
                        .chain(std::iter::once(&c.routing))
                        .chain(c.shadow.iter())
                        .any(|spec| same_file(&spec.path, plugin, canonical.as_deref()))
                })
            })
            .map(|slot| slot.file.clone())
            .collect()
    }

    /// Tenant files whose tenant has no active version (to retry when any file changes).
    pub fn failing_files(&self) -> Vec<PathBuf> {
        self.slots
            .load()
            .values()
            .filter(|s| s.active.load().is_none())
            .map(|s| s.file.clone())
            .collect()
    }

    /// The admin status of every tenant.
    pub fn status(&self) -> Vec<TenantStatus> {
        let map = self.slots.load();
        let mut out: Vec<TenantStatus> = map
            .iter()
            .map(|(tenant, slot)| {
                let active = slot.active.load();
                let error = lock(&slot.last_error).clone();
                TenantStatus {
                    tenant: tenant.clone(),
                    file: slot.file.display().to_string(),
                    active_version: active.as_ref().map(|v| v.id.clone()),
                    loaded_at: active.as_ref().map(|v| v.loaded_at.to_string()),
                    last_error_at: error.as_ref().map(|(at, _)| at.to_string()),
                    last_error: error.map(|(_, e)| e),
                    reloads: slot.reloads.load(Ordering::Relaxed),
                    reload_failures: slot.reload_failures.load(Ordering::Relaxed),
                    faults: FaultKind::ALL
                        .iter()
                        .zip(&slot.faults)
                        .map(|(k, n)| (k.as_str().to_string(), n.load(Ordering::Relaxed)))
                        .collect(),
                }
            })
            .collect();
        out.sort_by(|a, b| a.tenant.cmp(&b.tenant));
        out
    }
}

fn same_file(a: &Path, b: &Path, b_canonical: Option<&Path>) -> bool {
    a == b || (b_canonical.is_some() && a.canonicalize().ok().as_deref() == b_canonical)
}

fn is_tenant_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(config::is_tenant_file_name)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Diagnostics as `baton check` prints them.
pub fn render(d: &Diagnostics) -> String {
    d.to_string()
}
