//! Running one phase: open loop at a fixed offered rate, or closed loop with N connections.
//!
//! **Open loop** (as wrk2 does it, so a slow answer cannot hide the requests it holds up):
//! a scheduler thread releases request *k* at its intended time `start + k / rate` to
//! connection `k mod N`; each connection sends what was released to it in order, and a
//! request's latency runs from its intended time, not from when it went out. If the host
//! falls behind, the queue on each connection grows and so do the latencies. The scheduler
//! is a plain thread sleeping on the OS's high-resolution timer (tokio's timer ticks in whole
//! milliseconds, which would add up to a millisecond to every latency); the lag it still has
//! (how late a request left an idle connection) is reported separately.
//!
//! **Closed loop**: each of N connections sends its next request as soon as the last one is
//! answered; latency is from send to answer.

use super::conn::{Conn, Target};
use super::measure::{Ack, CpuMark, CpuUse, Latency, PhaseResult, Samples};
use super::workload::{Conversations, Mix};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::Method;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a phase sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /healthz`: the HTTP floor (no key, no store, no policy).
    Healthz,
    /// `POST /v1/conversations/{id}/events`: a durable ingest.
    Ingest,
}

impl Endpoint {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Healthz => "healthz",
            Endpoint::Ingest => "ingest",
        }
    }
}

/// How a phase paces its requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// A fixed offered rate, requests per second.
    Open(f64),
    /// As fast as the answers come.
    Closed,
}

/// One phase of a run.
#[derive(Debug, Clone)]
pub struct Phase {
    /// What to send.
    pub endpoint: Endpoint,
    /// How to pace it.
    pub pace: Pace,
    /// Connections (spread round-robin over the hosts).
    pub connections: usize,
    /// How long to offer load.
    pub duration: Duration,
    /// Stop after this many requests (or at the end of `duration`, whichever comes first).
    pub requests: Option<u64>,
}

/// What every phase of a run shares.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The hosts.
    pub targets: Vec<Target>,
    /// `Bearer <key>` of each channel key.
    pub keys: Vec<HeaderValue>,
    /// Share of conversations that escalate.
    pub escalate_share: f64,
    /// Conversations each connection interleaves.
    pub interleave: usize,
    /// Prefix of this run's conversation ids.
    pub run_id: String,
    /// Keep every acknowledged event, to check the store afterwards.
    pub keep_acks: bool,
    /// Server processes whose CPU time to read.
    pub server_pids: Vec<u32>,
    /// How long an open-loop phase may run past its window to send what it scheduled.
    pub drain: Duration,
}

/// One connection's part of a phase.
struct Worker {
    conn: Conn,
    host: usize,
    conversations: Conversations,
    samples: Samples,
}

impl Worker {
    /// Send the next request; record its latency from `from` (its intended time, or now).
    async fn one(&mut self, setup: &Setup, endpoint: Endpoint, from: Instant) {
        let (result, event) = match endpoint {
            Endpoint::Healthz => (
                self.conn.send(Method::GET, "/healthz", None, None).await,
                None,
            ),
            Endpoint::Ingest => {
                let e = self.conversations.next_event();
                let path = format!("/v1/conversations/{}/events", e.conversation);
                let body = Bytes::from(e.body.clone());
                let key = &setup.keys[e.key % setup.keys.len()];
                (
                    self.conn
                        .send(Method::POST, &path, Some(key), Some(body))
                        .await,
                    Some(e),
                )
            }
        };
        let micros = from.elapsed().as_micros().min(u32::MAX as u128) as u32;
        match result {
            Ok(answer) => {
                self.samples.micros.push(micros);
                let ok = (200..300).contains(&answer.status);
                *self
                    .samples
                    .outcomes
                    .entry(answer.status.to_string())
                    .or_default() += 1;
                if let (true, Some(e)) = (ok, event) {
                    let escalated = std::str::from_utf8(&answer.body)
                        .is_ok_and(|b| b.contains("\"escalate\":true"));
                    self.samples.escalations += escalated as u64;
                    self.samples.expected_escalations += e.escalates as u64;
                    if setup.keep_acks {
                        self.samples.acked.push(Ack {
                            host: self.host,
                            key: e.key % setup.keys.len(),
                            conversation: e.conversation,
                            text: e.text,
                        });
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "load request failed");
                *self
                    .samples
                    .outcomes
                    .entry(e.label().to_string())
                    .or_default() += 1;
            }
        }
    }
}

/// Release each request at its intended time to its connection, until `end`.
fn schedule(
    rate: f64,
    start: Instant,
    end: Instant,
    limit: Option<u64>,
    queues: Vec<tokio::sync::mpsc::UnboundedSender<Instant>>,
) {
    let n = queues.len();
    let mut k: u64 = 0;
    loop {
        let intended = start + Duration::from_secs_f64(k as f64 / rate);
        if intended >= end || limit.is_some_and(|l| k >= l) {
            return;
        }
        let now = Instant::now();
        if intended > now {
            std::thread::sleep(intended - now);
        }
        // A closed queue means its connection gave up: stop scheduling it.
        let _ = queues[(k % n as u64) as usize].send(intended);
        k += 1;
    }
}

/// Run `phase` and return its result (and the acknowledged events, when kept).
pub async fn run(setup: &Arc<Setup>, phase: &Phase, index: usize) -> (PhaseResult, Vec<Ack>) {
    let workers = connect(setup, phase, index).await;
    let connections = workers.len();
    let load_average = super::measure::load_average();
    let mark = CpuMark::now(&setup.server_pids);
    let start = Instant::now() + Duration::from_millis(5);
    let end = start + phase.duration;
    let budget = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(connections);
    let mut queues = Vec::new();
    for w in workers {
        let setup = setup.clone();
        match phase.pace {
            Pace::Open(_) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
                queues.push(tx);
                let give_up = end + setup.drain;
                let endpoint = phase.endpoint;
                tasks.push(tokio::spawn(open_loop(
                    w, setup, endpoint, rx, start, give_up,
                )));
            }
            Pace::Closed => {
                let (endpoint, limit, budget) = (phase.endpoint, phase.requests, budget.clone());
                tasks.push(tokio::spawn(async move {
                    tokio::time::sleep_until(start.into()).await;
                    closed_loop(w, setup, endpoint, end, limit, budget).await
                }));
            }
        }
    }
    if let Pace::Open(rate) = phase.pace {
        let limit = phase.requests;
        let scheduler = std::thread::Builder::new()
            .name("baton-load-schedule".into())
            .spawn(move || schedule(rate, start, end, limit, queues));
        if let Err(e) = scheduler {
            tracing::error!(error = %e, "cannot start the scheduler thread");
        }
    }
    let mut samples = Samples::default();
    for t in tasks {
        match t.await {
            Ok(s) => samples.merge(s),
            Err(e) => tracing::error!(error = %e, "a load connection failed"),
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu = CpuMark::now(&setup.server_pids).since(&mark, seconds);
    let result = summarize(phase, connections, &mut samples, seconds, cpu, load_average);
    (result, samples.acked)
}

/// One worker per connection of `phase`, each connected (before the clock starts) to its
/// host, the hosts taken in turn.
async fn connect(setup: &Arc<Setup>, phase: &Phase, index: usize) -> Vec<Worker> {
    let connections = phase.connections.max(1);
    let mut workers = Vec::with_capacity(connections);
    for i in 0..connections {
        let host = i % setup.targets.len();
        let mix = Mix {
            keys: setup.keys.len(),
            escalate_share: setup.escalate_share,
            interleave: setup.interleave,
            run_id: format!("{}-p{index}", setup.run_id),
        };
        let mut conn = Conn::new(setup.targets[host].clone());
        let _ = conn.send(Method::GET, "/healthz", None, None).await;
        workers.push(Worker {
            conn,
            host,
            conversations: Conversations::new(mix, i),
            samples: Samples::default(),
        });
    }
    workers
}

/// Open loop: send each request at the time the scheduler intended, measuring the lag
/// when the connection was free by then; give up (counting the rest unsent) after the drain.
async fn open_loop(
    mut w: Worker,
    setup: Arc<Setup>,
    endpoint: Endpoint,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Instant>,
    start: Instant,
    give_up: Instant,
) -> Samples {
    let mut free_since = start;
    while let Some(intended) = rx.recv().await {
        let now = Instant::now();
        if now > give_up {
            w.samples.unsent += 1 + rx.len() as u64;
            rx.close();
            break;
        }
        if free_since <= intended {
            let lag = now.saturating_duration_since(intended);
            w.samples.lag_micros.push(lag.as_micros() as u32);
        }
        w.one(&setup, endpoint, intended).await;
        free_since = Instant::now();
    }
    w.samples
}

/// Closed loop: the next request as soon as the last is answered, until the end (or the
/// phase's shared request budget runs out).
async fn closed_loop(
    mut w: Worker,
    setup: Arc<Setup>,
    endpoint: Endpoint,
    end: Instant,
    limit: Option<u64>,
    budget: Arc<AtomicU64>,
) -> Samples {
    while Instant::now() < end {
        if let Some(limit) = limit {
            if budget.fetch_add(1, Ordering::Relaxed) >= limit {
                break;
            }
        }
        w.one(&setup, endpoint, Instant::now()).await;
    }
    w.samples
}

/// The phase's figures from its merged samples.
fn summarize(
    phase: &Phase,
    connections: usize,
    samples: &mut Samples,
    seconds: f64,
    cpu: CpuUse,
    load_average: Option<f64>,
) -> PhaseResult {
    let ok: u64 = samples
        .outcomes
        .iter()
        .filter(|(k, _)| k.starts_with('2'))
        .map(|(_, v)| v)
        .sum();
    let errors = samples
        .outcomes
        .iter()
        .filter(|(k, _)| !k.starts_with('2'))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let (mode, offered, lag) = match phase.pace {
        Pace::Open(r) => ("open", Some(r), Some(Latency::of(&mut samples.lag_micros))),
        Pace::Closed => ("closed", None, None),
    };
    PhaseResult {
        target: phase.endpoint.name().into(),
        mode: mode.into(),
        offered,
        connections,
        seconds,
        ok,
        errors,
        unsent: samples.unsent,
        per_sec: ok as f64 / seconds.max(1e-9),
        latency: Latency::of(&mut samples.micros),
        lag,
        escalations: (samples.escalations, samples.expected_escalations),
        cpu,
        load_average,
    }
}
