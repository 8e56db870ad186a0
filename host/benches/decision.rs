//! One standard-trigger decision on a 20-message conversation: natively, in the sandbox
//! with a fresh instance (the serving path), and in one reused instance (for comparison
//! only); plus compiling the plugin against loading it from the disk cache.
//!
//! `cargo bench -p baton --bench decision` (see `BENCHMARKS.md`). At the end it prints
//! each median as a ratio to the native median measured in the same run.

use baton::engine::{Engine, EngineOptions, Limits, PluginLabel, World};
use baton_plugin_sdk::{parse_config, Clock, Conversation, Customer, Message, Role};
use baton_plugin_sdk::{Decision, TriggerPolicy};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;
use standard_trigger::StandardTrigger;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A tenant's `[trigger.config]`, as the host hands it to the plugin (JSON).
const CONFIG: &str = r#"{"high_value_threshold_usd":8000,"high_value_jobs":["whole house repipe"],"emergency_terms":["sewage backing up"]}"#;

/// What one benchmark id is called in the summary.
const ID: &str = "standard_trigger_20_messages";

/// One turn: who, what, and for the bot its intent and confidence.
type Turn = (Role, &'static str, Option<(&'static str, f32)>);

/// A realistic plumbing chat: 10 bot and 10 customer turns; nothing escalates until the
/// customer's last message asks for a person.
fn conversation() -> Conversation {
    let turns: [Turn; 20] = [
        (Role::Bot, "Hi! Thanks for contacting Harbor Plumbing & Drain. How can I help you today?", Some(("greeting", 0.99))),
        (Role::Customer, "Hi, my kitchen sink has been draining really slowly for about a week.", None),
        (Role::Bot, "Sorry to hear that! Is it just the kitchen sink, or are other drains in the house slow too?", Some(("triage_scope", 0.93))),
        (Role::Customer, "Just the kitchen one I think. The bathroom sinks and the shower seem fine.", None),
        (Role::Bot, "Thanks. Have you tried a plunger or a drain cleaner yet?", Some(("triage_diy", 0.91))),
        (Role::Customer, "I tried plunging it a couple of times, it helped for a day and then went back to slow.", None),
        (Role::Bot, "That usually means a buildup further down the line. We can send a technician to snake the drain. Would you like to book a visit?", Some(("offer_booking", 0.9))),
        (Role::Customer, "Sure. How much does that usually cost?", None),
        (Role::Bot, "A standard drain cleaning is $149, which includes the service call. If the tech finds something bigger they will quote it before doing any work.", Some(("pricing", 0.88))),
        (Role::Customer, "OK that sounds reasonable. Do you have anything this Thursday?", None),
        (Role::Bot, "We have Thursday 10am-12pm or 2pm-4pm. Which window works better for you?", Some(("collect_slot", 0.92))),
        (Role::Customer, "The afternoon one please, 2 to 4.", None),
        (Role::Bot, "Got it, Thursday 2pm-4pm. Can I get the service address?", Some(("collect_address", 0.95))),
        (Role::Customer, "It's 418 Larkspur Lane, apartment B, around the back of the building.", None),
        (Role::Bot, "Thanks! And the best phone number for the technician to call when they're on the way?", Some(("collect_phone", 0.95))),
        (Role::Customer, "555-0142. Also the garbage disposal makes a humming noise, can they look at that too?", None),
        (Role::Bot, "Yes, I've added a note about the disposal. The tech can check it during the same visit.", Some(("add_note", 0.81))),
        (Role::Customer, "Great. One more thing, my landlord is supposed to pay for repairs, can you bill him directly?", None),
        (Role::Bot, "I'm not sure I understood. Could you tell me more about what you need help with?", Some(("fallback", 0.34))),
        (Role::Customer, "This is getting complicated, can I please talk to a real person about the billing part?", None),
    ];
    Conversation {
        id: "bench-conv-20".into(),
        channel: "web_chat".into(),
        customer: Customer {
            name: "Dana Ruiz".into(),
            phone: Some("555-0142".into()),
            ..Customer::default()
        },
        messages: turns
            .iter()
            .enumerate()
            .map(|(i, (role, text, bot))| Message {
                role: *role,
                text: text.to_string(),
                at_ms: 1_770_000_000_000 + i as i64 * 45_000,
                intent: bot.map(|(intent, _)| intent.to_string()),
                confidence: bot.map(|(_, c)| c),
            })
            .collect(),
        clock: Clock {
            now_ms: 1_770_000_000_000 + 20 * 45_000,
            weekday: 1,
            minute_of_day: 14 * 60 + 5,
            open: true,
        },
    }
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Cargo's target directory.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Build the plugin as `host/tests/all/support.rs` does and return its component's path.
/// `BATON_BENCH_WASM=path` measures a component built elsewhere (say, with other flags)
/// instead.
fn build_plugin() -> PathBuf {
    if let Some(path) = std::env::var_os("BATON_BENCH_WASM") {
        return PathBuf::from(path);
    }
    let status = std::process::Command::new(env!("CARGO"))
        .current_dir(root())
        .args([
            "build",
            "--quiet",
            "--target",
            "wasm32-wasip2",
            "--profile",
            "plugin",
            "-p",
            "standard-trigger",
        ])
        .status()
        .expect("run cargo");
    assert!(status.success(), "building standard-trigger failed");
    target_dir().join("wasm32-wasip2/plugin/standard_trigger.wasm")
}

/// The same per-decision work the sandbox does, natively: parse the config, build the
/// policy, evaluate.
fn native(conversation: &Conversation) -> Decision {
    let config = parse_config::<standard_trigger::Config>(CONFIG).expect("config");
    let policy = StandardTrigger::new(config).expect("policy");
    policy.evaluate(conversation)
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`): on a shared machine it
/// leaves out the time the benchmark sat preempted, which wall time does not. A decision
/// runs entirely on the calling thread (current-thread runtime; wasm runs on a fiber of that
/// thread; the kernel's page-fault and `madvise` work is charged to it too), so nothing of
/// it is missed. Chosen with `BATON_BENCH_CLOCK=cpu`.
struct ThreadCpu;

/// `clock_gettime(2)`'s result.
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

fn thread_cpu() -> Duration {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `struct timespec` (two `i64`s on x86_64 Linux).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        thread_cpu()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn decisions<M: Measurement + 'static>(
    c: &mut Criterion<M>,
    rt: &tokio::runtime::Runtime,
    wasm: &Path,
) {
    let conv = conversation();
    let expected = native(&conv);
    assert!(
        expected.escalate,
        "the last message should escalate: {expected:?}"
    );

    let engine = Engine::new(EngineOptions::default()).expect("engine");
    let limits = Limits::default();
    let plugin = rt
        .block_on(engine.load_trigger(wasm, CONFIG, limits, PluginLabel::new("bench", "trigger")))
        .expect("load standard-trigger");
    // The sandbox must give the native answer, or the comparison means nothing.
    let fresh = rt.block_on(plugin.evaluate(&conv));
    assert_eq!(fresh.fault, None);
    assert_eq!(fresh.decision, expected);
    let mut reused = rt
        .block_on(plugin.reused_instance_for_benchmarks())
        .expect("instance");
    assert_eq!(rt.block_on(reused.evaluate(&conv)).as_ref(), Ok(&expected));

    c.benchmark_group("native")
        .bench_function(ID, |b| b.iter(|| native(black_box(&conv))));
    c.benchmark_group("sandbox_fresh").bench_function(ID, |b| {
        b.iter(|| rt.block_on(plugin.evaluate(black_box(&conv))))
    });
    // A reused instance that faulted (say, preempted past its deadline on a busy machine)
    // cannot be entered again: replace it, and say so.
    let mut faults = 0;
    c.benchmark_group("sandbox_reused").bench_function(ID, |b| {
        b.iter(|| {
            let result = rt.block_on(reused.evaluate(black_box(&conv)));
            if result.is_err() {
                faults += 1;
                reused = rt
                    .block_on(plugin.reused_instance_for_benchmarks())
                    .expect("instance");
            }
            result
        })
    });
    if faults > 0 {
        println!("sandbox_reused: {faults} calls faulted and were replaced");
    }
}

fn loading(c: &mut Criterion, rt: &tokio::runtime::Runtime, wasm: &Path) {
    // Compile: no disk cache, and the previous result dropped so the in-memory cache
    // misses too.
    let engine = Engine::new(EngineOptions::default()).expect("engine");
    let before = engine.compilations();
    let mut g = c.benchmark_group("compile");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function(ID, |b| {
        b.iter(|| {
            rt.block_on(engine.compile(wasm, World::Trigger))
                .expect("compile")
        })
    });
    g.finish();
    // (Nothing ran when a filter skipped the group.)
    assert!(
        engine.compilations() == before || engine.compilations() > before + 1,
        "compile was served from a cache"
    );

    // Cache load: what a restarted host does (read, hash, deserialize the `.cwasm`).
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = Engine::new(EngineOptions {
        cache_dir: Some(dir.path().to_path_buf()),
        ..EngineOptions::default()
    })
    .expect("engine");
    drop(
        rt.block_on(engine.compile(wasm, World::Trigger))
            .expect("compile"),
    );
    let mut g = c.benchmark_group("cache_load");
    g.sample_size(20);
    g.bench_function(ID, |b| {
        b.iter(|| {
            rt.block_on(engine.compile(wasm, World::Trigger))
                .expect("load")
        })
    });
    g.finish();
    assert_eq!(engine.compilations(), 1, "cache_load compiled");
}

/// The median of `group`'s run in this invocation (not an older one), in ns, from
/// criterion's estimates.
fn median_ns(group: &str, since: std::time::SystemTime) -> Option<f64> {
    let file = target_dir()
        .join("criterion")
        .join(group)
        .join(ID)
        .join("new/estimates.json");
    if std::fs::metadata(&file).ok()?.modified().ok()? < since {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// What the component imports (a Rust guest that links std's I/O carries the WASI adapter).
fn print_imports(wasm: &Path) {
    let engine = wasmtime::Engine::default();
    let component = wasmtime::component::Component::from_file(&engine, wasm).expect("component");
    let imports: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let size = std::fs::metadata(wasm).map(|m| m.len()).unwrap_or(0);
    println!(
        "standard_trigger.wasm: {size} bytes, {} imports: {}",
        imports.len(),
        if imports.is_empty() {
            "none".to_string()
        } else {
            imports.join(", ")
        }
    );
}

fn main() {
    let started = std::time::SystemTime::now();
    let wasm = build_plugin();
    print_imports(&wasm);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let settings = |c: Criterion| {
        c.warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(50)
            .configure_from_args()
    };
    let cpu = std::env::var("BATON_BENCH_CLOCK").is_ok_and(|v| v == "cpu");
    println!(
        "decisions timed by {}",
        if cpu { "thread CPU time" } else { "wall time" }
    );
    if cpu {
        let mut c = settings(Criterion::default()).with_measurement(ThreadCpu);
        decisions(&mut c, &rt, &wasm);
    } else {
        decisions(&mut settings(Criterion::default()), &rt, &wasm);
    }
    // Compiling uses several threads: always wall time.
    let mut c = settings(Criterion::default());
    loading(&mut c, &rt, &wasm);
    c.final_summary();

    // Ratios against the native median of this same run.
    let Some(native) = median_ns("native", started) else {
        return;
    };
    println!("\nmedian per decision (ratio to native, same run):");
    for group in [
        "native",
        "sandbox_fresh",
        "sandbox_reused",
        "compile",
        "cache_load",
    ] {
        if let Some(ns) = median_ns(group, started) {
            println!("  {group:<15} {:>12.2} µs {:>10.1}×", ns / 1e3, ns / native);
        }
    }
}
