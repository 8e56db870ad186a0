//! The sandbox with real plugins: each chaos mode is contained, yields the safe decision
//! and records its fault kind, and other tenants carry on.

use crate::support::{conversation, engine, limits, plugin, trigger};
use baton::engine::{ContractError, Engine, EngineOptions, FaultKind, LoadError, PluginLabel};
use baton_plugin_sdk::Reason;

fn chaos_config(mode: &str) -> String {
    format!(r#"{{"mode":"{mode}"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_plugin_decides_without_fault() {
    let ok = trigger("acme", "chaos", &chaos_config("ok")).await;
    let e = ok.evaluate(&conversation(&[("customer", "hi")])).await;
    assert_eq!(e.fault, None);
    assert!(!e.decision.escalate);
}

async fn assert_contained(mode: &str, kind: FaultKind) {
    let bad = trigger("bad-tenant", "chaos", &chaos_config(mode)).await;
    let good = trigger("good-tenant", "chaos", &chaos_config("ok")).await;
    let c = conversation(&[("customer", "my basement is flooding")]);
    // The misbehaving tenant and a healthy one, at the same time.
    let (bad_eval, good_eval) = tokio::join!(bad.evaluate(&c), good.evaluate(&c));
    let fault = bad_eval
        .fault
        .unwrap_or_else(|| panic!("mode {mode} recorded no fault"));
    assert_eq!(fault.kind, kind, "mode {mode}: {fault}");
    assert!(bad_eval.decision.escalate, "the safe decision escalates");
    assert_eq!(
        bad_eval.decision.reason,
        Some(Reason::Custom("policy_fault".into()))
    );
    assert_eq!(good_eval.fault, None, "the other tenant is unaffected");
    // The same plugin keeps serving after a fault: every call gets a fresh instance.
    let again = bad.evaluate(&c).await;
    assert_eq!(again.fault.map(|f| f.kind), Some(kind));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_is_stopped_by_the_deadline() {
    assert_contained("loop", FaultKind::Timeout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unbounded_allocation_hits_the_memory_cap() {
    assert_contained("oom", FaultKind::OutOfMemory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_is_a_fault_not_a_crash() {
    assert_contained("trap", FaultKind::Trap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_output_is_refused() {
    assert_contained("garbage", FaultKind::InvalidOutput).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_the_plugin_refuses_is_a_load_error() {
    let err = engine()
        .load_trigger(
            &plugin("chaos"),
            r#"{"mood":"loop"}"#,
            limits(),
            PluginLabel::new("acme", "chaos"),
        )
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(matches!(err, LoadError::Config { .. }), "{text}");
    assert!(text.contains("unknown field `mood`"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_plugin_named_as_a_trigger_is_refused() {
    let err = engine()
        .load_trigger(
            &plugin("skills-router"),
            "{}",
            limits(),
            PluginLabel::new("acme", "router"),
        )
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            err,
            LoadError::Contract {
                source: ContractError::WrongWorld { .. },
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("is a routing policy"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_for_another_contract_version_is_refused_naming_both() {
    // A minimal component that exports the trigger interface of a future major version.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.wasm");
    let wat = r#"(component
        (core module $m (func (export "f")))
        (core instance $i (instantiate $m))
        (func $f (canon lift (core func $i "f")))
        (instance $api (export "configure" (func $f)))
        (export "baton:policy/trigger@1.0.0" (instance $api)))"#;
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    let err = engine()
        .load_trigger(&path, "{}", limits(), PluginLabel::new("acme", "future"))
        .await
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(text.contains("`baton:policy@1.0.0`"), "{text}");
    assert!(text.contains("`baton:policy@0.1.0`"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_sharing_a_plugin_compile_it_once() {
    // A private engine, so other tests' compilations don't count.
    let engine = Engine::new(EngineOptions::default()).unwrap();
    let path = plugin("chaos");
    let load = |tenant: &'static str| {
        engine.load_trigger(
            &path,
            r#"{"mode":"ok"}"#,
            limits(),
            PluginLabel::new(tenant, "chaos"),
        )
    };
    let a = load("shared-a").await.unwrap();
    let b = load("shared-b").await.unwrap();
    assert_eq!(a.digest(), b.digest());
    assert_eq!(engine.compilations(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_loads_the_compiled_plugin_from_the_disk_cache() {
    let dir = tempfile::tempdir().unwrap();
    let options = || EngineOptions {
        cache_dir: Some(dir.path().to_path_buf()),
        ..EngineOptions::default()
    };
    let path = plugin("chaos");
    let first = Engine::new(options()).unwrap();
    first
        .load_trigger(&path, "{}", limits(), PluginLabel::new("t", "chaos"))
        .await
        .unwrap();
    assert_eq!(first.compilations(), 1);
    let second = Engine::new(options()).unwrap();
    let p = second
        .load_trigger(&path, "{}", limits(), PluginLabel::new("t", "chaos"))
        .await
        .unwrap();
    assert_eq!(second.compilations(), 0, "served from the disk cache");
    assert_eq!(
        p.evaluate(&conversation(&[("customer", "hi")])).await.fault,
        None
    );
}
