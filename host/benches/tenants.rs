//! Hot reload and many tenants, measured against the real host (not a criterion bench: the
//! figures are latencies of events, reported as p50 and max).
//!
//! `cargo bench -p baton --bench tenants` (needs `scripts/build-plugins` first).
//!
//! 1. Reload under load: 4 clients post events to the real HTTP server without pause while
//!    the tenant file is replaced (write + rename) 50 times; for each reload, the time from
//!    the rename to the first decision carrying the new version; every request must succeed.
//! 2. Start-up with 1,000 and 10,000 tenants sharing 3 plugins: time to load them all and the
//!    process's resident memory, then the per-event cost with that many tenants loaded.

use baton::api::{router, AppState};
use baton::store::{new_key, KeyRole, KeyRow};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn policies(tenants: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    for name in ["standard-trigger", "skills-router", "keyword-trigger"] {
        let src = root().join("policies/plugins").join(format!("{name}.wasm"));
        std::fs::copy(&src, plugins.join(format!("{name}.wasm")))
            .unwrap_or_else(|_| panic!("{} missing: run scripts/build-plugins", src.display()));
    }
    for t in tenants {
        std::fs::copy(
            root().join(format!("policies/{t}.toml")),
            dir.path().join(format!("{t}.toml")),
        )
        .expect("copy");
    }
    dir
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

async fn reload_under_load() {
    let dir = policies(&["acme-plumbing"]);
    let data = tempfile::tempdir().expect("tempdir");
    let host = baton::server::start(
        dir.path().to_path_buf(),
        data.path().to_str().expect("utf-8"),
    )
    .await
    .expect("start");
    let key = new_key();
    host.desk
        .store()
        .insert_key(KeyRow {
            id: key.id.clone(),
            hash: key.hash.clone(),
            tenant: Some("acme-plumbing".into()),
            role: KeyRole::Channel,
            agent_id: None,
            created_ms: 0,
            revoked_ms: None,
            expires_ms: None,
        })
        .await
        .expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = router(AppState {
        desk: host.desk.clone(),
        host_id: "bench".into(),
    });
    tokio::spawn(async move { axum::serve(listener, app).await });

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let seen: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stop, failures, seen, http, url, secret) = (
            stop.clone(),
            failures.clone(),
            seen.clone(),
            http.clone(),
            url.clone(),
            key.secret.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .post(format!("{url}/v1/conversations/b{c}-{}/events", n / 4))
                    .bearer_auth(&secret)
                    .json(&serde_json::json!({"role": "customer", "text": "what size filter do I need?"}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        let v = body["decision"]["policy_version"].as_str().unwrap_or("").to_string();
                        seen.lock().expect("lock").push((Instant::now(), v));
                    }
                    _ => {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                n += 1;
            }
        }));
    }
    let file = dir.path().join("acme-plumbing.toml");
    let original = std::fs::read_to_string(&file).expect("read");
    let mut latencies = Vec::new();
    for i in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let text = original.replace(
            "offer_timeout_secs = 45",
            &format!("offer_timeout_secs = {}", 100 + i),
        );
        let tmp = dir.path().join(".acme-plumbing.toml.tmp");
        std::fs::write(&tmp, text).expect("write");
        let landed = Instant::now();
        std::fs::rename(&tmp, &file).expect("rename");
        let old = host
            .desk
            .tenants()
            .get("acme-plumbing")
            .map(|v| v.id.clone())
            .unwrap_or_default();
        let deadline = landed + Duration::from_secs(10);
        let first = loop {
            let found = seen
                .lock()
                .expect("lock")
                .iter()
                .find(|(t, v)| *t >= landed && !v.is_empty() && *v != old)
                .map(|(t, _)| *t);
            if let Some(t) = found {
                break t;
            }
            assert!(Instant::now() < deadline, "reload {i} never served");
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        latencies.push(first.duration_since(landed).as_secs_f64() * 1000.0);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    let requests = seen.lock().expect("lock").len();
    let max = latencies.iter().cloned().fold(0.0, f64::max);
    let p50 = percentile(&mut latencies, 0.5);
    println!("reload under load: 50 reloads, rename -> first decision with the new version: p50 {p50:.1} ms, max {max:.1} ms; {requests} requests, {} failed", failures.load(Ordering::Relaxed));
}

async fn many_tenants(n: usize) {
    let dir = policies(&[]);
    let template =
        std::fs::read_to_string(root().join("policies/acme-plumbing.toml")).expect("read");
    // Three plugins shared by all: the stock trigger and router, and (for a third of the
    // tenants) a second trigger as shadow. `baton load prepare --tenants N` writes the same.
    baton::load::prepare::write_many_tenants(&template, dir.path(), n).expect("write");
    let data = tempfile::tempdir().expect("tempdir");
    let before = rss_mib();
    let start = Instant::now();
    let host = baton::server::start(
        dir.path().to_path_buf(),
        data.path().to_str().expect("utf-8"),
    )
    .await
    .expect("start");
    let took = start.elapsed();
    let serving = host
        .desk
        .tenants()
        .status()
        .iter()
        .filter(|s| s.active_version.is_some())
        .count();
    let after = rss_mib();
    // Per-event cost with that many tenants loaded: one decision on a few tenants.
    let t = Instant::now();
    let events = 200;
    for e in 0..events {
        let tenant = format!("t{:05}", (e * 7919) % n);
        let req = baton::handoff::IngestRequest {
            role: "customer".into(),
            text: "what size filter do I need?".into(),
            at: None,
            intent: None,
            confidence: None,
            customer: None,
            channel: None,
        };
        host.desk
            .ingest(&tenant, &format!("c{e}"), req, None)
            .await
            .expect("ingest");
    }
    let per_event = t.elapsed().as_secs_f64() * 1e6 / events as f64;
    println!(
        "{n} tenants sharing 3 plugins: loaded in {:.2} s ({serving} serving, {} compilations), resident memory +{:.0} MiB ({:.0} -> {:.0} MiB), {:.0} us per event one at a time",
        took.as_secs_f64(),
        host.desk.tenants().engine().compilations(),
        after - before,
        before,
        after,
        per_event
    );
}

fn main() {
    // `cargo test --benches` runs benches with `--bench` absent: skip the long measurement.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tenants bench: run with `cargo bench -p baton --bench tenants`");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        reload_under_load().await;
        many_tenants(1_000).await;
        if std::env::var("BATON_BENCH_10K").is_ok() {
            many_tenants(10_000).await;
        }
    });
}
