//! Hardening against what strangers and careless clients send (issue 16), on the real
//! server and whichever store the suite runs (`BATON_TEST_STORE`): anonymous visitors stay
//! apart, NUL is refused alike on every store, agent keys follow the roster, answers carry
//! their challenge and cache policy, half-sent requests are closed (idempotency:
//! `idempotency.rs`).

use crate::host::TestHost;
use crate::idempotency::customer_texts;
use baton::store::KeyRole;
use serde_json::{json, Value};

/// Open a widget session and post `text` in it: the conversation id.
async fn visitor_says(h: &TestHost, widget: &str, text: &str) -> String {
    let session: Value = h
        .http
        .post(format!("{}/v1/widget/sessions", h.url))
        .bearer_auth(widget)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = session["conversation_id"].as_str().unwrap().to_string();
    let resp = h
        .http
        .post(format!("{}/v1/widget/conversations/{id}/messages", h.url))
        .bearer_auth(widget)
        .header("X-Baton-Session", session["token"].as_str().unwrap())
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_anonymous_visitors_stay_apart() {
    let h = TestHost::start(&[]).await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let ask = "I want to talk to a real person please, my water heater is leaking";
    let one = visitor_says(&h, &widget, ask).await;
    let two = visitor_says(&h, &widget, ask).await;
    let (_, c1) = h.get(&format!("/v1/conversations/{one}"), &channel).await;
    let (_, c2) = h.get(&format!("/v1/conversations/{two}"), &channel).await;
    let (k1, k2) = (
        &c1["conversation"]["customer_key"],
        &c2["conversation"]["customer_key"],
    );
    assert!(k1.is_string(), "{c1}");
    assert_ne!(k1, k2, "two strangers are two customers");
    // The read-back greets nobody by a made-up name.
    let id = c1["open_handoff"]["id"]
        .as_str()
        .expect("escalated")
        .to_string();
    let (_, packet) = h.get(&format!("/v1/handoffs/{id}"), &sam).await;
    let read_back = packet["brief"]["read_back"].as_str().unwrap();
    assert!(read_back.starts_with("Hi, I've read"), "{read_back}");
}

/// Send `body` (JSON text as given, so it can carry `\u0000`) to `path`: status and body.
async fn send_raw(h: &TestHost, method: &str, path: &str, key: &str, body: &str) -> (u16, Value) {
    let mut req = h
        .http
        .request(method.parse().unwrap(), format!("{}{path}", h.url))
        .bearer_auth(key);
    if !body.is_empty() {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_character_is_refused_the_same_way_on_every_store() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let events = "/v1/conversations/nul-1/events";
    // (method, path, key, JSON body, the field the 422 names)
    let cases = [
        (
            "POST",
            events,
            &channel,
            r#"{"role":"customer","text":"my sink\u0000"}"#,
            "text",
        ),
        (
            "POST",
            events,
            &channel,
            r#"{"role":"customer","text":"hi","customer":{"name":"Dana\u0000"}}"#,
            "customer.name",
        ),
        (
            "POST",
            events,
            &channel,
            r#"{"role":"customer","text":"hi","customer":{"name":"Dana","tags":["vip","\u0000"]}}"#,
            "customer.tags[1]",
        ),
        (
            "POST",
            events,
            &channel,
            r#"{"role":"customer","text":"hi","customer":{"name":"Dana","address":"1 Main St\u0000"}}"#,
            "customer.address",
        ),
        (
            "POST",
            events,
            &channel,
            r#"{"role":"customer","text":"hi","channel":"sms\u0000"}"#,
            "channel",
        ),
        ("GET", "/v1/conversations/nul%00-1", &channel, "", "id"),
        ("POST", "/v1/handoffs/x%00y/accept", &sam, "", "id"),
        (
            "PUT",
            "/v1/agents/sam/presence",
            &sam,
            r#"{"presence":"available\u0000"}"#,
            "presence",
        ),
        ("GET", "/v1/handoffs?queue=general%00", &sam, "", "queue"),
    ];
    for (method, path, key, body, field) in cases {
        let (status, answer) = send_raw(&h, method, path, key, body).await;
        assert_eq!(status, 422, "{method} {path} {body}: {answer}");
        assert_eq!(
            answer["error"]["field"], field,
            "{method} {path} {body}: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("NUL"), "{answer}");
    }
    // From the widget: the text and the visitor's name.
    let session: Value = h
        .http
        .post(format!("{}/v1/widget/sessions", h.url))
        .bearer_auth(&widget)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = session["conversation_id"].as_str().unwrap();
    for (body, field) in [
        (r#"{"text":"help\u0000"}"#, "text"),
        (
            r#"{"text":"help","customer":{"name":"\u0000"}}"#,
            "customer.name",
        ),
    ] {
        let resp = h
            .http
            .post(format!("{}/v1/widget/conversations/{id}/messages", h.url))
            .bearer_auth(&widget)
            .header("X-Baton-Session", session["token"].as_str().unwrap())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 422, "{body}");
        let answer: Value = resp.json().await.unwrap();
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    // Nothing refused was stored; a backslash before `u0000` is text and is stored as such.
    assert_eq!(h.get("/v1/conversations/nul-1", &channel).await.0, 404);
    let (status, answer) = send_raw(
        &h,
        "POST",
        events,
        &channel,
        r#"{"role":"customer","text":"C:\\u0000 is a path"}"#,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        customer_texts(&h, &channel, "nul-1").await,
        vec!["C:\\u0000 is a path"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_keys_work_only_while_their_agent_is_on_the_roster() {
    let h = TestHost::start(&[]).await;
    let stranger = h.agent("acme-plumbing", "nobody").await;
    let lee = h.agent("acme-plumbing", "lee").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let channel = h.channel("acme-plumbing").await;
    h.customer_says(&channel, "roster-1", "can I talk to a real person please")
        .await;
    let reads = [
        "/v1/handoffs",
        "/v1/report",
        "/v1/me",
        "/v1/conversations/roster-1",
    ];
    // A key for an agent who was never on the roster reads nothing.
    for path in reads {
        let (status, body) = h.get(path, &stranger).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    for path in reads {
        assert_eq!(h.get(path, &lee).await.0, 200, "{path}");
    }
    // Lee's live stream is open when Lee leaves the roster (a real edit of the file).
    let stream = h
        .http
        .get(format!("{}/v1/events", h.url))
        .bearer_auth(&lee)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    let file = h.policies().join("acme-plumbing.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let start = text
        .find("[[agents]]\nid = \"lee\"")
        .expect("lee in the file");
    let end = start + text[start..].find("[limits]").unwrap();
    let text = format!("{}{}", &text[..start], &text[end..]);
    // The routing self-tests name Lee: a tenant file naming an agent off its roster is
    // refused, so the edit that removes Lee removes them too.
    let tests = text.find("[[routing.tests]]").expect("routing self-tests");
    let after = tests + text[tests..].find("\n[widget]").unwrap();
    std::fs::write(&file, format!("{}{}", &text[..tests], &text[after..])).unwrap();
    let removed = async {
        while h.get("/v1/handoffs", &lee).await.0 != 401 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), removed)
        .await
        .expect("the reload removing Lee is served");
    for path in reads {
        let (status, body) = h.get(path, &lee).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("roster")),
            "{body}"
        );
    }
    // The stream ends (within a generous bound), and Sam is unaffected.
    let drained = tokio::time::timeout(std::time::Duration::from_secs(30), stream.text()).await;
    assert!(
        drained.is_ok(),
        "Lee's event stream outlived Lee on the roster"
    );
    assert_eq!(h.get("/v1/handoffs", &sam).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_their_challenge_their_cache_policy_and_their_retry() {
    let acme = std::fs::read_to_string(crate::support::root().join("policies/acme-plumbing.toml"))
        .unwrap();
    let quiet = acme.replace("demo_page = true", "");
    let h = TestHost::start(&[("quiet-plumbing", &quiet)]).await;
    let channel = h.channel("acme-plumbing").await;
    let get = |path: &str, key: Option<&str>| {
        let mut req = h.http.get(format!("{}{path}", h.url));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send()
    };
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };

    // 401s say how to authenticate (RFC 6750), and whether the key presented was the problem.
    let none = get("/v1/handoffs", None).await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert_eq!(
        header(&none, "www-authenticate").as_deref(),
        Some("Bearer realm=\"baton\"")
    );
    let bad = get("/v1/handoffs", Some("bk_nope_0123456789abcdef"))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    assert_eq!(
        header(&bad, "www-authenticate").as_deref(),
        Some("Bearer realm=\"baton\", error=\"invalid_token\"")
    );

    // Personal data is never kept by a browser or proxy, errors included.
    h.customer_says(&channel, "cache-1", "my faucet drips")
        .await;
    for path in [
        "/v1/conversations/cache-1",
        "/v1/conversations/nope",
        "/v1/me",
    ] {
        let r = get(path, Some(&channel)).await.unwrap();
        assert_eq!(
            header(&r, "cache-control").as_deref(),
            Some("no-store"),
            "{path}"
        );
    }

    // A live stream tells clients how long to wait before reconnecting, first thing.
    let mut stream = get("/v1/events", Some(&channel)).await.unwrap();
    assert_eq!(
        header(&stream, "cache-control").as_deref(),
        Some("no-store")
    );
    let first = tokio::time::timeout(std::time::Duration::from_secs(30), stream.chunk())
        .await
        .expect("the stream opens")
        .unwrap()
        .unwrap();
    let first = String::from_utf8_lossy(&first);
    assert!(first.lines().any(|l| l.starts_with("retry:")), "{first:?}");

    // `/demo` only for a tenant that enables it.
    let acme_widget = h.key(Some("acme-plumbing"), KeyRole::Widget, None).await;
    let quiet_widget = h.key(Some("quiet-plumbing"), KeyRole::Widget, None).await;
    let demo = |key: &str| get(&format!("/demo?key={key}"), None);
    assert_eq!(demo(&acme_widget).await.unwrap().status().as_u16(), 200);
    assert_eq!(demo(&quiet_widget).await.unwrap().status().as_u16(), 404);
    assert_eq!(
        demo(&channel).await.unwrap().status().as_u16(),
        404,
        "not a widget key"
    );
    assert_eq!(get("/demo", None).await.unwrap().status().as_u16(), 200);
    // The tenant turns it off (a real edit of its file): no demo page on this host at all.
    let file = h.policies().join("acme-plumbing.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("demo_page = true", "demo_page = false")).unwrap();
    let off = async {
        while demo(&acme_widget).await.unwrap().status().as_u16() != 404 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), off)
        .await
        .expect("the reload turning the demo off is served");
    assert_eq!(get("/demo", None).await.unwrap().status().as_u16(), 404);
}

/// Serve the host's API on a listener of its own with `limits`: its address.
async fn listen_with(
    h: &TestHost,
    limits: baton::server::http::HttpLimits,
) -> std::net::SocketAddr {
    let app = baton::api::router(baton::api::AppState {
        desk: h.host.desk.clone(),
        host_id: h.host.id.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(baton::server::http::serve(
        listener,
        app,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Open a connection and send `bytes` (a request cut short).
async fn half_sent(addr: std::net::SocketAddr, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    s
}

/// Read until the server closes the connection (a generous bound: this asserts that it
/// does, not how fast): what it sent.
async fn until_closed(mut s: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), s.read_to_end(&mut got));
    // A reset is closed too.
    let _ = read.await.expect("the server closed the connection");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_closed_while_healthz_keeps_answering() {
    use baton::server::http::HttpLimits;
    use std::time::Duration;
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let limits = HttpLimits {
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_secs(30),
        max_connections: 8,
    };
    let addr = listen_with(&h, limits).await;
    let healthz = || async move {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .map(|r| r.status().as_u16())
    };

    // Slowloris: as many half-sent headers as there are connection slots. `/healthz` is
    // answered (once the header timeout frees a slot), and every one of them is closed.
    let mut loris = Vec::new();
    for _ in 0..limits.max_connections {
        loris.push(half_sent(addr, b"GET /healthz HTTP/1.1\r\nHost: baton\r\nX-Slow: 1").await);
    }
    let answered = tokio::time::timeout(Duration::from_secs(30), healthz()).await;
    assert_eq!(answered.expect("healthz answered").ok(), Some(200));
    for s in loris {
        let got = until_closed(s).await;
        assert!(
            !got.contains("200 OK"),
            "a half-sent request was answered: {got}"
        );
    }

    // Whole headers, half a body: refused (400, saying why) and closed.
    let head = format!(
        "POST /v1/conversations/slow-1/events HTTP/1.1\r\nHost: baton\r\nAuthorization: Bearer {channel}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"role\":\"customer\","
    );
    let got = until_closed(half_sent(addr, head.as_bytes()).await).await;
    assert!(got.starts_with("HTTP/1.1 400"), "{got}");
    assert!(got.contains("body timeout"), "{got}");
    assert_eq!(h.get("/v1/conversations/slow-1", &channel).await.0, 404);

    // A kept-alive connection that sends nothing more is closed too; the host still answers.
    let got =
        until_closed(half_sent(addr, b"GET /healthz HTTP/1.1\r\nHost: baton\r\n\r\n").await).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert_eq!(healthz().await.ok(), Some(200));
}
