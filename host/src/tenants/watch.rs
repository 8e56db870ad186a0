//! Watching the policies folder: a changed, new or deleted tenant file, or a changed plugin,
//! reloads the tenants concerned, off the request path, after a short quiet period.

use super::registry::{ReloadOutcome, Tenants};
use crate::config;
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long the folder must be quiet before a batch of changes is applied: long enough to
/// see an editor's write-rename as one change, short enough to serve a change within a
/// fraction of a second.
pub const DEBOUNCE: Duration = Duration::from_millis(25);

/// A running watch; dropping it stops watching.
pub struct WatchHandle {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start watching `tenants.dir()` (recursively, so `policies/plugins/*.wasm` count too).
pub fn watch(tenants: Arc<Tenants>) -> notify::Result<WatchHandle> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PathBuf>();
    let mut watcher =
        notify::recommended_watcher(move |event: notify::Result<notify::Event>| match event {
            Ok(event) => {
                if matches!(event.kind, notify::EventKind::Access(_)) {
                    return;
                }
                for path in event.paths {
                    let _ = tx.send(path);
                }
            }
            Err(e) => tracing::warn!(error = %e, "watch error"),
        })?;
    watcher.watch(tenants.dir(), RecursiveMode::Recursive)?;
    let task = tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut changed = BTreeSet::from([first]);
            // Gather everything that arrives until the folder has been quiet for DEBOUNCE.
            while let Ok(Some(path)) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                changed.insert(path);
            }
            apply(&tenants, changed).await;
        }
    });
    Ok(WatchHandle {
        _watcher: watcher,
        task,
    })
}

async fn apply(tenants: &Tenants, changed: BTreeSet<PathBuf>) {
    let mut files = BTreeSet::new();
    for path in changed {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if config::is_tenant_file_name(name) && path.parent() == Some(tenants.dir()) {
            files.insert(path);
        } else if name.ends_with(".wasm") {
            files.extend(tenants.tenants_using(&path));
            // A tenant refused for a missing plugin may be fixed by this one appearing.
            files.extend(tenants.failing_files());
        }
        // Anything else (editor swap and backup files, temporary names) is ignored; the
        // rename that follows an atomic save shows up as the tenant file itself.
    }
    for file in files {
        match tenants.reload_file(&file).await {
            ReloadOutcome::Activated(v) => {
                tracing::debug!(file = %file.display(), version = %v, "reloaded")
            }
            ReloadOutcome::Unchanged(_) | ReloadOutcome::Removed => {}
            ReloadOutcome::Refused(_) => {} // logged with the diagnostics by the registry
        }
    }
}
