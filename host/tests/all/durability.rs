//! Nothing acknowledged is lost: the real binary under load from several clients, killed
//! with SIGKILL mid-load, restarted on the same data.

use crate::host::policies_dir;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) fn baton() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baton"));
    c.env("BATON_LOG", "warn");
    c
}

/// Start `baton serve` on a free port with the store `data` (a folder or a database URL);
/// returns the child and its URL.
pub(crate) fn serve(
    policies: &std::path::Path,
    data: impl AsRef<std::ffi::OsStr>,
) -> (Child, String) {
    let mut child = baton()
        .args(["serve", "--listen", "127.0.0.1:0", "--policies"])
        .arg(policies)
        .arg("--data")
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start baton");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (child, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_acknowledged_event_survives_sigkill() {
    let policies = policies_dir();
    let data = tempfile::tempdir().unwrap();
    let out = baton()
        .args([
            "keys",
            "create",
            "--tenant",
            "acme-plumbing",
            "--role",
            "channel",
            "--data",
        ])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("bk_"));

    let (mut child, url) = serve(policies.path(), data.path());
    let acked: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut clients = Vec::new();
    for c in 0..4 {
        let (http, url, key, acked) = (http.clone(), url.clone(), key.clone(), acked.clone());
        clients.push(tokio::spawn(async move {
            for n in 0.. {
                let conversation = format!("k{c}-{}", n / 3);
                // Every third message asks for a person, so handoffs open under load too.
                let text = if n % 3 == 2 {
                    format!("can I talk to a real person? ref {c}-{n}")
                } else {
                    format!("my drain is slow, ref {c}-{n}")
                };
                let sent = http
                    .post(format!("{url}/v1/conversations/{conversation}/events"))
                    .bearer_auth(&key)
                    .header("Idempotency-Key", format!("{c}-{n}"))
                    .json(&json!({"role": "customer", "text": text}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        acked.lock().unwrap().push((conversation, text, body));
                    }
                    Ok(_) => {}
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Kill it mid-load, once a good number of events were acknowledged.
    let start = Instant::now();
    while acked.lock().unwrap().len() < 150 && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for c in clients {
        let _ = c.await;
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 150,
        "only {} acknowledged before the kill",
        acked.len()
    );

    let (mut child, url) = serve(policies.path(), data.path());
    let mut handoffs = 0;
    for (conversation, text, body) in &acked {
        let r = http
            .get(format!("{url}/v1/conversations/{conversation}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "conversation {conversation} lost");
        let conv: Value = r.json().await.unwrap();
        let messages = conv["messages"].as_array().unwrap();
        assert_eq!(
            messages
                .iter()
                .filter(|m| m["text"] == text.as_str())
                .count(),
            1,
            "acknowledged message {text:?} lost or doubled"
        );
        if let Some(id) = body["handoff"]["id"].as_str() {
            let open = &conv["open_handoff"];
            assert_eq!(
                open["id"], id,
                "acknowledged handoff {id} of {conversation} lost: {conv}"
            );
            handoffs += 1;
        }
    }
    assert!(handoffs > 0, "handoffs were opened under load");
    child.kill().unwrap();
    child.wait().unwrap();
}
