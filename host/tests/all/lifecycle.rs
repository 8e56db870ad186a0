//! Offers that time out or are declined move on; live events resume; webhooks are signed.

use crate::host::TestHost;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

mod abandon;
mod accept_rule;

pub(crate) fn quick_tenant() -> String {
    std::fs::read_to_string(crate::support::root().join("policies/acme-plumbing.toml"))
        .unwrap()
        .replace("offer_timeout_secs = 45", "offer_timeout_secs = 1")
}

/// [`quick_tenant`] open around the clock, so the routing policy offers to everyone in
/// hours whatever time the test runs at (after hours only on-call agents are offered).
/// Its routing self-test of a Sunday night, closed no longer, is left out.
pub(crate) fn always_open_tenant() -> String {
    let mut t = quick_tenant();
    for day in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] {
        for hours in ["\"07:00-19:00\"", "\"08:00-14:00\"", "\"closed\""] {
            t = t.replace(
                &format!("{day} = {hours}"),
                &format!("{day} = \"00:00-23:59\""),
            );
        }
    }
    let after_hours = "[[routing.tests]]\nname = \"after hours only";
    let start = t
        .find(after_hours)
        .expect("acme-plumbing has its after-hours routing test");
    let end = t[start..].find("\n\n").map_or(t.len(), |e| start + e + 2);
    t.replace_range(start..end, "");
    t
}

async fn handoff(h: &TestHost, key: &str, id: &str) -> Value {
    let (s, p) = h.get(&format!("/v1/handoffs/{id}"), key).await;
    assert_eq!(s, 200, "{p}");
    p["handoff"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_that_times_out_goes_to_the_next_choice_then_the_queue() {
    let h = TestHost::start(&[("quick-plumbing", &always_open_tenant())]).await;
    let channel = h.channel("quick-plumbing").await;
    let sam = h.agent("quick-plumbing", "sam").await;
    let jo = h.agent("quick-plumbing", "jo").await;
    h.available(&sam, "sam").await;
    h.available(&jo, "jo").await;
    let opened = h
        .customer_says(&channel, "t-1", "please let me talk to a real person")
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let first = opened["handoff"]["offered_to"]
        .as_str()
        .unwrap()
        .to_string();
    // Nobody answers: after the timeout the offer moves to the other agent.
    let start = Instant::now();
    let moved = loop {
        let hd = handoff(&h, &sam, &id).await;
        if hd["offered_to"].as_str().is_some_and(|a| a != first) {
            break hd;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the offer never moved: {hd}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(moved["state"], "offered");
    assert!(moved["declined_by"].to_string().contains(&first), "{moved}");
    // The second agent declines: nobody else can take it, so it waits in the queue.
    let second = moved["offered_to"].as_str().unwrap();
    let key = if second == "sam" { &sam } else { &jo };
    let (s, declined) = h
        .post(&format!("/v1/handoffs/{id}/decline"), key, json!({}))
        .await;
    assert_eq!(s, 200, "{declined}");
    assert_eq!(declined["state"], "queued", "{declined}");
    // A declined agent can still pick it from the queue.
    assert_eq!(
        h.call(
            "POST",
            &format!("/v1/handoffs/{id}/accept"),
            Some(key),
            None
        )
        .await
        .0,
        200
    );
}

/// Read SSE events from `/v1/events` until `stop` says so or time runs out.
pub(crate) async fn read_events(
    h: &TestHost,
    key: &str,
    last_event_id: Option<i64>,
    mut stop: impl FnMut(&[(i64, String)]) -> bool,
) -> Vec<(i64, String)> {
    use futures_util::StreamExt;
    let mut req = h.http.get(format!("{}/v1/events", h.url)).bearer_auth(key);
    req = match last_event_id {
        Some(id) => req.header("Last-Event-ID", id.to_string()),
        None => req.query(&[("after", "0")]),
    };
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut stream = resp.bytes_stream();
    let (mut buf, mut out) = (String::new(), Vec::new());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !stop(&out) {
        assert!(Instant::now() < deadline, "events seen: {out:?}");
        let Ok(Some(Ok(chunk))) = tokio::time::timeout(Duration::from_secs(2), stream.next()).await
        else {
            continue;
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let id = frame
                .lines()
                .find_map(|l| l.strip_prefix("id: ").or_else(|| l.strip_prefix("id:")))
                .and_then(|v| v.trim().parse().ok());
            let kind = frame
                .lines()
                .find_map(|l| {
                    l.strip_prefix("event: ")
                        .or_else(|| l.strip_prefix("event:"))
                })
                .map(|v| v.trim().to_string());
            if let (Some(id), Some(kind)) = (id, kind) {
                out.push((id, kind));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_events_stream_and_resume_after_the_last_seen_id() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(&channel, "sse-1", "get me a human please")
        .await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let first = read_events(&h, &sam, None, |seen| {
        seen.iter().any(|(_, k)| k == "handoff.offered")
    })
    .await;
    let opened_id = first
        .iter()
        .find(|(_, k)| k == "handoff.opened")
        .expect("opened event")
        .0;
    // While disconnected, the handoff is accepted and answered.
    assert_eq!(
        h.call(
            "POST",
            &format!("/v1/handoffs/{id}/accept"),
            Some(&sam),
            None
        )
        .await
        .0,
        200
    );
    h.post(
        &format!("/v1/handoffs/{id}/messages"),
        &sam,
        json!({"text": "hi, Sam here"}),
    )
    .await;
    let last_seen = first.last().unwrap().0;
    let resumed = read_events(&h, &sam, Some(last_seen), |seen| {
        seen.iter().any(|(_, k)| k == "handoff.message")
    })
    .await;
    assert!(
        resumed.iter().all(|(i, _)| *i > last_seen),
        "resumed after the last seen id: {resumed:?}"
    );
    assert_eq!(resumed[0].1, "handoff.accepted", "{resumed:?}");
    assert!(resumed.iter().all(|(i, _)| *i != opened_id));
    // Another tenant's stream never carries these events.
    let other = h.agent("comfort-hvac", "maria").await;
    h.customer_says(&h.channel("comfort-hvac").await, "sse-other", "hi there")
        .await;
    let listen_until = Instant::now() + Duration::from_millis(1500);
    let theirs = read_events(&h, &other, Some(0), |seen| {
        !seen.is_empty() || Instant::now() > listen_until
    })
    .await;
    assert!(
        theirs.iter().all(|(_, k)| !k.starts_with("handoff")),
        "{theirs:?}"
    );
    let theirs: Vec<_> = theirs
        .into_iter()
        .filter(|(_, k)| k.starts_with("handoff"))
        .collect();
    assert!(theirs.is_empty(), "{theirs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_delivered_from_the_outbox() {
    use axum::routing::post;
    let received: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>> = Default::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                let sig = headers
                    .get("baton-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                sink.lock().unwrap().push((sig, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    // SAFETY of set_var: a name no other test reads.
    std::env::set_var("BATON_TEST_WEBHOOK_SECRET", "whsec-test-123");
    let tenant = format!(
        "{}\n[[webhooks]]\nurl = \"{hook}\"\nevents = [\"handoff.opened\", \"handoff.accepted\"]\nsecret_env = \"BATON_TEST_WEBHOOK_SECRET\"\n",
        quick_tenant()
    );
    let h = TestHost::start(&[("hooked-plumbing", &tenant)]).await;
    let channel = h.channel("hooked-plumbing").await;
    h.customer_says(&channel, "wh-1", "can I talk to a person?")
        .await;
    let start = Instant::now();
    while received.lock().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no webhook arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (sig, body) = received.lock().unwrap()[0].clone();
    let now = jiff::Timestamp::now().as_second();
    assert!(
        baton::outbox::verify(b"whsec-test-123", &sig, &body, now, 300),
        "signature {sig} does not verify"
    );
    assert!(!baton::outbox::verify(b"wrong", &sig, &body, now, 300));
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(event["type"], "handoff.opened");
    assert_eq!(event["tenant"], "hooked-plumbing");
}
