//! `baton new policy` in every language: the project it writes builds with its own build
//! script (`baton build`) and passes its self-tests (`baton check`), and a routing project's
//! policy routes.

use crate::scripted::engine;
use crate::support::{plugin, root};
use baton::tenants::{ReloadOutcome, Tenants};
use baton_plugin_sdk::{Agent, Clock, Customer, Presence, Priority, Reason, Roster, RouteRequest};
use std::path::Path;
use std::process::Command;

/// `baton new policy NAME --lang LANG --world WORLD` in a temporary folder, then
/// `baton build`; returns the project folder.
fn new_and_build(name: &str, lang: &str, world: &str) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join(name);
    let stock = work.path().join("stock");
    let sdk = root().join("plugin-sdk");
    std::fs::create_dir_all(&stock).unwrap();
    for p in ["skills-router", "standard-trigger"] {
        std::fs::copy(plugin(p), stock.join(format!("{p}.wasm"))).unwrap();
    }
    let baton = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(args)
            // Tools and built components are shared with the examples' builds under target/.
            .env("BATON_TOOLS", root().join("target/policy-tools"))
            .env(
                "BATON_BUILD_CACHE",
                root().join("target/policy-cache/scaffold"),
            )
            .env("CARGO_TARGET_DIR", root().join("target/scaffold-rust"))
            .output()
            .unwrap()
    };
    let out = baton(&[
        "new".as_ref(),
        "policy".as_ref(),
        name.as_ref(),
        "--lang".as_ref(),
        lang.as_ref(),
        "--world".as_ref(),
        world.as_ref(),
        "--dir".as_ref(),
        dir.as_os_str(),
        "--stock".as_ref(),
        stock.as_os_str(),
        // Named, not found from where `baton` was built: a shared target folder may hold a
        // `baton` built from another checkout.
        "--sdk".as_ref(),
        sdk.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if lang == "rust" {
        // The workspace's lock file: the same dependency versions, nothing new to fetch.
        std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    } else {
        let wit = std::fs::read_to_string(dir.join("wit/policy.wit")).unwrap();
        assert_eq!(
            wit,
            baton_plugin_sdk::WIT,
            "the scaffold's WIT is the SDK's"
        );
    }
    let out = baton(&["build".as_ref(), dir.as_os_str()]);
    assert!(
        out.status.success(),
        "`baton build` of the {lang} {world} scaffold failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("out/policy.wasm").is_file());
    work
}

/// Load the project's tenant (as `baton check` does: plugins, config, self-tests).
async fn check(project: &Path, name: &str) -> std::sync::Arc<Tenants> {
    let text = std::fs::read_to_string(project.join(format!("policies/{name}.toml"))).unwrap();
    // A deadline generous enough for an unoptimised test build on a busy machine.
    let text = text.replace("deadline_ms = 100", "deadline_ms = 1000");
    std::fs::write(project.join(format!("policies/{name}.toml")), text).unwrap();
    let tenants = Tenants::new(engine(), &project.join("policies"));
    for (file, outcome) in tenants.load_all().await {
        let errors: Vec<String> = tenants
            .status()
            .into_iter()
            .filter_map(|s| s.last_error)
            .collect();
        assert!(
            matches!(outcome, ReloadOutcome::Activated(_)),
            "{}: {}",
            file.display(),
            errors.join("\n")
        );
    }
    tenants
}

async fn trigger_scaffold_builds_and_passes_its_self_tests(lang: &str) {
    let name = format!("my-{lang}-trigger");
    let work = new_and_build(&name, lang, "trigger");
    let tenants = check(&work.path().join(&name), &name).await;
    let v = tenants.get(&name).unwrap();
    assert_eq!(v.config.self_tests.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_trigger_scaffold_builds_and_passes_its_self_tests() {
    trigger_scaffold_builds_and_passes_its_self_tests("rust").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_trigger_scaffold_builds_and_passes_its_self_tests() {
    trigger_scaffold_builds_and_passes_its_self_tests("python").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_trigger_scaffold_builds_and_passes_its_self_tests() {
    trigger_scaffold_builds_and_passes_its_self_tests("js").await;
}

/// The routing scaffold in `lang` routes to the available agents, least loaded first,
/// skipping one who declined, and waits in the fallback queue.
async fn routing_scaffold_routes(lang: &str) {
    let name = format!("my-{lang}-router");
    let work = new_and_build(&name, lang, "routing");
    let tenants = check(&work.path().join(&name), &name).await;
    let v = tenants.get(&name).unwrap();
    let agent = |id: &str, load: u32| Agent {
        id: id.into(),
        name: id.into(),
        skills: vec!["service".into()],
        presence: Presence::Available,
        capacity: 2,
        load,
        on_call: false,
    };
    let roster = Roster {
        agents: vec![
            agent("ana", 1),
            agent("ben", 0),
            agent("cy", 0),
            agent("dee", 2),
        ],
        queues: vec![],
        fallback_queue: "general".into(),
    };
    let request = RouteRequest {
        conversation_id: "c-1".into(),
        channel: "sms".into(),
        reason: Reason::ExplicitRequest,
        priority: Priority::High,
        tags: vec![],
        intent: None,
        customer: Customer {
            name: "Dana".into(),
            ..Customer::default()
        },
        previous_agent: None,
        declined_by: vec!["cy".into()],
        clock: Clock::default(),
    };
    let got = v.routing.route(&request, &roster).await;
    assert!(got.fault.is_none(), "{lang}: {:?}", got.fault);
    assert_eq!(got.choice.agents, ["ben", "ana"], "{lang}");
    assert_eq!(got.choice.queue, "general", "{lang}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_routing_scaffold_routes() {
    routing_scaffold_routes("rust").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_routing_scaffold_routes() {
    routing_scaffold_routes("js").await;
}
