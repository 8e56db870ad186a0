//! The integrator's first hour (issue 23), from an empty temporary folder with only the
//! built `baton` on PATH (no `--stock`, no `--sdk`: the stock plugins, the WIT contract and
//! the Rust SDK come out of the binary): `baton new policy` in each world and language,
//! build, `baton check`, `baton test` green; then a broken routing change makes `baton test`
//! fail naming file, line and the difference, and is refused on reload while the last good
//! version keeps serving.

use crate::scripted::engine;
use crate::support::root;
use baton::tenants::{ReloadOutcome, Tenants};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An empty folder with a `bin/` holding only `baton`, first on PATH.
struct Workspace {
    dir: tempfile::TempDir,
    path: std::ffi::OsString,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_baton"), bin.join("baton")).unwrap();
        // The language toolchains (cargo, python3, node) stay reachable; `baton` is ours.
        let mut paths = vec![bin];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        Workspace {
            path: std::env::join_paths(paths).unwrap(),
            dir,
        }
    }

    fn project(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `baton ARGS` in the folder, as an integrator would type it.
    fn baton(&self, args: &[&str]) -> Output {
        Command::new("baton")
            .args(args)
            .current_dir(self.dir.path())
            .env("PATH", &self.path)
            // The language tools and built components are shared with the other scaffold
            // and example builds under target/ (installed once, cached by source hash).
            .env("BATON_TOOLS", root().join("target/policy-tools"))
            .env(
                "BATON_BUILD_CACHE",
                root().join("target/policy-cache/first-hour"),
            )
            .env("CARGO_TARGET_DIR", root().join("target/scaffold-rust"))
            .output()
            .unwrap()
    }

    /// `baton ARGS`, which must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.baton(args);
        assert!(
            out.status.success(),
            "`baton {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// New project `name`, built, checked and tested; returns `baton test`'s output.
    fn scaffold(&self, name: &str, lang: &str, world: &str) -> String {
        self.ok(&["new", "policy", name, "--lang", lang, "--world", world]);
        let project = self.project(name);
        if lang == "rust" {
            assert!(
                project
                    .join("baton-plugin-sdk")
                    .join(baton_plugin_sdk::WIT_PATH)
                    .is_file(),
                "the SDK comes out of `baton`"
            );
            // Offline here: the workspace's lock file pins the same dependency versions,
            // all in the local registry cache (an integrator's cargo would fetch them).
            std::fs::copy(root().join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
        }
        relax_deadline(&project, name);
        self.ok(&["build", name]);
        let policies = format!("{name}/policies");
        self.ok(&["check", &policies]);
        let report = self.ok(&["test", &policies]);
        assert!(report.contains("test result: ok."), "{report}");
        report
    }
}

/// A deadline generous enough for an unoptimised test build on a busy machine.
fn relax_deadline(project: &Path, name: &str) {
    let file = project.join(format!("policies/{name}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("deadline_ms = 100", "deadline_ms = 1000"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_projects_from_an_empty_folder_pass_baton_test() {
    let w = Workspace::new();
    let report = w.scaffold("vip-trigger", "rust", "trigger");
    for line in [
        "test vip-trigger::trigger::asks_for_a_person ... ok",
        "test vip-trigger::routing::the_least_busy_agent_is_offered_first ... ok",
        "test vip-trigger::routing::who_declined_is_not_offered_again ... ok",
        "test vip-trigger::fixtures::fixtures ... ok (2 conversations: f1 1.000",
        "test result: ok. 6 passed; 0 failed",
    ] {
        assert!(report.contains(line), "no `{line}` in:\n{report}");
    }

    let report = w.scaffold("my-router", "rust", "routing");
    assert!(
        report.contains("test my-router::routing::an_agent_at_capacity_is_not_offered ... ok"),
        "{report}"
    );

    // The last good version serves, as `baton serve` would load it.
    let policies = w.project("my-router/policies");
    let tenants = Tenants::new(engine(), &policies);
    let loaded = tenants.load_all().await;
    assert!(
        matches!(loaded[0].1, ReloadOutcome::Activated(_)),
        "{loaded:?}"
    );
    let good = tenants.get("my-router").unwrap().id.clone();

    // A broken routing change: most loaded first.
    let source = w.project("my-router/src/lib.rs");
    let text = std::fs::read_to_string(&source).unwrap();
    let broken = text.replace(
        "free.sort_by_key(|a| a.load);",
        "free.sort_by_key(|a| std::cmp::Reverse(a.load));",
    );
    assert_ne!(text, broken, "the scaffold's router sorts by load");
    std::fs::write(&source, broken).unwrap();
    w.ok(&["build", "my-router"]);
    let out = w.baton(&["test", "my-router/policies"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let tenant_file = "my-router/policies/my-router.toml";
    let line = routing_test_line(&w.project(tenant_file), "the least busy agent");
    for want in [
        "test my-router::routing::the_least_busy_agent_is_offered_first ... FAILED".to_string(),
        format!("{tenant_file}:{line}:1: routing self-test `the least busy agent is offered first` failed: expected `ben` offered first, but the policy offered `ana`, `ben`"),
        "test result: FAILED. 5 passed; 1 failed".to_string(),
    ] {
        assert!(stdout.contains(&want), "no `{want}` in:\n{stdout}");
    }

    // The same change on reload is refused, and the last good version keeps serving.
    let outcome = tenants.reload_file(&policies.join("my-router.toml")).await;
    match &outcome {
        ReloadOutcome::Refused(why) => {
            assert!(why.contains("expected `ben` offered first"), "{why}")
        }
        other => panic!("a broken router was not refused: {other:?}"),
    }
    assert_eq!(tenants.get("my-router").unwrap().id, good);
}

/// The line of the `[[routing.tests]]` header whose `name` starts with `name`.
fn routing_test_line(file: &Path, name: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("name = \"{name}")))
        .expect("the test is in the file");
    at // the header is the line before: 1-based, that is `at`
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_routing_project_from_an_empty_folder_passes_baton_test() {
    let w = Workspace::new();
    let report = w.scaffold("py-router", "python", "routing");
    assert!(
        report.contains("test py-router::routing::who_declined_is_not_offered_again ... ok"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_javascript_trigger_project_from_an_empty_folder_passes_baton_test() {
    let w = Workspace::new();
    let report = w.scaffold("js-trigger", "js", "trigger");
    assert!(
        report.contains("test js-trigger::fixtures::fixtures ... ok"),
        "{report}"
    );
}
