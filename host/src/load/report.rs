//! The run's report: one row per phase, then each ingest phase as ratios against the
//! baseline phase of the same pace in the same run.

use super::measure::PhaseResult;
use super::verify::Verified;
use serde::Serialize;
use std::fmt::Write as _;

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The hosts.
    pub urls: Vec<String>,
    /// Channel keys used (tenants).
    pub keys: usize,
    /// The phases in the order they ran.
    pub phases: Vec<PhaseResult>,
    /// Ingest phases against their baseline.
    pub ratios: Vec<Ratio>,
    /// The store check, when asked for.
    pub verified: Option<Verified>,
}

/// An ingest phase against the baseline phase of the same pace.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// `closed xN` or `open R/s`.
    pub pace: String,
    /// Ingest answers per second over the baseline's.
    pub per_sec: f64,
    /// Ingest p50 over the baseline's.
    pub p50: f64,
    /// Ingest p99 over the baseline's.
    pub p99: f64,
    /// Server CPU per ingest over server CPU per baseline request.
    pub server_cpu_per_request: Option<f64>,
}

fn pace(p: &PhaseResult) -> String {
    match p.offered {
        Some(r) => format!("open {r:.0}/s x{}", p.connections),
        None => format!("closed x{}", p.connections),
    }
}

/// Server CPU microseconds per answered request.
pub fn server_us_per_request(p: &PhaseResult) -> Option<f64> {
    p.cpu
        .server
        .map(|c| c * p.seconds * 1e6 / (p.ok.max(1)) as f64)
}

/// Pair each ingest phase with the latest baseline phase of the same pace before it.
pub fn ratios(phases: &[PhaseResult]) -> Vec<Ratio> {
    let mut out = Vec::new();
    for (i, p) in phases.iter().enumerate() {
        if p.target != "ingest" {
            continue;
        }
        let base = phases[..i]
            .iter()
            .rev()
            .find(|b| b.target == "healthz" && pace(b) == pace(p));
        if let Some(b) = base {
            let div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
            out.push(Ratio {
                pace: pace(p),
                per_sec: div(p.per_sec, b.per_sec),
                p50: div(p.latency.p50, b.latency.p50),
                p99: div(p.latency.p99, b.latency.p99),
                server_cpu_per_request: server_us_per_request(p)
                    .zip(server_us_per_request(b))
                    .map(|(a, b)| div(a, b)),
            });
        }
    }
    out
}

fn cores(v: Option<f64>) -> String {
    v.map(|c| format!("{c:.2}")).unwrap_or_else(|| "-".into())
}

/// The report as text.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "hosts: {}; channel keys: {}; latency in ms (open loop: from the intended send time)",
        r.urls.join(", "),
        r.keys
    );
    let _ = writeln!(
        s,
        "{:<8} {:<18} {:>9} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7} {:>6} {:>6} {:>7} {:>6} {:>5}  errors",
        "what", "pace", "ok/s", "p50", "p90", "p99", "p99.9", "max", "srv µs", "gen", "srv", "machine", "lag99", "load"
    );
    for p in &r.phases {
        let errors: Vec<String> = p
            .errors
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .chain((p.unsent > 0).then(|| format!("unsent:{}", p.unsent)))
            .collect();
        let _ = writeln!(
            s,
            "{:<8} {:<18} {:>9.0} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>8.2} {:>7} {:>6} {:>6} {:>7} {:>6} {:>5}  {}",
            p.target,
            pace(p),
            p.per_sec,
            p.latency.p50,
            p.latency.p90,
            p.latency.p99,
            p.latency.p999,
            p.latency.max,
            server_us_per_request(p)
                .map(|u| format!("{u:.0}"))
                .unwrap_or_else(|| "-".into()),
            cores(p.cpu.generator),
            cores(p.cpu.server),
            cores(p.cpu.machine),
            p.lag
                .as_ref()
                .map(|l| format!("{:.2}", l.p99))
                .unwrap_or_else(|| "-".into()),
            p.load_average
                .map(|l| format!("{l:.1}"))
                .unwrap_or_else(|| "-".into()),
            if errors.is_empty() {
                "none".to_string()
            } else {
                errors.join(" ")
            },
        );
    }
    let escalations: (u64, u64) = r.phases.iter().fold((0, 0), |a, p| {
        (a.0 + p.escalations.0, a.1 + p.escalations.1)
    });
    let _ = writeln!(
        s,
        "escalating decisions: {} (the scripts' escalating events acknowledged: {})",
        escalations.0, escalations.1
    );
    if !r.ratios.is_empty() {
        let _ = writeln!(s, "\ningest against the healthz baseline of the same pace:");
        let _ = writeln!(
            s,
            "{:<18} {:>9} {:>7} {:>7} {:>12}",
            "pace", "ok/s", "p50", "p99", "srv CPU/req"
        );
        for x in &r.ratios {
            let _ = writeln!(
                s,
                "{:<18} {:>8.2}x {:>6.1}x {:>6.1}x {:>11}",
                x.pace,
                x.per_sec,
                x.p50,
                x.p99,
                x.server_cpu_per_request
                    .map(|c| format!("{c:.1}x"))
                    .unwrap_or_else(|| "-".into())
            );
        }
    }
    if let Some(v) = &r.verified {
        let _ = writeln!(
            s,
            "\nstore check: {} acknowledged events in {} conversations read back; {} missing",
            v.events,
            v.conversations,
            v.missing.len()
        );
        for m in v.missing.iter().take(20) {
            let _ = writeln!(s, "  missing: {m}");
        }
    }
    s.push_str(
        "columns: srv µs = server CPU per answered request; gen/srv/machine = cores busy \
         (this generator, the --server-pid processes, the whole machine); lag99 = p99 of how \
         late the generator sent on an idle connection; load = 1-minute load average at the start\n",
    );
    s
}
