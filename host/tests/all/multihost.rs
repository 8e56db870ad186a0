//! Several hosts on one PostgreSQL database act as one service: events spread over hosts
//! land once and in order (idempotency holds across hosts), an accept race across hosts has
//! one winner, SSE on one host streams what another ingested, queue work runs on one host
//! at a time, and the operator sees which version each host serves.

use crate::host::{policies_dir, TestHost};
use crate::lifecycle::read_events;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `n` in-process hosts on one fresh database, each with its own copy of the demo
/// policies; returns the database URL too.
pub(crate) async fn hosts(n: usize) -> (String, Vec<TestHost>) {
    let data = crate::pg::fresh_database().await;
    let mut hosts = Vec::new();
    for _ in 0..n {
        hosts.push(
            TestHost::launch(
                policies_dir(),
                data.clone(),
                tempfile::tempdir().unwrap(),
                Default::default(),
            )
            .await,
        );
    }
    (data, hosts)
}

/// Post a customer message to `url`; returns the status and the raw body.
async fn post(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    conversation: &str,
    text: &str,
    idempotency: &str,
) -> (u16, String) {
    let r = http
        .post(format!("{url}/v1/conversations/{conversation}/events"))
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency)
        .json(&json!({"role": "customer", "text": text, "channel": "sms",
                      "customer": {"name": "Dana Ruiz", "phone": "+15555550117"}}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The count `sql` returns on the database `url`.
async fn count(url: &str, sql: &str) -> i64 {
    crate::pg::column(url, sql).await[0].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_spread_over_three_hosts_land_once_and_in_order() {
    let (_data, hosts) = hosts(3).await;
    let channel = hosts[0].channel("acme-plumbing").await;
    let urls: Vec<String> = hosts.iter().map(|h| h.url.clone()).collect();
    let http = reqwest::Client::new();
    let mut clients = Vec::new();
    for c in 0..8usize {
        let (urls, http, channel) = (urls.clone(), http.clone(), channel.clone());
        clients.push(tokio::spawn(async move {
            let conversation = format!("spread-{c}");
            let mut sent = Vec::new();
            for n in 0..6usize {
                let text = if n == 3 {
                    format!("can I talk to a real person please, ref {c}-{n}")
                } else {
                    format!("the kitchen drain is slow, ref {c}-{n}")
                };
                let key = format!("m-{c}-{n}");
                let host = &urls[(c + n) % 3];
                let (status, first) = post(&http, host, &channel, &conversation, &text, &key).await;
                assert_eq!(status, 201, "{first}");
                if n % 2 == 0 {
                    // The channel retries on another host: the same answer, nothing new stored.
                    let other = &urls[(c + n + 1) % 3];
                    let again = post(&http, other, &channel, &conversation, &text, &key).await;
                    assert_eq!(again, (201, first), "a retry on another host");
                }
                sent.push(text);
            }
            // Two hosts handed the same event at the same moment: stored once, one answer.
            let text = format!("are you still there? ref {c}");
            let key = format!("dup-{c}");
            let (a, b) = tokio::join!(
                post(&http, &urls[0], &channel, &conversation, &text, &key),
                post(&http, &urls[1], &channel, &conversation, &text, &key)
            );
            assert_eq!(a.0, 201, "{}", a.1);
            assert_eq!(a, b, "both hosts give the stored answer");
            sent.push(text);
            (conversation, sent)
        }));
    }
    for client in clients {
        let (conversation, sent) = client.await.unwrap();
        // Read back on the third host: every customer message once, in the order sent.
        let (status, conv) = hosts[2]
            .get(&format!("/v1/conversations/{conversation}"), &channel)
            .await;
        assert_eq!(status, 200, "{conv}");
        let customer: Vec<&str> = conv["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "customer")
            .map(|m| m["text"].as_str().unwrap())
            .collect();
        assert_eq!(customer, sent, "{conversation}");
        assert!(
            conv["open_handoff"]["id"].is_string(),
            "one handoff opened: {conv}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_accept_race_across_hosts_has_one_winner() {
    let (_data, hosts) = hosts(3).await;
    let channel = hosts[0].channel("acme-plumbing").await;
    let sam = hosts[0].agent("acme-plumbing", "sam").await;
    let jo = hosts[0].agent("acme-plumbing", "jo").await;
    hosts[0].available(&sam, "sam").await;
    for round in 0..6 {
        let conversation = format!("race-{round}");
        // An emergency, so both may take it whoever it is offered to (the accept rule):
        // the race is between two agents allowed to win it.
        let opened = hosts[round % 3]
            .customer_says(
                &channel,
                &conversation,
                "I smell gas near the water heater, it's really strong",
            )
            .await;
        assert_eq!(opened["handoff"]["priority"], "urgent", "{opened}");
        let id = opened["handoff"]["id"].as_str().unwrap().to_string();
        let path = format!("/v1/handoffs/{id}/accept");
        let (a, b) = tokio::join!(
            hosts[1].call("POST", &path, Some(&sam), None),
            hosts[2].call("POST", &path, Some(&jo), None)
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let (winner, key, loser) = if a.0 == 200 {
            ("sam", &sam, &b.1)
        } else {
            ("jo", &jo, &a.1)
        };
        assert!(
            loser["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("accepted by `{winner}`")),
            "the loser is told who won: {loser}"
        );
        let (s, h) = hosts[0].get(&format!("/v1/handoffs/{id}"), key).await;
        assert_eq!(s, 200);
        assert_eq!(h["handoff"]["accepted_by"], winner);
        let (s, _) = hosts[round % 3]
            .post(
                &format!("/v1/handoffs/{id}/resolve"),
                key,
                json!({"outcome": "booked"}),
            )
            .await;
        assert_eq!(s, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sse_on_one_host_streams_what_another_ingested_and_resumes_on_a_third() {
    let (_data, hosts) = hosts(3).await;
    let channel = hosts[0].channel("acme-plumbing").await;
    let sam = hosts[0].agent("acme-plumbing", "sam").await;
    let ingest = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        hosts[1]
            .customer_says(&channel, "sse-1", "can I talk to a real person please")
            .await
    };
    let (seen, opened) = tokio::join!(
        read_events(&hosts[0], &sam, None, |seen| seen
            .iter()
            .any(|(_, k)| k == "handoff.opened")),
        ingest
    );
    assert!(opened["handoff"]["id"].is_string());
    let first = seen[0].0;
    // Resume on another host from before the first event: the same events, same ids.
    let resumed = read_events(&hosts[2], &sam, Some(first - 1), |s| s.len() >= seen.len()).await;
    assert_eq!(resumed[..seen.len()], seen[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queue_promotion_runs_on_one_host_at_a_time() {
    let (data, hosts) = hosts(3).await;
    let channel = hosts[0].channel("acme-plumbing").await;
    let sam = hosts[0].agent("acme-plumbing", "sam").await;
    // Nobody is available: three handoffs wait in the queue.
    for (n, host) in hosts.iter().enumerate() {
        let opened = host
            .customer_says(
                &channel,
                &format!("q-{n}"),
                "can I talk to a real person please",
            )
            .await;
        assert_eq!(opened["handoff"]["state"], "queued", "{opened}");
    }
    // Sam comes in with room for one. Three hosts promoting at once would each offer him one.
    let (s, body) = hosts[1]
        .call(
            "PUT",
            "/v1/agents/sam/presence",
            Some(&sam),
            Some(json!({"presence": "available", "capacity": 1})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let offered = "SELECT count(*) FROM handoffs WHERE state = 'offered'";
    while count(&data, offered).await == 0 {
        assert!(Instant::now() < deadline, "nothing was offered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Several more rounds on every host.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(count(&data, offered).await, 1, "sam has room for one offer");
    let holders = crate::pg::column(&data, "SELECT holder FROM leases WHERE name = 'queue'").await;
    assert_eq!(holders.len(), 1);
    assert!(
        hosts.iter().any(|h| *h.host.id == *holders[0]),
        "{holders:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_operator_sees_which_version_each_host_serves() {
    let data = crate::pg::fresh_database().await;
    let same = TestHost::launch(
        policies_dir(),
        data.clone(),
        tempfile::tempdir().unwrap(),
        Default::default(),
    )
    .await;
    // A second host whose copy of one tenant differs (a rollout half done).
    let changed = policies_dir();
    let file = changed.path().join("acme-plumbing.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("offer_timeout_secs = 45", "offer_timeout_secs = 40"),
    )
    .unwrap();
    let other = TestHost::launch(
        changed,
        data.clone(),
        tempfile::tempdir().unwrap(),
        Default::default(),
    )
    .await;
    let operator = same.key(None, KeyRole::Operator, None).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let (s, body) = same.get("/v1/admin/tenants", &operator).await;
        assert_eq!(s, 200, "{body}");
        let tenants = body["tenants"].as_array().unwrap();
        if tenants
            .iter()
            .all(|t| t["hosts"].as_array().unwrap().len() == 2)
        {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the other host never reported: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status["store"], "postgres");
    let tenant = |id: &str| -> Value {
        status["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tenant"] == id)
            .unwrap()
            .clone()
    };
    let acme = tenant("acme-plumbing");
    assert_eq!(acme["hosts_agree"], false, "{acme}");
    let hosts: Vec<&str> = acme["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert!(hosts.contains(&&*same.host.id) && hosts.contains(&&*other.host.id));
    assert_eq!(tenant("comfort-hvac")["hosts_agree"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_has_one_holder_until_it_runs_out_or_is_released() {
    let data = crate::pg::fresh_database().await;
    let store = baton::store::open(&data).await.unwrap();
    assert!(store.lease("queue", "host-a", 400).await.unwrap());
    assert!(
        !store.lease("queue", "host-b", 400).await.unwrap(),
        "a has it"
    );
    assert!(
        store.lease("queue", "host-a", 400).await.unwrap(),
        "a renews"
    );
    // Host a stops renewing (it died): once the lease runs out, b takes it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !store.lease("queue", "host-b", 60_000).await.unwrap() {
        assert!(Instant::now() < deadline, "the lease never ran out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !store.lease("queue", "host-a", 400).await.unwrap(),
        "b has it now"
    );
    // A host shutting down gives its leases up at once.
    store.release_leases("host-b").await.unwrap();
    assert!(store.lease("queue", "host-a", 400).await.unwrap());
    // Other leases are independent.
    assert!(store.lease("retention", "host-b", 400).await.unwrap());
}
