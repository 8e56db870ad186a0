//! What a phase measured: latencies (exact percentiles from every sample), statuses, and the
//! CPU time of the generator, the server processes and the whole machine (the generator and
//! the server share the cores, and so do other users of the machine).

use serde::Serialize;
use std::collections::BTreeMap;

/// Clock ticks per second in `/proc/*/stat` (`USER_HZ`, 100 on every Linux this runs on).
const USER_HZ: f64 = 100.0;

/// CPU seconds (user + system) a process has used, from `/proc/<pid>/stat`.
pub fn process_cpu(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

/// The machine's busy and total CPU seconds across all cores, from `/proc/stat`.
pub fn machine_cpu() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0.0);
    Some(((total - idle) / USER_HZ, total / USER_HZ))
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU readings at one instant.
#[derive(Debug, Clone)]
pub struct CpuMark {
    generator: Option<f64>,
    servers: Vec<Option<f64>>,
    machine: Option<(f64, f64)>,
}

impl CpuMark {
    /// Read now, for this process and `servers`.
    pub fn now(servers: &[u32]) -> Self {
        CpuMark {
            generator: process_cpu(None),
            servers: servers.iter().map(|p| process_cpu(Some(*p))).collect(),
            machine: machine_cpu(),
        }
    }

    /// CPU used since `earlier`, as cores busy over `wall` seconds.
    pub fn since(&self, earlier: &CpuMark, wall: f64) -> CpuUse {
        let per_sec = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if wall > 0.0 => Some((a - b) / wall),
            _ => None,
        };
        let server = if self.servers.is_empty() {
            None
        } else {
            self.servers
                .iter()
                .zip(&earlier.servers)
                .map(|(a, b)| per_sec(*a, *b))
                .sum::<Option<f64>>()
        };
        let (machine, cores) = match (self.machine, earlier.machine) {
            (Some((b1, t1)), Some((b0, t0))) if t1 > t0 => {
                let cores = (t1 - t0) / wall.max(1e-9);
                (Some((b1 - b0) / wall.max(1e-9)), Some(cores.round()))
            }
            _ => (None, None),
        };
        CpuUse {
            generator: per_sec(self.generator, earlier.generator),
            server,
            machine,
            cores,
        }
    }
}

/// CPU use over a phase, in cores (1.0 = one core busy the whole phase).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CpuUse {
    /// This process.
    pub generator: Option<f64>,
    /// The server processes named with `--server-pid`.
    pub server: Option<f64>,
    /// The whole machine (so others' work shows as `machine - generator - server`).
    pub machine: Option<f64>,
    /// Cores the machine has.
    pub cores: Option<f64>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Worst.
    pub max: f64,
}

impl Latency {
    /// Percentiles of `micros` (sorted in place): nearest rank.
    pub fn of(micros: &mut [u32]) -> Self {
        if micros.is_empty() {
            return Latency::default();
        }
        micros.sort_unstable();
        let at = |p: f64| {
            let rank = ((p * micros.len() as f64).ceil() as usize).clamp(1, micros.len());
            micros[rank - 1] as f64 / 1000.0
        };
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: micros[micros.len() - 1] as f64 / 1000.0,
        }
    }
}

/// An event the host acknowledged.
#[derive(Debug, Clone)]
pub struct Ack {
    /// The host it went to (index into the `--url` list).
    pub host: usize,
    /// The channel key that posted it (index into the key list).
    pub key: usize,
    /// Its conversation.
    pub conversation: String,
    /// Its text.
    pub text: &'static str,
}

/// What one connection recorded.
#[derive(Debug, Default)]
pub struct Samples {
    /// Latency of every answered request, in microseconds (from the intended send time in an
    /// open-loop phase).
    pub micros: Vec<u32>,
    /// How late requests went out after their intended time while the connection was idle
    /// (the generator's own timer and scheduling lag), in microseconds.
    pub lag_micros: Vec<u32>,
    /// Answers by status, and failures by kind (`io`, `connect`).
    pub outcomes: BTreeMap<String, u64>,
    /// Answers whose decision escalated.
    pub escalations: u64,
    /// Events the script expected to escalate that were acknowledged.
    pub expected_escalations: u64,
    /// Acknowledged events, kept when verifying.
    pub acked: Vec<Ack>,
    /// Requests scheduled in the window that never went out before the drain deadline.
    pub unsent: u64,
}

impl Samples {
    /// Fold `other` into this.
    pub fn merge(&mut self, other: Samples) {
        self.micros.extend(other.micros);
        self.lag_micros.extend(other.lag_micros);
        for (k, v) in other.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        self.escalations += other.escalations;
        self.expected_escalations += other.expected_escalations;
        self.acked.extend(other.acked);
        self.unsent += other.unsent;
    }
}

/// A phase's result.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseResult {
    /// `healthz` or `ingest`.
    pub target: String,
    /// `open` or `closed`.
    pub mode: String,
    /// Offered rate per second (open loop).
    pub offered: Option<f64>,
    /// Connections.
    pub connections: usize,
    /// Seconds from the first request to the last answer.
    pub seconds: f64,
    /// Requests answered 2xx.
    pub ok: u64,
    /// Every other outcome by status or failure kind.
    pub errors: BTreeMap<String, u64>,
    /// Scheduled requests that never went out.
    pub unsent: u64,
    /// 2xx answers per second.
    pub per_sec: f64,
    /// Latency of 2xx and other answers alike.
    pub latency: Latency,
    /// The generator's lag behind its schedule on idle connections (open loop), ms.
    pub lag: Option<Latency>,
    /// Decisions that escalated, and the events the scripts expected to.
    pub escalations: (u64, u64),
    /// CPU use.
    pub cpu: CpuUse,
    /// The 1-minute load average when the phase started.
    pub load_average: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<u32> = (1..=1000).map(|i| i * 1000).collect();
        let l = Latency::of(&mut v);
        assert_eq!(l.p50, 500.0);
        assert_eq!(l.p99, 990.0);
        assert_eq!(l.max, 1000.0);
        assert_eq!(Latency::of(&mut []).max, 0.0);
    }

    #[test]
    fn this_process_has_cpu_time() {
        assert!(process_cpu(None).is_some());
        assert!(machine_cpu().is_some_and(|(busy, total)| busy <= total));
    }
}
