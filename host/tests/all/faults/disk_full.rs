//! The store's disk fills up for real while requests flow: the data folder is a small tmpfs
//! mounted for the test, and a ballast file takes every free block. Baton answers 503 with
//! a JSON error (never a 500, never a dropped connection), keeps answering, and once the
//! ballast is gone it takes writes again by itself. Every acknowledged event is stored once;
//! every refused one, retried with its `Idempotency-Key`, is then stored once too.
//!
//! Mounting needs root (CAP_SYS_ADMIN), as in the CI container; where `mount` is refused,
//! the test says so and checks nothing. A read-only remount cannot be staged the same way:
//! the kernel refuses it (EBUSY) while SQLite holds its files open for writing.

use super::host_on;
use crate::host::TestHost;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// A tmpfs of `size` mounted on a fresh folder; unmounted on drop (lazily, so a test that
/// fails with files still open leaves nothing mounted).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Take every free block of the filesystem holding `file`: write until ENOSPC, in smaller
/// and smaller pieces. Returns the bytes taken.
fn fill(file: &Path) -> u64 {
    let mut f = std::fs::File::create(file).unwrap();
    let mut taken = 0;
    for chunk in [1 << 20, 64 << 10, 4 << 10, 512] {
        let block = vec![0x5a_u8; chunk];
        loop {
            match f.write(&block) {
                Ok(n) if n > 0 => taken += n as u64,
                Ok(_) => break,
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }
    let _ = f.flush();
    taken
}

/// One event a client sent and what came back.
#[derive(Clone)]
struct Sent {
    conversation: String,
    text: String,
    key: String,
    status: u16,
    body: Value,
}

type Log = Arc<Mutex<Vec<Sent>>>;

/// Clients posting events (every third one asks for a person) until stopped.
fn clients(h: &Arc<TestHost>, channel: &str, stop: &Arc<AtomicBool>) -> (Log, Vec<JoinHandle<()>>) {
    let sent: Log = Arc::default();
    let mut tasks = Vec::new();
    for c in 0..3 {
        let (h, channel, stop, sent) = (h.clone(), channel.to_string(), stop.clone(), sent.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let conversation = format!("full-{c}-{}", n / 3);
                let text = match n % 3 {
                    2 => format!("can I talk to a real person? ref {c}-{n}"),
                    _ => format!("my drain is slow, ref {c}-{n}"),
                };
                let key = format!("full-{c}-{n}");
                let (status, body) = post(&h, &channel, &conversation, &text, &key).await;
                let refused = status != 201;
                sent.lock().unwrap().push(Sent {
                    conversation,
                    text,
                    key,
                    status,
                    body,
                });
                if refused {
                    // A channel backs off a little when the host says it cannot store.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }));
    }
    (sent, tasks)
}

async fn post(h: &TestHost, key: &str, id: &str, text: &str, idem: &str) -> (u16, Value) {
    let resp = h
        .http
        .post(format!("{}/v1/conversations/{id}/events", h.url))
        .bearer_auth(key)
        .header("Idempotency-Key", idem)
        .json(&json!({"role": "customer", "text": text}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the host dropped a request: {e}"));
    let status = resp.status().as_u16();
    let is_json = resp
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let text = resp.text().await.unwrap();
    let body = match is_json {
        true => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        false => Value::String(format!("(not JSON) {text}")),
    };
    (status, body)
}

/// Wait (bounded) until `count(sent)` reaches `n`.
async fn until(sent: &Mutex<Vec<Sent>>, what: &str, n: usize, count: impl Fn(&[Sent]) -> usize) {
    let start = Instant::now();
    loop {
        let got = count(&sent.lock().unwrap());
        if got >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what} ({got} of {n})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn with_status(sent: &[Sent], status: u16, from: usize) -> usize {
    sent[from.min(sent.len())..]
        .iter()
        .filter(|s| s.status == status)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_a_clear_503_and_the_store_recovers_losing_nothing() {
    let disk = match Tmpfs::mount("48m") {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("SKIPPED: cannot mount a tmpfs for the data folder ({why}); run as root");
            return;
        }
    };
    let data: PathBuf = disk.path().join("data");
    let h = Arc::new(host_on(&[], &data).await);
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let stop = Arc::new(AtomicBool::new(false));
    let (sent, tasks) = clients(&h, &channel, &stop);
    until(&sent, "acknowledged events", 60, |s| with_status(s, 201, 0)).await;

    // The disk fills up under load.
    let ballast = disk.path().join("ballast");
    let taken = fill(&ballast);
    let full_at = sent.lock().unwrap().len();
    until(&sent, "503s from the full disk", 30, |s| {
        with_status(s, 503, full_at)
    })
    .await;
    // Other writes are refused the same way; reads of what was stored still work.
    let presence = |p: &str| Some(json!({ "presence": p }));
    let (status, body) = h
        .call(
            "PUT",
            "/v1/agents/sam/presence",
            Some(&sam),
            presence("busy"),
        )
        .await;
    // A write small enough for the space SQLite still holds may go through; one that is
    // refused is refused cleanly.
    match status {
        200 => {}
        503 => assert_eq!(body["error"]["code"], "store_unavailable", "{body}"),
        _ => panic!("presence while the disk is full: {status} {body}"),
    }
    let first = sent.lock().unwrap()[0].clone();
    let (status, body) = h
        .get(
            &format!("/v1/conversations/{}", first.conversation),
            &channel,
        )
        .await;
    assert_eq!(status, 200, "a read while the disk is full: {body}");
    let (status, body) = h.get("/v1/handoffs", &sam).await;
    assert_eq!(status, 200, "a read while the disk is full: {body}");
    // It stays full for a while under load: the host keeps answering.
    let still = sent.lock().unwrap().len();
    until(&sent, "more 503s", 30, |s| with_status(s, 503, still)).await;

    // Space comes back: the store takes writes again by itself.
    std::fs::remove_file(&ballast).unwrap();
    let freed_at = sent.lock().unwrap().len();
    until(&sent, "201s after the space came back", 60, |s| {
        with_status(s, 201, freed_at)
    })
    .await;
    let (status, body) = h
        .call(
            "PUT",
            "/v1/agents/sam/presence",
            Some(&sam),
            presence("busy"),
        )
        .await;
    assert_eq!(status, 200, "presence after recovery: {body}");
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("a client failed");
    }
    let sent = sent.lock().unwrap().clone();
    let mut by_conversation: BTreeMap<&str, Vec<&Sent>> = BTreeMap::new();
    for s in &sent {
        by_conversation.entry(&s.conversation).or_default().push(s);
    }

    let refused: Vec<&Sent> = sent.iter().filter(|s| s.status != 201).collect();
    eprintln!(
        "ballast {} MiB; {} events: {} acknowledged, {} refused while full",
        taken >> 20,
        sent.len(),
        sent.len() - refused.len(),
        refused.len()
    );
    for s in &refused {
        assert_eq!(s.status, 503, "not a 503: {}", s.body);
        let e = &s.body["error"];
        assert_eq!(e["code"], "store_unavailable", "{}", s.body);
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            s.body
        );
    }
    assert!(refused.len() >= 60);
    eprintln!("a refusal: {}", refused[0].body);

    // Nothing refused was stored; every acknowledged event (and handoff) is there once.
    check(&h, &channel, &by_conversation, |s| match s.status {
        201 => 1,
        _ => 0,
    })
    .await;
    // Every refused event, retried with its key now, is stored; then all are there once.
    for s in &refused {
        let (status, body) = post(&h, &channel, &s.conversation, &s.text, &s.key).await;
        assert_eq!(status, 201, "a retry after recovery: {body}");
    }
    check(&h, &channel, &by_conversation, |_| 1).await;
    let (status, _) = h.get("/healthz", &channel).await;
    assert_eq!(status, 200);
}

/// Each conversation holds each sent event `copies(event)` times, and its acknowledged
/// handoff.
async fn check(
    h: &TestHost,
    channel: &str,
    by_conversation: &BTreeMap<&str, Vec<&Sent>>,
    copies: impl Fn(&Sent) -> usize,
) {
    for (id, events) in by_conversation {
        let (status, conv) = h.get(&format!("/v1/conversations/{id}"), channel).await;
        let messages = match status {
            200 => conv["messages"].as_array().unwrap().clone(),
            404 => Vec::new(),
            _ => panic!("reading conversation {id}: {status} {conv}"),
        };
        for s in events {
            let stored = messages.iter().filter(|m| m["text"] == s.text).count();
            assert_eq!(
                stored,
                copies(s),
                "{:?} (answered {}) is stored {stored} times",
                s.text,
                s.status
            );
            if let Some(handoff) = s.body["handoff"]["id"].as_str() {
                assert_eq!(
                    conv["open_handoff"]["id"], handoff,
                    "acknowledged handoff lost"
                );
            }
        }
    }
}
