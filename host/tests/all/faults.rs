//! Fault tests: the host under a misbehaving tenant, a storm of reloads and a full disk,
//! each against the real server on loopback with real plugins and real files.

mod chaos;
mod disk_full;
mod reload_storm;

use crate::host::{policies_dir, widen_deadline, TestHost};
use std::path::Path;

/// A host on the demo tenants plus `extra` `(name, toml)` whose SQLite store lives in
/// `data`, a folder the test chose (a tmpfs, a tiny filesystem).
pub async fn host_on(extra: &[(&str, &str)], data: &Path) -> TestHost {
    let policies = policies_dir();
    for (name, text) in extra {
        let file = policies.path().join(format!("{name}.toml"));
        std::fs::write(file, widen_deadline(text)).unwrap();
    }
    let data = data.to_str().unwrap().to_string();
    let unused = tempfile::tempdir().unwrap();
    TestHost::launch(policies, data, unused, baton::server::Options::default()).await
}

/// Whether `dir` is on a tmpfs (by `/proc/mounts`: the longest mount point above it).
pub fn on_tmpfs(dir: &Path) -> bool {
    let (Ok(mounts), Ok(dir)) = (std::fs::read_to_string("/proc/mounts"), dir.canonicalize())
    else {
        return false;
    };
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, at, kind) = (f.next()?, f.next()?, f.next()?);
            dir.starts_with(at).then_some((at.len(), kind == "tmpfs"))
        })
        .max_by_key(|(len, _)| *len)
        .is_some_and(|(_, tmpfs)| tmpfs)
}
