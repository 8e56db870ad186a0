//! The `baton` command itself: replay through the sandbox and `check`.

use crate::host::policies_dir;
use crate::support::root;
use serde_json::Value;
use std::process::Command;

fn baton(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_LOG", "warn")
        .output()
        .expect("run baton")
}

fn public_set() -> String {
    root()
        .join("tests/fixtures/conversations/public.jsonl")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn replay_of_the_public_set_through_the_sandbox_meets_the_thresholds() {
    let policies = policies_dir();
    let dir = policies.path().to_str().unwrap();
    let out = baton(&[
        "replay",
        "--policies",
        dir,
        "--tenant",
        "acme-plumbing",
        "--conversations",
        &public_set(),
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, rows) = lines.split_last().unwrap();
    assert_eq!(rows.len(), 88);
    for row in rows {
        for key in [
            "id",
            "escalate",
            "reason",
            "at_message",
            "policy_version",
            "faults",
        ] {
            assert!(row.get(key).is_some(), "row lacks `{key}`: {row}");
        }
        assert_eq!(row["faults"], 0, "{row}");
    }
    let s = &summary["summary"];
    let f1 = s["f1"].as_f64().unwrap();
    let reasons = s["reason_accuracy"].as_f64().unwrap();
    assert!(f1 >= 0.95, "f1 {f1}: {s}");
    assert!(reasons >= 0.90, "reason accuracy {reasons}: {s}");
    assert_eq!(s["false_alarms_on_negatives"], 0, "{s}");
    for key in ["precision", "recall", "false_alarms", "late", "missed"] {
        assert!(s.get(key).is_some(), "summary lacks `{key}`");
    }
}

#[test]
fn a_malformed_conversation_line_names_file_line_and_field() {
    let policies = policies_dir();
    let dir = policies.path().to_str().unwrap();
    let file = policies.path().join("bad.jsonl");
    let good = std::fs::read_to_string(public_set())
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(
        &file,
        format!(
            "{good}\n{}\n",
            good.replacen("\"role\": \"customer\"", "\"role\": \"client\"", 1)
        ),
    )
    .unwrap();
    let out = baton(&[
        "replay",
        "--policies",
        dir,
        "--tenant",
        "acme-plumbing",
        "--conversations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.jsonl:2:") && err.contains("messages[0].role") && err.contains("client"),
        "{err}"
    );
}

#[test]
fn check_passes_the_demo_tenants_and_fails_a_broken_one() {
    let policies = policies_dir();
    let dir = policies.path().to_str().unwrap();
    let out = baton(&["check", dir]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok: acme-plumbing"));
    let acme = std::fs::read_to_string(policies.path().join("acme-plumbing.toml")).unwrap();
    std::fs::write(
        policies.path().join("acme-plumbing.toml"),
        acme.replace("[[queues]]", "[[queus]]"),
    )
    .unwrap();
    let out = baton(&["check", dir]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("acme-plumbing.toml:")
            && err.contains("`queus`")
            && err.contains("help: did you mean `queues`?"),
        "{err}"
    );
}

#[test]
fn keys_are_created_listed_and_revoked() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let out = baton(&[
        "keys",
        "create",
        "--tenant",
        "acme-plumbing",
        "--role",
        "agent",
        "--data",
        d,
    ]);
    assert!(!out.status.success(), "an agent key needs --agent");
    let policies = root().join("policies");
    let agent_key = |agent: &str| {
        baton(&[
            "keys",
            "create",
            "--tenant",
            "acme-plumbing",
            "--role",
            "agent",
            "--agent",
            agent,
            "--policies",
            policies.to_str().unwrap(),
            "--data",
            d,
        ])
    };
    // Only for an agent on the tenant's roster.
    let out = agent_key("nobody");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && out.stdout.is_empty(), "{err}");
    assert!(
        err.contains("`nobody` is not on the roster") && err.contains("sam, jo, lee"),
        "{err}"
    );
    let out = agent_key("sam");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let id = secret.split('_').nth(1).unwrap().to_string();
    let list = String::from_utf8(baton(&["keys", "list", "--data", d]).stdout).unwrap();
    assert!(
        list.contains(&id) && list.contains("live") && !list.contains(&secret),
        "{list}"
    );
    assert!(baton(&["keys", "revoke", &id, "--data", d])
        .status
        .success());
    assert!(
        String::from_utf8(baton(&["keys", "list", "--data", d]).stdout)
            .unwrap()
            .contains("revoked")
    );
    assert_eq!(
        baton(&["keys", "revoke", &id, "--data", d]).status.code(),
        Some(1)
    );
}

#[test]
fn the_readme_tenant_example_is_the_tested_one() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let example =
        std::fs::read_to_string(root().join("host/tests/golden/config/good/acme-plumbing.toml"))
            .unwrap();
    let block = readme
        .split("<!-- tenant-example -->\n```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("README has the tenant example block");
    assert_eq!(
        block.trim_end(),
        example.trim_end(),
        "README's tenant example differs from the tested file"
    );
}

#[test]
fn serve_refuses_listener_limits_that_cannot_work() {
    // An idle timeout at or under the live streams' 15 s keep-alive would cut every stream.
    for args in [
        ["--idle-timeout-secs", "5"],
        ["--header-timeout-secs", "0"],
        ["--max-connections", "0"],
    ] {
        let out = baton(&["serve", args[0], args[1], "--listen", "127.0.0.1:0"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(args[0]), "{err}");
    }
}
