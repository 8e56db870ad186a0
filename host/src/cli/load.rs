//! `baton load run | prepare`: the load generator's command line (the work is in
//! [`crate::load`]).

use crate::load::conn::{bearer, Conn, Target};
use crate::load::measure::{Ack, PhaseResult};
use crate::load::phase::{self, Endpoint, Pace, Phase, Setup};
use crate::load::{prepare, report, verify};
use hyper::header::HeaderValue;
use hyper::Method;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Load commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Drive running hosts with conversation events and report throughput and latency.
    Run(RunArgs),
    /// Make a policies folder and a channel key per tenant for a host to load.
    Prepare(PrepareArgs),
}

/// Arguments of `baton load run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// A host's root URL; repeat to spread connections round-robin over several hosts.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    pub urls: Vec<String>,
    /// A keys file (`NAME_CHANNEL_KEY=secret` lines, as `baton-data/demo-keys.env` or
    /// `baton load prepare` writes); conversations are spread over its channel keys.
    #[arg(long)]
    pub keys: PathBuf,
    /// Open-loop phases: offered ingest rates in events per second, e.g. `1000,2000,5000`
    /// (`none` for no open-loop phase).
    #[arg(long, default_value = "1000,2000,5000")]
    pub rates: String,
    /// Connections for the open-loop phases.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Closed-loop phases at saturation: connections of each, e.g. `16,64` (`none` for no
    /// closed-loop phase).
    #[arg(long, default_value = "64")]
    pub saturate: String,
    /// Seconds each phase offers load.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of closed-loop ingest before the phases (not reported).
    #[arg(long, default_value_t = 3.0)]
    pub warmup: f64,
    /// The baseline run just before each ingest phase, with the same pace: `healthz`
    /// (`GET /healthz`: HTTP without key, store or policy) or `none`.
    #[arg(long, default_value = "healthz")]
    pub baseline: String,
    /// Share of conversations that escalate (0.0 to 1.0).
    #[arg(long, default_value_t = 0.03)]
    pub escalate: f64,
    /// Conversations each connection interleaves.
    #[arg(long, default_value_t = 4)]
    pub interleave: usize,
    /// A server process whose CPU time to report (repeatable).
    #[arg(long = "server-pid")]
    pub server_pids: Vec<u32>,
    /// Each phase stops after this many requests if its duration has not run out first (a
    /// smoke test).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Read every acknowledged event back from its host afterwards (exit 1 if one is missing).
    #[arg(long)]
    pub verify: bool,
    /// Exit 1 on any failed request (non-2xx, connection error, or unsent).
    #[arg(long)]
    pub strict: bool,
    /// Also write the report as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Seconds to wait for the hosts to answer `/healthz` before starting.
    #[arg(long, default_value_t = 60.0)]
    pub wait: f64,
}

/// Arguments of `baton load prepare`.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// The folder to fill: `policies/`, `data/` (unless `--data`) and `keys.env`.
    #[arg(long)]
    pub dir: PathBuf,
    /// Generate this many tenants (`t00000`...) from `acme-plumbing.toml`; 0: the demo tenants.
    #[arg(long, default_value_t = 0)]
    pub tenants: usize,
    /// Where the demo tenants and their built plugins are.
    #[arg(long, default_value_os_t = super::default_policies())]
    pub policies: PathBuf,
    /// The store to create the keys in (default: `<dir>/data`).
    #[arg(long)]
    pub data: Option<String>,
}

/// Run a load command.
pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Run(args) => load(args).await,
        Command::Prepare(args) => prepare_dir(args).await,
    }
}

async fn prepare_dir(args: PrepareArgs) -> anyhow::Result<ExitCode> {
    let policies = args.dir.join("policies");
    std::fs::create_dir_all(&policies)?;
    prepare::copy_plugins(&args.policies.join("plugins"), &policies.join("plugins"))?;
    let tenants: Vec<String> = if args.tenants == 0 {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&args.policies)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                if let (Some(stem), Some(file)) = (path.file_stem(), path.file_name()) {
                    let text = std::fs::read_to_string(&path)?;
                    std::fs::write(policies.join(file), prepare::unlimited(&text))?;
                    names.push(stem.to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        names
    } else {
        let template = std::fs::read_to_string(args.policies.join("acme-plumbing.toml"))?;
        prepare::write_many_tenants(&template, &policies, args.tenants)?;
        (0..args.tenants).map(|i| format!("t{i:05}")).collect()
    };
    let data = args
        .data
        .unwrap_or_else(|| args.dir.join("data").to_string_lossy().into_owned());
    let store = crate::store::open(&data).await?;
    let keys = prepare::channel_keys(&store, &tenants).await?;
    let keys_file = args.dir.join("keys.env");
    std::fs::write(&keys_file, keys)?;
    println!(
        "{} tenants in {}; their channel keys in {}\nserve with: baton serve --policies {} --data {}",
        tenants.len(),
        policies.display(),
        keys_file.display(),
        policies.display(),
        data
    );
    Ok(ExitCode::SUCCESS)
}

async fn wait_ready(targets: &[Target], wait: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + wait;
    for t in targets {
        let mut conn = Conn::new(t.clone());
        loop {
            match conn.send(Method::GET, "/healthz", None, None).await {
                Ok(a) if a.status == 200 => break,
                _ if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                Ok(a) => anyhow::bail!("{}/healthz answered {}", t.authority, a.status),
                Err(e) => anyhow::bail!("{} does not answer: {e}", t.authority),
            }
        }
    }
    Ok(())
}

/// A comma-separated list of numbers; empty or `none` is no number.
fn numbers<T: std::str::FromStr>(flag: &str, text: &str) -> anyhow::Result<Vec<T>> {
    if text.trim().is_empty() || text.trim() == "none" {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|n| {
            n.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("`--{flag} {text}`: `{n}` is not a number"))
        })
        .collect()
}

async fn load(args: RunArgs) -> anyhow::Result<ExitCode> {
    let (targets, keys, baseline) = checked(&args)?;
    wait_ready(&targets, Duration::from_secs_f64(args.wait.max(0.0))).await?;
    let run_id = format!(
        "ld{}",
        jiff::Timestamp::now().as_millisecond() % 100_000_000_000
    );
    let setup = Arc::new(Setup {
        targets: targets.clone(),
        keys: keys.clone(),
        escalate_share: args.escalate,
        interleave: args.interleave,
        run_id,
        keep_acks: args.verify,
        server_pids: args.server_pids.clone(),
        drain: Duration::from_secs(10),
    });
    let (phases, acks) = run_phases(&setup, &args, &plan(&args, baseline)?).await;
    let verified = if args.verify {
        Some(verify::verify(&targets, &keys, acks, 8).await)
    } else {
        None
    };
    let ratios = report::ratios(&phases);
    let report = report::Report {
        urls: args.urls.clone(),
        keys: keys.len(),
        phases,
        ratios,
        verified,
    };
    print!("{}", report::text(&report));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    let failed = report
        .phases
        .iter()
        .any(|p| !p.errors.is_empty() || p.unsent > 0);
    let lost = report
        .verified
        .as_ref()
        .is_some_and(|v| !v.missing.is_empty());
    Ok(if lost || (args.strict && failed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The flags checked: the targets, the channel keys as bearer headers, and whether each
/// phase gets a `/healthz` baseline.
fn checked(args: &RunArgs) -> anyhow::Result<(Vec<Target>, Vec<HeaderValue>, bool)> {
    let targets = args
        .urls
        .iter()
        .map(|u| Target::parse(u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let text = std::fs::read_to_string(&args.keys)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.keys.display()))?;
    let secrets = prepare::read_channel_keys(&text);
    if secrets.is_empty() {
        anyhow::bail!(
            "{} has no `NAME_CHANNEL_KEY=secret` line",
            args.keys.display()
        );
    }
    let keys = secrets
        .iter()
        .map(|s| bearer(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    let baseline = match args.baseline.as_str() {
        "healthz" => true,
        "none" => false,
        other => anyhow::bail!("`--baseline {other}`: use `healthz` or `none`"),
    };
    if !(0.0..=1.0).contains(&args.escalate) {
        anyhow::bail!("`--escalate` is a share from 0.0 to 1.0");
    }
    if !args.duration.is_finite()
        || args.duration <= 0.0
        || !args.warmup.is_finite()
        || args.warmup < 0.0
    {
        anyhow::bail!("`--duration` must be above 0 and `--warmup` at least 0");
    }
    Ok((targets, keys, baseline))
}

/// The measured phases: one per `--rates` rate (open loop) and per `--saturate` count
/// (closed loop), each after its `/healthz` baseline when asked for.
fn plan(args: &RunArgs, baseline: bool) -> anyhow::Result<Vec<Phase>> {
    let rates: Vec<f64> = numbers("rates", &args.rates)?;
    let saturate: Vec<usize> = numbers("saturate", &args.saturate)?;
    if rates.iter().any(|r| !r.is_finite() || *r <= 0.0) {
        anyhow::bail!("`--rates` are events per second above 0");
    }
    let duration = Duration::from_secs_f64(args.duration);
    let mut plan = Vec::new();
    let mut add = |endpoint, pace, connections| {
        if baseline {
            plan.push(Phase {
                endpoint: Endpoint::Healthz,
                pace,
                connections,
                duration,
                requests: args.requests,
            });
        }
        plan.push(Phase {
            endpoint,
            pace,
            connections,
            duration,
            requests: args.requests,
        });
    };
    for r in &rates {
        add(Endpoint::Ingest, Pace::Open(*r), args.connections);
    }
    for c in &saturate {
        add(Endpoint::Ingest, Pace::Closed, *c);
    }
    Ok(plan)
}

/// The warm-up (when asked for, not reported) and then every phase in order; the reports
/// and every acknowledged event.
async fn run_phases(
    setup: &Arc<Setup>,
    args: &RunArgs,
    plan: &[Phase],
) -> (Vec<PhaseResult>, Vec<Ack>) {
    let mut phases = Vec::new();
    let mut acks = Vec::new();
    if args.warmup > 0.0 {
        let saturate: Vec<usize> = numbers("saturate", &args.saturate).unwrap_or_default();
        let warm = Phase {
            endpoint: Endpoint::Ingest,
            pace: Pace::Closed,
            connections: saturate.first().copied().unwrap_or(16),
            duration: Duration::from_secs_f64(args.warmup),
            requests: None,
        };
        let (r, a) = phase::run(setup, &warm, 0).await;
        tracing::info!(per_sec = r.per_sec, "warm-up done");
        acks.extend(a);
    }
    for (i, p) in plan.iter().enumerate() {
        let (r, a) = phase::run(setup, p, i + 1).await;
        eprintln!(
            "{} {:?} x{}: {:.0}/s, p99 {:.2} ms",
            r.target, p.pace, r.connections, r.per_sec, r.latency.p99
        );
        phases.push(r);
        acks.extend(a);
    }
    (phases, acks)
}
