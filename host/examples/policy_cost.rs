//! What a policy costs by language: component size, compile time, cache-load time, the
//! smallest memory cap it runs under, and one decision in a fresh instance (as served).
//!
//! ```sh
//! cargo run --release -p baton --example policy_cost -- \
//!   rust=target/wasm32-wasip2/plugin/keyword_trigger.wasm='{"words":["person"]}' \
//!   python=plugins/python-example/out/policy.wasm js=plugins/js-example/out/policy.wasm
//! ```
//!
//! Each argument is `NAME=COMPONENT[=CONFIG_JSON]`; the results go to stdout as a Markdown
//! table (BENCHMARKS.md, "Python and JavaScript policies").

use baton::engine::{Engine, EngineOptions, Limits, PluginLabel, World};
use baton_plugin_sdk::{Clock, Conversation, Customer, Message, Role};
use std::path::Path;
use std::time::{Duration, Instant};

const DECISIONS: usize = 300;

fn engine(cache: &Path) -> Engine {
    let options = EngineOptions {
        max_instances: 16,
        cache_dir: Some(cache.to_path_buf()),
        ..EngineOptions::default()
    };
    Engine::new(options).unwrap_or_else(|e| panic!("{e}"))
}

/// A 20-message chat that stays with the bot, the customer a VIP with the business open.
fn conversation() -> Conversation {
    let messages = (0..20)
        .map(|i| Message {
            role: if i % 2 == 0 { Role::Customer } else { Role::Bot },
            text: if i % 2 == 0 {
                format!("the dryer outlet in unit {i} is warm to the touch, what do you charge to look at it?")
            } else {
                "We can send an electrician tomorrow morning; a visit is $95.".into()
            },
            at_ms: 1_789_000_000_000 + i * 60_000,
            intent: (i % 2 == 1).then(|| "pricing".into()),
            confidence: (i % 2 == 1).then_some(0.9),
        })
        .collect();
    Conversation {
        id: "bench".into(),
        channel: "web_chat".into(),
        customer: Customer {
            name: "Lena Ortiz".into(),
            tags: vec!["vip".into()],
            lifetime_value_usd: Some(12_000.0),
            ..Customer::default()
        },
        messages,
        clock: Clock {
            now_ms: 1_789_001_140_000,
            weekday: 2,
            minute_of_day: 600,
            open: true,
        },
    }
}

fn limits(mib: usize) -> Limits {
    Limits {
        memory_bytes: mib << 20,
        deadline: Duration::from_millis(2000),
    }
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Minor page faults of this process so far (Linux; 0 elsewhere).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is field 3, minflt 10.
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    rest.split(' ')
        .nth(7)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

async fn measure(name: &str, path: &Path, config: &str) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)?.len();
    let cache = tempfile::tempdir()?;
    let label = PluginLabel::new("bench", name);
    let start = Instant::now();
    engine(cache.path()).compile(path, World::Trigger).await?;
    let compile = start.elapsed();
    let cwasm = dir_size(cache.path());
    let fresh = engine(cache.path());
    let start = Instant::now();
    fresh.compile(path, World::Trigger).await?;
    let load = start.elapsed();

    let c = conversation();
    let mut min_mib = None;
    for mib in 1..=64 {
        let ok = match fresh
            .load_trigger(path, config, limits(mib), label.clone())
            .await
        {
            Ok(p) => p.evaluate(&c).await.fault.is_none(),
            Err(_) => false,
        };
        if ok {
            min_mib = Some(mib);
            break;
        }
    }
    let plugin = fresh.load_trigger(path, config, limits(64), label).await?;
    for _ in 0..20 {
        plugin.evaluate(&c).await;
    }
    let mut times = Vec::with_capacity(DECISIONS);
    let faults = minor_faults();
    for _ in 0..DECISIONS {
        let start = Instant::now();
        let got = plugin.evaluate(&c).await;
        times.push(start.elapsed());
        anyhow::ensure!(got.fault.is_none(), "{name} faulted: {:?}", got.fault);
    }
    let faults = (minor_faults() - faults) / DECISIONS as u64;
    times.sort();
    // The same call on one instance kept alive: what the policy itself costs, without
    // instantiation and `configure` (benchmark-only; serving never reuses an instance).
    let mut reused = plugin
        .reused_instance_for_benchmarks()
        .await
        .map_err(|f| anyhow::anyhow!("{f}"))?;
    let mut warm = Vec::with_capacity(DECISIONS);
    for _ in 0..DECISIONS {
        let start = Instant::now();
        reused
            .evaluate(&c)
            .await
            .map_err(|f| anyhow::anyhow!("{f}"))?;
        warm.push(start.elapsed());
    }
    warm.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Ok(format!(
        "| {name} | {} | {} | {:.1} | {:.1} | {} | {:.0} | {:.0} | {faults} | {:.0} |",
        mb(size),
        mb(cwasm),
        compile.as_secs_f64(),
        load.as_secs_f64() * 1e3,
        min_mib.map_or("> 64".to_string(), |m| m.to_string()),
        us(times[DECISIONS / 2]),
        us(times[DECISIONS * 9 / 10]),
        us(warm[DECISIONS / 2]),
    ))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    println!("| policy | component MB | compiled (.cwasm) MB | compile s | cache load ms | min memory MiB | decision µs (median) | p90 µs | page faults per decision | reused instance µs (median) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for arg in std::env::args().skip(1) {
        let mut parts = arg.splitn(3, '=');
        let (Some(name), Some(path)) = (parts.next(), parts.next()) else {
            anyhow::bail!("arguments are NAME=COMPONENT[=CONFIG_JSON], not `{arg}`");
        };
        let config = parts.next().unwrap_or("{}");
        println!("{}", measure(name, Path::new(path), config).await?);
    }
    Ok(())
}
