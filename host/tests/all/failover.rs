//! Hosts and the database failing under load: a host killed with SIGKILL (its queue lease
//! is taken over by another host), and the database restarted (clear 503s for its duration,
//! then recovery). Afterwards every acknowledged event is present exactly once.

use crate::durability::serve;
use crate::host::{insert_key, policies_dir, TestHost};
use crate::lifecycle::quick_tenant;
use crate::pg::{column, PrivateCluster};
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `(conversation, text)` of every event a host acknowledged with 201.
type Acked = Arc<Mutex<Vec<(String, String)>>>;

/// A channel that keeps posting: each event goes to the next host; an event that got no
/// answer or a 503 is retried with the same idempotency key (on the next host), as a load
/// balancer and a careful channel would. Returns every status it saw.
fn load(
    urls: Vec<String>,
    key: String,
    client: usize,
    acked: Acked,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<Vec<u16>> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let mut statuses = Vec::new();
        let mut n = 0usize;
        let mut attempt = 0usize;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let conversation = format!("load-{client}-{}", n / 4);
            let text = if n % 4 == 3 {
                format!("can I talk to a real person please, ref {client}-{n}")
            } else {
                format!("my water heater is leaking, ref {client}-{n}")
            };
            let url = &urls[(n + attempt) % urls.len()];
            let sent = http
                .post(format!("{url}/v1/conversations/{conversation}/events"))
                .bearer_auth(&key)
                .header("Idempotency-Key", format!("{client}-{n}"))
                .json(&json!({"role": "customer", "text": text}))
                .send()
                .await;
            match sent {
                Ok(r) => {
                    let status = r.status().as_u16();
                    statuses.push(status);
                    if status == 201 {
                        acked.lock().unwrap().push((conversation, text));
                        n += 1;
                        attempt = 0;
                        continue;
                    }
                }
                Err(_) => statuses.push(0),
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        statuses
    })
}

async fn wait_for(acked: &Acked, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while acked.lock().unwrap().len() < at_least {
        assert!(Instant::now() < deadline, "load did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every acknowledged event is in its conversation exactly once (read through `url`).
async fn assert_all_present(url: &str, key: &str, acked: &Acked) {
    let acked = acked.lock().unwrap().clone();
    let http = reqwest::Client::new();
    let mut conversations = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (c, t) in acked {
        conversations.entry(c).or_default().push(t);
    }
    for (conversation, texts) in conversations {
        let conv: Value = http
            .get(format!("{url}/v1/conversations/{conversation}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored: Vec<&str> = conv["messages"]
            .as_array()
            .unwrap_or_else(|| panic!("conversation {conversation} lost: {conv}"))
            .iter()
            .filter(|m| m["role"] == "customer")
            .map(|m| m["text"].as_str().unwrap())
            .collect();
        assert_eq!(
            stored, texts,
            "{conversation}: acknowledged events lost or doubled"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_hosts_queue_lease_is_taken_over_and_nothing_acknowledged_is_lost() {
    let data = crate::pg::fresh_database().await;
    let policies = policies_dir();
    std::fs::write(policies.path().join("acme-plumbing.toml"), quick_tenant()).unwrap();
    // Start one host first so the schema is migrated once, then two more.
    let mut children = vec![serve(policies.path(), &data)];
    children.push(serve(policies.path(), &data));
    children.push(serve(policies.path(), &data));
    let urls: Vec<String> = children.iter().map(|(_, u)| u.clone()).collect();
    let store = baton::store::open(&data).await.unwrap();
    let channel = insert_key(
        store.as_ref(),
        Some("acme-plumbing"),
        KeyRole::Channel,
        None,
    )
    .await;
    let sam = insert_key(
        store.as_ref(),
        Some("acme-plumbing"),
        KeyRole::Agent,
        Some("sam"),
    )
    .await;

    let acked: Acked = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            load(
                urls.clone(),
                channel.clone(),
                c,
                acked.clone(),
                stop.clone(),
            )
        })
        .collect();
    wait_for(&acked, 60).await;

    // Kill the host that holds the queue lease.
    let holder = loop {
        let h = column(&data, "SELECT holder FROM leases WHERE name = 'queue'").await;
        if let Some(h) = h.into_iter().next() {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pid: u32 = holder.rsplit(':').next().unwrap().parse().unwrap();
    let victim = children
        .iter()
        .position(|(c, _)| c.id() == pid)
        .unwrap_or_else(|| panic!("{holder} is none of the hosts"));
    let (mut killed, killed_url) = children.remove(victim);
    killed.kill().unwrap(); // SIGKILL: no release, the lease must run out
    killed.wait().unwrap();
    let survivors: Vec<String> = children.iter().map(|(_, u)| u.clone()).collect();
    assert!(!survivors.contains(&killed_url));

    // An offer made now times out after 1 s; only a host holding the lease moves it on.
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/v1/agents/sam/presence", survivors[0]))
        .bearer_auth(&sam)
        .json(&json!({"presence": "available"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let opened: Value = http
        .post(format!(
            "{}/v1/conversations/after-kill/events",
            survivors[0]
        ))
        .bearer_auth(&channel)
        .json(&json!({"role": "customer", "text": "can I talk to a real person please"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let h: Value = http
            .get(format!("{}/v1/handoffs/{id}", survivors[1]))
            .bearer_auth(&sam)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["handoff"]["declined_by"].to_string().contains("sam") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no host timed the offer out: {h}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let holder = column(&data, "SELECT holder FROM leases WHERE name = 'queue'").await;
    assert_ne!(holder[0].rsplit(':').next().unwrap(), pid.to_string());

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert_all_present(&survivors[0], &channel, &acked).await;
    for (mut child, _) in children {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_costs_503s_then_recovers_with_nothing_lost() {
    let cluster = PrivateCluster::start();
    let host = TestHost::launch(
        policies_dir(),
        cluster.url.clone(),
        tempfile::tempdir().unwrap(),
        Default::default(),
    )
    .await;
    let channel = host.channel("acme-plumbing").await;
    let acked: Acked = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|c| {
            load(
                vec![host.url.clone()],
                channel.clone(),
                c,
                acked.clone(),
                stop.clone(),
            )
        })
        .collect();
    wait_for(&acked, 40).await;
    cluster.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = acked.lock().unwrap().len();
    cluster.start_again();
    wait_for(&acked, during + 40).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut statuses = Vec::new();
    for c in clients {
        statuses.extend(c.await.unwrap());
    }
    assert!(
        statuses.contains(&503),
        "the outage was answered with 503s: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 503].contains(s)),
        "only 201 and 503, never a 500 or a dropped connection: {statuses:?}"
    );
    assert_all_present(&host.url, &channel, &acked).await;
}
