//! The API keeps its own contract (what schemathesis checked in `tests/fuzz/run`, pinned
//! here): every refusal is a JSON error body, and every status an operation answers is one
//! its `/openapi.json` entry documents.

use crate::host::TestHost;
use serde_json::Value;

/// A raw answer: status, content type, body.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Answer {
    /// The JSON error body's `error` object; panics when the body is not one.
    pub fn error(&self) -> Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "{} answered `{}`: {}",
            self.status,
            self.content_type,
            self.body
        );
        let v: Value = serde_json::from_str(&self.body).expect("a JSON body");
        assert!(v["error"]["code"].is_string(), "{v}");
        assert!(v["error"]["message"].is_string(), "{v}");
        v["error"].clone()
    }
}

/// Send `method path` with `headers` and an optional raw body.
pub async fn send(
    h: &TestHost,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> Answer {
    let mut req = h
        .http
        .request(method.parse().unwrap(), format!("{}{path}", h.url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Answer {
        status,
        content_type,
        body: resp.text().await.unwrap(),
    }
}

/// The server's OpenAPI document.
pub async fn openapi(h: &TestHost) -> Value {
    let a = send(h, "GET", "/openapi.json", &[], None).await;
    assert_eq!(a.status, 200);
    serde_json::from_str(&a.body).unwrap()
}

/// Whether `doc` documents `status` for `method template`.
pub fn documented(doc: &Value, method: &str, template: &str, status: u16) -> bool {
    !doc["paths"][template][method.to_lowercase()]["responses"][status.to_string()].is_null()
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_strings_and_paths_are_json_422s_naming_the_parameter() {
    let h = TestHost::start(&[]).await;
    let doc = openapi(&h).await;
    let sam = bearer(&h.agent("acme-plumbing", "sam").await);
    let auth = [("authorization", sam.as_str())];
    // (request path, documented template, the parameter the error must name)
    let cases = [
        ("/v1/handoffs?x-unknown=42", "/v1/handoffs", "x-unknown"),
        ("/v1/handoffs?limit=-1", "/v1/handoffs", "limit"),
        // Declared 1 to 1000: refused outside, never silently clamped (a number past u32 was a
        // schema-valid request rejected by the fuzz run).
        ("/v1/handoffs?limit=0", "/v1/handoffs", "limit"),
        ("/v1/handoffs?limit=1001", "/v1/handoffs", "limit"),
        ("/v1/report?to=2026-01-01&bogus=1", "/v1/report", "bogus"),
        // Past i64: axum's own Query answered 400 in plain text.
        (
            "/v1/events?after=9223372036854775808",
            "/v1/events",
            "after",
        ),
        // Percent-encoded bytes that are not UTF-8: axum's Path answered 400 in plain text.
        ("/v1/handoffs/%FF%FE", "/v1/handoffs/{id}", "id"),
        (
            "/v1/conversations/%C3%28/events",
            "/v1/conversations/{id}/events",
            "id",
        ),
    ];
    for (path, template, field) in cases {
        let method = if path.ends_with("/events") && path.starts_with("/v1/conversations") {
            "POST"
        } else {
            "GET"
        };
        let body = (method == "POST").then(|| br#"{"role":"customer","text":"hi"}"#.to_vec());
        let channel;
        let auth: Vec<(&str, &str)> = if method == "POST" {
            channel = bearer(&h.channel("acme-plumbing").await);
            vec![
                ("authorization", &channel),
                ("content-type", "application/json"),
            ]
        } else {
            auth.to_vec()
        };
        let a = send(&h, method, path, &auth, body).await;
        assert_eq!(a.status, 422, "{method} {path}: {}", a.body);
        let e = a.error();
        assert_eq!(e["field"], field, "{method} {path}: {e}");
        assert!(
            documented(&doc, method, template, 422),
            "{method} {template} does not document 422"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_the_fuzzer_found_are_documented_json() {
    let h = TestHost::start(&[]).await;
    let doc = openapi(&h).await;
    let sam = bearer(&h.agent("acme-plumbing", "sam").await);
    let widget = bearer(
        &h.key(Some("acme-plumbing"), baton::store::KeyRole::Widget, None)
            .await,
    );

    // Last-Event-ID that is not a number: 422, which GET /v1/events did not document.
    let a = send(
        &h,
        "GET",
        "/v1/events",
        &[("authorization", &sam), ("last-event-id", "null")],
        None,
    )
    .await;
    assert_eq!(a.status, 422);
    assert_eq!(a.error()["field"], "Last-Event-ID");
    assert!(documented(&doc, "GET", "/v1/events", 422));

    // The widget's endpoints without a key: 401, which they did not document.
    for (method, template) in [
        ("POST", "/v1/widget/conversations/{id}/messages"),
        ("GET", "/v1/widget/conversations/{id}/stream"),
    ] {
        let path = template.replace("{id}", "web-x");
        let a = send(&h, method, &path, &[("x-baton-session", "t")], None).await;
        assert_eq!(a.status, 401, "{method} {path}: {}", a.body);
        a.error();
        assert!(
            documented(&doc, method, template, 401),
            "{method} {template}"
        );
    }
    // The widget stream's `from` past i64: a JSON 422 naming it (was a plain-text 400).
    let a = send(
        &h,
        "GET",
        "/v1/widget/conversations/web-x/stream?from=9223372036854775808",
        &[("authorization", &widget), ("x-baton-session", "t")],
        None,
    )
    .await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(a.error()["field"], "from");

    // A method a path does not take: 405 with a JSON body and `Allow` (axum's was empty).
    let a = send(&h, "DELETE", "/v1/me", &[("authorization", &sam)], None).await;
    assert_eq!(a.status, 405);
    assert_eq!(a.error()["code"], "method_not_allowed");
    // ...while the widget's CORS preflight still answers (its layer sees OPTIONS first).
    let a = send(
        &h,
        "OPTIONS",
        "/v1/widget/sessions",
        &[("origin", "https://shop.example")],
        None,
    )
    .await;
    assert_eq!(a.status, 204, "{}", a.body);

    // A body over the limit: 413 JSON, the SMS bridge included (it read raw bytes).
    let big = vec![b'a'; baton::api::MAX_BODY + 1];
    for (path, ct) in [
        (
            "/v1/sms/twilio/acme-plumbing",
            "application/x-www-form-urlencoded",
        ),
        ("/v1/handoffs/x/messages", "application/json"),
    ] {
        let a = send(
            &h,
            "POST",
            path,
            &[("authorization", &sam), ("content-type", ct)],
            Some(big.clone()),
        )
        .await;
        assert_eq!(a.status, 413, "{path}: {}", a.body);
        assert_eq!(a.error()["code"], "too_large");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_documents_what_its_extractors_can_answer() {
    let h = TestHost::start(&[]).await;
    let doc = openapi(&h).await;
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let has = |s: u16| !op["responses"][s.to_string()].is_null();
            let what = format!("{method} {template}");
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has(401), "{what}: a key is required, 401 undocumented");
            }
            if !op["requestBody"].is_null() {
                assert!(has(400) && has(413), "{what}: body errors undocumented");
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params
                .iter()
                .any(|p| p["in"] == "path" || p["in"] == "query")
            {
                assert!(has(422), "{what}: parameter errors undocumented");
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what} {status}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations");
}
