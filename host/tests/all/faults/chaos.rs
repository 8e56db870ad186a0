//! A tenant whose trigger policy loops forever (its deadline is hit on every call) is
//! hammered from several clients at once while another tenant serves normal traffic. The other
//! tenant's p99 latency under that load stays within twice its p99 without it, measured in
//! the same test; every chaos request is still answered: the safe decision, to the fallback
//! queue, with the fault recorded.
//!
//! The store lives on a tmpfs when there is one (`/dev/shm`): on a shared machine, a
//! neighbour's disk traffic stalls an fsync now and then for 100 ms or more, in either
//! phase alike, and such stalls, not the plugins, would decide a p99. What this measures is
//! what one tenant's plugins take from another's: turns, threads, CPU. (The looping
//! tenant's requests still cost what any request costs: each one opens a handoff, and the
//! store has one writer. Its 100 ms deadline keeps that to ten a second.)

use super::{host_on, on_tmpfs};
use crate::host::{demo_tenant, without_rate_limit, TestHost};
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A tenant whose trigger spins forever. No self-tests: every call is a timeout.
const LOOPING_TENANT: &str = r#"
name = "Looping Co"

[[queues]]
name = "help"
skills = ["general"]
target_wait_secs = 60

[[queues]]
name = "fallback-desk"
skills = ["general"]
target_wait_secs = 120

[[agents]]
id = "pat"
name = "Pat Lee"
skills = ["general"]
capacity = 1

[limits]
memory_mib = 16
deadline_ms = 100

[fallback]
queue = "fallback-desk"

[trigger]
plugin = "plugins/chaos.wasm"

[trigger.config]
mode = "loop"

[routing]
plugin = "plugins/skills-router.wasm"
"#;

/// Concurrent clients hammering the looping tenant. It serves them one call at a time
/// (`engine/turns.rs`): each answer takes its 100 ms deadline, and the rest wait in its line.
const CHAOS_CLIENTS: usize = 4;
/// Concurrent clients of the healthy tenant.
const NORMAL_CLIENTS: usize = 2;
/// Healthy requests per block. Blocks without and with the chaos load alternate, so noise
/// from the rest of a shared machine falls on both alike.
const BLOCK: usize = 100;
/// Blocks of each kind per round: a round's p99s are over `BLOCK * BLOCKS` requests each.
const BLOCKS: usize = 4;
/// Rounds; the verdict is the median round's ratio.
const ROUNDS: usize = 5;
/// Rounds added when that median is over 2 but under 4 (noise, not starvation), for a
/// median over all of them.
const MORE_ROUNDS: usize = 4;
/// Longest a block of healthy requests may take.
const BLOCK_TIME: Duration = Duration::from_secs(2);

/// The hammering: clients posting to fresh conversations of the looping tenant while the
/// load is on, each checking its answer.
struct ChaosLoad {
    on: tokio::sync::watch::Sender<bool>,
    stop: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    answered: Arc<AtomicU64>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl ChaosLoad {
    /// The clients, idle until [`ChaosLoad::resume`].
    fn new(h: &Arc<TestHost>, key: &str) -> ChaosLoad {
        let (on, _) = tokio::sync::watch::channel(false);
        let stop = Arc::new(AtomicBool::new(false));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicU64::new(0));
        let clients = (0..CHAOS_CLIENTS)
            .map(|c| {
                let (h, key, stop) = (h.clone(), key.to_string(), stop.clone());
                let (in_flight, answered, mut on) =
                    (in_flight.clone(), answered.clone(), on.subscribe());
                tokio::spawn(async move {
                    for n in 0.. {
                        if on.wait_for(|on| *on).await.is_err() || stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let id = format!("chaos-{c}-{n}");
                        in_flight.fetch_add(1, Ordering::SeqCst);
                        if !*on.borrow() {
                            // Paused in between: `pause` may already have seen none in flight.
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            continue;
                        }
                        let (status, body) = h
                            .post(
                                &format!("/v1/conversations/{id}/events"),
                                &key,
                                json!({"role": "customer", "text": "is anyone there?"}),
                            )
                            .await;
                        assert_safe_decision(status, &body);
                        answered.fetch_add(1, Ordering::SeqCst);
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        ChaosLoad {
            on,
            stop,
            in_flight,
            answered,
            clients,
        }
    }

    /// Turn the load on and wait until every client has a request in flight and answers
    /// are coming back.
    async fn resume(&self) {
        let before = self.answered.load(Ordering::SeqCst);
        self.on.send_replace(true);
        self.until("the chaos load is on", || {
            self.in_flight.load(Ordering::SeqCst) == CHAOS_CLIENTS
                && self.answered.load(Ordering::SeqCst) > before
        })
        .await;
    }

    /// Turn the load off and wait until no chaos request is in flight.
    async fn pause(&self) {
        self.on.send_replace(false);
        self.until("the chaos load is off", || {
            self.in_flight.load(Ordering::SeqCst) == 0
        })
        .await;
    }

    async fn until(&self, what: &str, check: impl Fn() -> bool) {
        let start = Instant::now();
        while !check() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out: {what}"
            );
            assert!(
                self.clients.iter().all(|c| !c.is_finished()),
                "a chaos client failed"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Stop the clients; returns how many chaos requests were answered.
    async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.on.send_replace(true);
        for c in self.clients {
            c.await.expect("a chaos client failed");
        }
        self.answered.load(Ordering::SeqCst)
    }
}

/// A looping policy's request is answered: 201, the safe decision, a timeout fault, and a
/// handoff in the tenant's fallback queue.
fn assert_safe_decision(status: u16, body: &Value) {
    assert_eq!(status, 201, "a chaos request was not answered: {body}");
    let d = &body["decision"];
    assert_eq!(d["escalate"], true, "{body}");
    assert_eq!(d["reason"], "policy_fault", "{body}");
    assert_eq!(d["fault"]["kind"], "timeout", "{body}");
    assert_eq!(body["handoff"]["queue"], "fallback-desk", "{body}");
}

/// `samples` requests of the healthy tenant from [`NORMAL_CLIENTS`] clients; their
/// latencies.
async fn normal_latencies(
    h: &Arc<TestHost>,
    key: &str,
    tag: &str,
    samples: usize,
) -> Vec<Duration> {
    let clients: Vec<_> = (0..NORMAL_CLIENTS)
        .map(|c| {
            let (h, key, tag) = (h.clone(), key.to_string(), tag.to_string());
            tokio::spawn(async move {
                let mut out = Vec::new();
                // A host that starves this tenant would make a block crawl: it ends after
                // BLOCK_TIME with what it has (a healthy block takes a fraction of that).
                let started = Instant::now();
                for i in 0..samples / NORMAL_CLIENTS {
                    if started.elapsed() > BLOCK_TIME {
                        break;
                    }
                    // Conversations of three messages: each one is evaluated.
                    let id = format!("calm-{tag}-{c}-{}", i / 3);
                    let start = Instant::now();
                    let (status, body) = h
                        .post(
                            &format!("/v1/conversations/{id}/events"),
                            &key,
                            json!({"role": "customer", "text": "what are your hours on saturday?"}),
                        )
                        .await;
                    out.push(start.elapsed());
                    assert_eq!(status, 201, "{body}");
                    assert_eq!(body["decision"]["escalate"], false, "{body}");
                    assert!(body["decision"]["fault"].is_null(), "{body}");
                }
                out
            })
        })
        .collect();
    let mut all = Vec::new();
    for c in clients {
        all.extend(c.await.unwrap());
    }
    all
}

/// Sort both samples, print their p50 and p99, return the ratio of the p99s.
fn report(what: &str, quiet: &mut [Duration], loaded: &mut [Duration]) -> f64 {
    quiet.sort();
    loaded.sort();
    let (q99, l99) = (percentile(quiet, 0.99), percentile(loaded, 0.99));
    let ratio = l99.as_secs_f64() / q99.as_secs_f64();
    eprintln!(
        "{what}: quiet ({} requests) p50 {:.1} ms p99 {:.1} ms; under chaos ({}) p50 {:.1} ms p99 {:.1} ms; p99 ratio {ratio:.2}",
        quiet.len(),
        ms(percentile(quiet, 0.5)),
        ms(q99),
        loaded.len(),
        ms(percentile(loaded, 0.5)),
        ms(l99),
    );
    ratio
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_tenant_under_load_does_not_slow_another_tenant() {
    let shm = Path::new("/dev/shm");
    let data = match on_tmpfs(shm) {
        true => tempfile::tempdir_in(shm).unwrap(),
        false => {
            eprintln!("no tmpfs at /dev/shm: the store is on disk, and disk stalls add noise");
            tempfile::tempdir().unwrap()
        }
    };
    let (looping_co, acme) = (
        without_rate_limit(LOOPING_TENANT),
        without_rate_limit(&demo_tenant("acme-plumbing")),
    );
    let tenants = [
        ("looping-co", looping_co.as_str()),
        ("acme-plumbing", acme.as_str()),
    ];
    let h = Arc::new(host_on(&tenants, data.path()).await);
    let calm = h.channel("acme-plumbing").await;
    let looping = h.channel("looping-co").await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let chaos = ChaosLoad::new(&h, &looping);

    // Warm up both paths (connections, caches, the first instances).
    normal_latencies(&h, &calm, "warm", 40).await;
    chaos.resume().await;
    chaos.pause().await;

    // Rounds of alternating blocks without and with the chaos load. A noise burst on a
    // shared machine (another test, another process) lands in a block or two and can tip
    // a round's p99, so the verdict is the median round; when that is just over 2, more
    // rounds are measured and the median of all decides. Starvation shows in every round
    // (before the host gave each tenant its own line of turns: 30-65x).
    let (mut ratios, mut all_quiet, mut all_loaded) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS + MORE_ROUNDS {
        if round == ROUNDS && !(2.0..=4.0).contains(&median(&ratios)) {
            break;
        }
        let (mut quiet, mut loaded) = (Vec::new(), Vec::new());
        for block in 0..BLOCKS {
            let tag = format!("{round}-{block}");
            quiet.extend(normal_latencies(&h, &calm, &format!("q{tag}"), BLOCK).await);
            chaos.resume().await;
            loaded.extend(normal_latencies(&h, &calm, &format!("l{tag}"), BLOCK).await);
            chaos.pause().await;
        }
        let ratio = report(&format!("round {round}"), &mut quiet, &mut loaded);
        ratios.push(ratio);
        all_quiet.extend(quiet);
        all_loaded.extend(loaded);
    }
    let chaos_answered = chaos.stop().await;
    report("all rounds", &mut all_quiet, &mut all_loaded);
    let verdict = median(&ratios);
    eprintln!(
        "p99 ratio, median of {} rounds: {verdict:.2}; chaos requests answered: {chaos_answered}",
        ratios.len()
    );
    assert!(
        verdict <= 2.0,
        "the healthy tenant's p99 under chaos load is {verdict:.2}x its p99 without (rounds: {ratios:.2?})"
    );

    // Every chaos request's fault was recorded against its tenant, and only there.
    let (status, admin) = h.get("/v1/admin/tenants", &operator).await;
    assert_eq!(status, 200, "{admin}");
    let tenant = |id: &str| {
        admin["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {admin}"))
    };
    assert_eq!(
        tenant("looping-co")["faults"]["timeout"].as_u64(),
        Some(chaos_answered),
        "every chaos request recorded its timeout"
    );
    let calm_faults = tenant("acme-plumbing")["faults"].clone();
    assert!(
        calm_faults
            .as_object()
            .unwrap()
            .values()
            .all(|n| n.as_u64() == Some(0)),
        "the healthy tenant recorded faults: {calm_faults}"
    );
}
