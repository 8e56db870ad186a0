//! Python and JavaScript policies, built from source in the test run with their own build
//! scripts (`plugins/python-example/build`, `plugins/js-example/build`, which install
//! componentize-py / componentize-js when missing): loaded as tenants (self-tests included),
//! deciding on labelled conversations, replayed with `baton replay`, hot-reloaded from an
//! edited source, and contained when they loop or hoard memory.
//!
//! Components are cached by source hash under `target/policy-cache/` and compiled machine
//! code under `target/test-compiled/`, so a re-run neither rebuilds nor recompiles them.

use crate::support::{plugin, root};
use baton::engine::{Engine, EngineOptions, FaultKind, Limits, PluginLabel};
use baton::tenants::{self, ReloadOutcome, Tenants};
use baton_plugin_sdk::fixtures::{self, Fixture};
use baton_plugin_sdk::Role;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A scripting language with an example policy in `plugins/`.
#[derive(Debug, Clone, Copy)]
pub enum Lang {
    Python,
    Js,
}

impl Lang {
    /// The example's folder (and tenant) name.
    pub fn example(self) -> &'static str {
        match self {
            Lang::Python => "python-example",
            Lang::Js => "js-example",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Lang::Python => "py",
            Lang::Js => "js",
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Lang::Python => "componentize-py (from PyPI)",
            Lang::Js => "componentize-js (from npm)",
        }
    }
}

/// Run `script` (a policy build script) with `args`; a failure fails the test with its output.
pub fn run_build(script: &Path, args: &[&Path], what: &str) {
    let out = std::process::Command::new(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", script.display()));
    assert!(
        out.status.success(),
        "building {what} with `{}` failed ({}):\n{}{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Build `source` (the example's own policy by default) with the example's build script.
pub fn build(lang: Lang, source: Option<&Path>, out: &Path) -> PathBuf {
    let dir = root().join("plugins").join(lang.example());
    let source = source
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(format!("policy.{}", lang.ext())));
    let what = format!("a {lang:?} policy (the build installs {})", lang.tool());
    run_build(&dir.join("build"), &[&source, out], &what);
    out.to_path_buf()
}

/// The engine for these tests: a compile cache under `target/` so re-runs load machine code.
pub fn engine() -> Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            Engine::new(EngineOptions {
                max_instances: 32,
                cache_dir: Some(root().join("target/test-compiled")),
                ..EngineOptions::default()
            })
            .expect("engine")
        })
        .clone()
}

/// The example's tenant file, pointed at `plugins/` in a temporary policies folder, with a
/// deadline generous enough for an unoptimised test build on a busy machine.
fn example_policies(lang: Lang, component: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    std::fs::copy(component, plugins.join("policy.wasm")).unwrap();
    std::fs::copy(plugin("skills-router"), plugins.join("skills-router.wasm")).unwrap();
    let name = lang.example();
    let text = std::fs::read_to_string(root().join(format!("plugins/{name}/policies/{name}.toml")))
        .unwrap()
        .replace("\"../out/policy.wasm\"", "\"plugins/policy.wasm\"")
        .replace(
            "\"../../../policies/plugins/skills-router.wasm\"",
            "\"plugins/skills-router.wasm\"",
        )
        .replace("deadline_ms = 100", "deadline_ms = 1000");
    std::fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    dir
}

/// The index of the first customer message at which `version`'s trigger escalates.
async fn first_escalation(version: &tenants::TenantVersion, f: &Fixture) -> Option<usize> {
    for (i, m) in f.messages.iter().enumerate() {
        if m.role != Role::Customer {
            continue;
        }
        let mut c = f.conversation_until(i);
        c.clock = version
            .config
            .clock_at(jiff::Timestamp::from_millisecond(c.clock.now_ms).unwrap_or_default());
        let got = version.trigger.evaluate(&c).await;
        assert!(got.fault.is_none(), "{}: {:?}", f.id, got.fault);
        if got.decision.escalate {
            return Some(i);
        }
    }
    None
}

async fn example_is_served_replayed_and_reloaded(lang: Lang) {
    let work = tempfile::tempdir().unwrap();
    let component = build(lang, None, &work.path().join("policy.wasm"));
    let policies = example_policies(lang, &component);
    let tenants = Tenants::new(engine(), policies.path());
    for (file, outcome) in tenants.load_all().await {
        assert!(
            matches!(outcome, ReloadOutcome::Activated(_)),
            "{}: {}",
            file.display(),
            tenants
                .status()
                .into_iter()
                .filter_map(|s| s.last_error)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let name = lang.example();
    let v1 = tenants.get(name).expect("the example tenant is served");

    // Every labelled conversation escalates where (and why) its label says, or never.
    let dir = root().join("plugins").join(name);
    let labelled = fixtures::read_file(&dir.join("fixtures.jsonl")).unwrap();
    assert!(labelled.len() >= 8);
    for f in &labelled {
        let expect = f.expect.as_ref().unwrap();
        let at = first_escalation(&v1, f).await;
        assert_eq!(at, expect.at_message, "{}", f.id);
    }

    // `baton replay` scores the same file through the sandbox.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["replay", "--policies"])
        .arg(policies.path())
        .args(["--tenant", name, "--format", "json", "--conversations"])
        .arg(dir.join("fixtures.jsonl"))
        .env("BATON_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
    assert_eq!(summary["summary"]["f1"], 1.0, "{stdout}");

    // Hot reload: an edited source, rebuilt and renamed over the served component.
    let _watch = tenants::watch(tenants.clone()).unwrap();
    let source = std::fs::read_to_string(dir.join(format!("policy.{}", lang.ext()))).unwrap();
    let edited = source.replace(
        "A VIP customer wrote while the business is closed.",
        "A VIP customer wrote after hours (edited).",
    );
    assert_ne!(source, edited);
    let edited_src = work.path().join(format!("policy.{}", lang.ext()));
    std::fs::write(&edited_src, edited).unwrap();
    let rebuilt = build(lang, Some(&edited_src), &work.path().join("edited.wasm"));
    let served = policies.path().join("plugins/policy.wasm");
    let tmp = policies.path().join("plugins/.policy.wasm.tmp");
    std::fs::copy(&rebuilt, &tmp).unwrap();
    std::fs::rename(&tmp, &served).unwrap();
    let start = Instant::now();
    let v2 = loop {
        match tenants.get(name) {
            Some(v) if v.id != v1.id => break v,
            _ => {}
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "the edited {lang:?} policy was not served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let vip_at_night = labelled.iter().find(|f| f.id.ends_with("-04")).unwrap();
    let mut c = vip_at_night.conversation_until(0);
    c.clock = v2
        .config
        .clock_at(jiff::Timestamp::from_millisecond(c.clock.now_ms).unwrap());
    let got = v2.trigger.evaluate(&c).await;
    assert!(got.fault.is_none(), "{:?}", got.fault);
    assert_eq!(
        got.decision.explanation,
        "A VIP customer wrote after hours (edited)."
    );
    // The version in flight before the swap still answers as it did.
    let old = v1.trigger.evaluate(&c).await;
    assert_eq!(
        old.decision.explanation,
        "A VIP customer wrote while the business is closed."
    );
}

/// A looping and a memory-hungry variant are stopped with the safe decision, and the next
/// call on the same plugin works.
async fn misbehaving_variant_is_contained(lang: Lang) {
    let work = tempfile::tempdir().unwrap();
    let source = root().join(format!(
        "plugins/{}/tests/chaos.{}",
        lang.example(),
        lang.ext()
    ));
    let component = build(lang, Some(&source), &work.path().join("chaos.wasm"));
    let limits = Limits {
        memory_bytes: 48 << 20,
        deadline: Duration::from_millis(300),
    };
    let conversation = crate::support::conversation(&[("customer", "hello")]);
    for (mode, kind) in [
        ("loop", FaultKind::Timeout),
        ("oom", FaultKind::OutOfMemory),
    ] {
        let p = engine()
            .load_trigger(
                &component,
                &format!(r#"{{"mode":"{mode}"}}"#),
                limits,
                PluginLabel::new(lang.example(), "chaos"),
            )
            .await
            .unwrap_or_else(|e| panic!("{lang:?} chaos ({mode}): {e}"));
        let got = p.evaluate(&conversation).await;
        let fault = got
            .fault
            .unwrap_or_else(|| panic!("{lang:?} {mode} was not stopped"));
        assert_eq!(fault.kind, kind, "{lang:?} {mode}: {fault}");
        assert!(got.decision.escalate, "the safe decision escalates");
        assert!(got.elapsed < Duration::from_secs(5), "{:?}", got.elapsed);
    }
    let ok = engine()
        .load_trigger(
            &component,
            r#"{"mode":"ok"}"#,
            limits,
            PluginLabel::new("t", "chaos"),
        )
        .await
        .unwrap();
    let got = ok.evaluate(&conversation).await;
    assert!(
        got.fault.is_none() && !got.decision.escalate,
        "{:?}",
        got.fault
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_example_is_served_replayed_and_reloaded() {
    example_is_served_replayed_and_reloaded(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_example_is_served_replayed_and_reloaded() {
    example_is_served_replayed_and_reloaded(Lang::Js).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_policy_that_loops_or_hoards_memory_is_contained() {
    misbehaving_variant_is_contained(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_policy_that_loops_or_hoards_memory_is_contained() {
    misbehaving_variant_is_contained(Lang::Js).await;
}
