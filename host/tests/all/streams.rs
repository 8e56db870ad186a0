//! Live streams on the real server (issue 16, items 3 and 10): `/v1/events` and the widget's
//! conversation stream end within seconds of their key's revocation (with `baton keys
//! revoke`, or on another host sharing the store) while other keys' streams go on; a widget
//! stream wakes only for its own conversation and sends each of its messages once, in order.

use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;

/// An open SSE response and what it has sent so far.
struct Sse {
    resp: reqwest::Response,
    seen: String,
}

impl Sse {
    async fn open(req: reqwest::RequestBuilder) -> Sse {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        Sse {
            resp,
            seen: String::new(),
        }
    }

    /// Read until `what` has been sent (panics after 10 s or if the stream ends).
    async fn until(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.seen.contains(what) {
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("no `{what}` in 10 s: {}", self.seen))
                .unwrap()
                .unwrap_or_else(|| panic!("the stream ended before `{what}`: {}", self.seen));
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Whether the stream ends within `within` (what it sends meanwhile is kept).
    async fn ends_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(chunk))) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) | Ok(Err(_)) => return true,
            }
        }
    }

    /// The `message` events' data so far, in order.
    fn messages(&self) -> Vec<Value> {
        self.seen
            .split("\n\n")
            .filter(|f| f.lines().any(|l| l == "event: message"))
            .filter_map(|f| f.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }
}

fn events(h: &TestHost, key: &str) -> reqwest::RequestBuilder {
    h.http.get(format!("{}/v1/events", h.url)).bearer_auth(key)
}

/// A new widget session of `widget`: its conversation id and token.
async fn session(h: &TestHost, widget: &str) -> (String, String) {
    let r = h
        .http
        .post(format!("{}/v1/widget/sessions", h.url))
        .bearer_auth(widget)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let s: Value = r.json().await.unwrap();
    (
        s["conversation_id"].as_str().unwrap().to_string(),
        s["token"].as_str().unwrap().to_string(),
    )
}

fn widget_stream(
    h: &TestHost,
    widget: &str,
    (id, token): &(String, String),
) -> reqwest::RequestBuilder {
    h.http
        .get(format!("{}/v1/widget/conversations/{id}/stream", h.url))
        .bearer_auth(widget)
        .header("X-Baton-Session", token)
}

/// A key's public id, from its secret (`bk_<id>_<secret>`).
fn key_id(secret: &str) -> String {
    secret.split('_').nth(1).unwrap().to_string()
}

/// A message on conversation `id` that the trigger leaves with the bot.
async fn say(h: &TestHost, channel: &str, id: &str, text: &str) {
    let (status, body) = h
        .post(
            &format!("/v1/conversations/{id}/events"),
            channel,
            json!({"role": "customer", "text": text, "channel": "web_chat"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_end_within_seconds_of_their_keys_revocation_and_others_go_on() {
    let h = TestHost::start(&[]).await;
    let doomed = h.channel("acme-plumbing").await;
    let other = h.channel("acme-plumbing").await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let other_widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let (mine, theirs) = (session(&h, &widget).await, session(&h, &other_widget).await);
    let mut doomed_events = Sse::open(events(&h, &doomed)).await;
    let mut other_events = Sse::open(events(&h, &other)).await;
    let mut doomed_widget = Sse::open(widget_stream(&h, &widget, &mine)).await;
    let mut other_widget_stream = Sse::open(widget_stream(&h, &other_widget, &theirs)).await;
    // All four are live.
    for sse in [&mut doomed_widget, &mut other_widget_stream] {
        sse.until("\"with\":\"bot\"").await;
    }
    say(&h, &other, "revoke-1", "can I talk to a real person please").await;
    doomed_events.until("handoff.opened").await;
    other_events.until("handoff.opened").await;

    // Revoked the way an operator does it, from another process on the same store.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["keys", "revoke", &key_id(&doomed), "--data", &h.data])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(h
        .host
        .desk
        .store()
        .revoke_key(&key_id(&widget), 0)
        .await
        .unwrap());
    let t = Instant::now();
    assert!(
        doomed_events.ends_within(Duration::from_secs(5)).await,
        "the revoked channel key's /v1/events stream still runs after 5 s"
    );
    assert!(
        doomed_widget.ends_within(Duration::from_secs(5)).await,
        "the revoked widget key's stream still runs after 5 s"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // The revoked key opens no new stream; the other keys' streams go on.
    assert_eq!(events(&h, &doomed).send().await.unwrap().status(), 401);
    say(&h, &other, "revoke-2", "can I talk to a real person please").await;
    other_events.until("\"conversation_id\":\"revoke-2\"").await;
    say(&h, &other, &theirs.0, "is the plumber on the way?").await;
    other_widget_stream
        .until("is the plumber on the way?")
        .await;
    assert!(!doomed_events.seen.contains("revoke-2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_revoked_on_one_host_ends_its_streams_on_another() {
    let (_data, hosts) = crate::multihost::hosts(2).await;
    let (a, b) = (&hosts[0], &hosts[1]);
    let doomed = a.channel("acme-plumbing").await;
    let other = a.channel("acme-plumbing").await;
    let widget = a.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let mine = session(a, &widget).await;
    let mut doomed_events = Sse::open(events(a, &doomed)).await;
    let mut other_events = Sse::open(events(a, &other)).await;
    let mut doomed_widget = Sse::open(widget_stream(a, &widget, &mine)).await;
    doomed_widget.until("\"with\":\"bot\"").await;
    // Written on host B, streamed on host A.
    say(b, &other, &mine.0, "the kitchen drain is slow").await;
    doomed_widget.until("the kitchen drain is slow").await;
    say(b, &other, "multi-1", "can I talk to a real person please").await;
    doomed_events.until("handoff.opened").await;

    // Revoked through host B's store: host A learns it only from the shared database.
    for key in [&doomed, &widget] {
        assert!(b
            .host
            .desk
            .store()
            .revoke_key(&key_id(key), 0)
            .await
            .unwrap());
    }
    assert!(
        doomed_events.ends_within(Duration::from_secs(5)).await,
        "host A's /v1/events stream of a key revoked on host B still runs after 5 s"
    );
    assert!(
        doomed_widget.ends_within(Duration::from_secs(5)).await,
        "host A's widget stream of a key revoked on host B still runs after 5 s"
    );
    say(b, &other, "multi-2", "can I talk to a real person please").await;
    other_events.until("\"conversation_id\":\"multi-2\"").await;
}

/// `baton_widget_stream_reads_total` of acme-plumbing on `h`.
async fn stream_reads(h: &TestHost, operator: &str) -> u64 {
    let text = h
        .http
        .get(format!("{}/metrics", h.url))
        .bearer_auth(operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = "baton_widget_stream_reads_total{tenant=\"acme-plumbing\"} ";
    text.lines()
        .find_map(|l| l.strip_prefix(line))
        .unwrap_or_else(|| panic!("no {line}in {text}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_widget_stream_wakes_only_for_its_conversation_and_sends_each_message_once() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let operator = h.key(None, KeyRole::Operator, None).await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let a = session(&h, &widget).await;
    let mut stream = Sse::open(widget_stream(&h, &widget, &a)).await;
    stream.until("\"with\":\"bot\"").await;
    let mut sent = Vec::new();
    for n in 0..3 {
        let text = format!("the kitchen drain is slow, ref a-{n}");
        say(&h, &channel, &a.0, &text).await;
        stream.until(&text).await;
        sent.push(text);
    }

    // A burst on another conversation of the same tenant: A's stream does not look.
    let before = stream_reads(&h, &operator).await;
    let t = Instant::now();
    for n in 0..30 {
        say(
            &h,
            &channel,
            "conversation-b",
            &format!("the kitchen drain is slow, ref b-{n}"),
        )
        .await;
    }
    // Past a key re-check, so a look it caused would show too.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reads = stream_reads(&h, &operator).await - before;
    if h.host.desk.store().backend() == "sqlite" {
        assert_eq!(
            reads, 0,
            "30 commits on B made A's stream read its conversation"
        );
    } else {
        // A shared store: A also looks once per re-check for other hosts' writes, never
        // once per commit.
        let bound = t.elapsed().as_secs() + 2;
        assert!(reads <= bound, "{reads} reads of A in {:?}", t.elapsed());
    }

    // A's next message still arrives, once; every message came once, in order.
    let text = "the kitchen drain is slow, ref a-3".to_string();
    say(&h, &channel, &a.0, &text).await;
    stream.until(&text).await;
    sent.push(text);
    assert!(stream_reads(&h, &operator).await > before);
    let messages = stream.messages();
    let seqs: Vec<i64> = messages
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (0..seqs.len() as i64).collect();
    assert_eq!(
        seqs, expected,
        "each message once, in order: {}",
        stream.seen
    );
    let customer: Vec<&str> = messages
        .iter()
        .filter(|m| m["role"] == "customer")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(customer, sent);
    assert!(!stream.seen.contains("ref b-"), "{}", stream.seen);
}
