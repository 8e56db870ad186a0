//! Property tests of the event parser: any body posted to `POST /v1/conversations/{id}/events`
//! (arbitrary bytes, arbitrary JSON, mutations of a valid event) through the real router,
//! in-process, gets 201 or a 4xx JSON error (422s naming the field when the body is a JSON
//! object), never a 5xx and never a panic.

use crate::host::TestHost;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::sync::OnceLock;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    host: TestHost,
    key: String,
}

/// One host for every case: starting one per case would be seconds each.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (host, key) = runtime.block_on(async {
            let host = TestHost::start(&[]).await;
            let key = host.channel("acme-plumbing").await;
            (host, key)
        });
        Fixture { runtime, host, key }
    })
}

/// Post `body` as conversation `id`'s event through the router; status and JSON answer.
fn post(id: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let f = fixture();
    let app = baton::api::router(baton::api::AppState {
        desk: f.host.host.desk.clone(),
        host_id: "proptest".into(),
    });
    let request = Request::post(format!("/v1/conversations/{id}/events"))
        .header("authorization", format!("Bearer {}", f.key))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    f.runtime.block_on(async {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {bytes:?}"));
        (status, value)
    })
}

/// The answer is a success or a well-formed refusal; returns the refusal's `field`.
fn check(status: StatusCode, answer: &Value, sent: &str) -> Option<String> {
    assert!(!status.is_server_error(), "{status} for {sent}: {answer}");
    if status == StatusCode::CREATED {
        assert!(answer["seq"].is_i64(), "{answer}");
        return None;
    }
    assert!(status.is_client_error(), "{status} for {sent}");
    let e = &answer["error"];
    assert!(
        e["code"].is_string() && !e["message"].as_str().unwrap_or("").is_empty(),
        "{status} for {sent}: {answer}"
    );
    e["field"].as_str().map(str::to_string)
}

fn valid_event() -> Value {
    json!({
        "role": "customer",
        "text": "the water heater is leaking",
        "at": "2026-03-02T15:04:05Z",
        "customer": {"name": "Dana Ruiz", "phone": "+15555550117", "tags": ["vip"]},
        "channel": "sms"
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![Just("customer"), Just("bot"), Just("system"), Just("agent")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("role".to_string()),
                    Just("text".to_string()),
                    Just("name".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A change to one top-level field of a valid event: removed, replaced by any JSON, or an
/// unknown field added.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(usize),
    Replace(usize, Value),
    Add(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0usize..8).prop_map(Mutation::Remove),
        (0usize..8, any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        ("[a-z_]{1,10}", any_json()).prop_map(|(k, v)| Mutation::Add(k, v)),
    ]
}

const FIELDS: [&str; 8] = [
    "role",
    "text",
    "at",
    "intent",
    "confidence",
    "customer",
    "channel",
    "text",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_an_answer_not_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let (status, answer) = post("prop-bytes", bytes.clone());
        check(status, &answer, &format!("{bytes:?}"));
    }

    #[test]
    fn arbitrary_json_gets_an_answer_naming_the_field(value in any_json()) {
        let sent = value.to_string();
        let (status, answer) = post("prop-json", sent.clone().into_bytes());
        let field = check(status, &answer, &sent);
        if status == StatusCode::UNPROCESSABLE_ENTITY && value.is_object() {
            prop_assert!(field.is_some(), "422 without a field for {}: {}", sent, answer);
        }
    }

    #[test]
    fn mutated_valid_events_get_201_or_name_the_changed_field(changes in prop::collection::vec(mutation(), 1..3)) {
        let mut event = valid_event();
        let mut touched = Vec::new();
        let obj = event.as_object_mut().unwrap();
        for m in &changes {
            match m {
                Mutation::Remove(i) => { obj.remove(FIELDS[*i]); touched.push(FIELDS[*i].to_string()); }
                Mutation::Replace(i, v) => { obj.insert(FIELDS[*i].to_string(), v.clone()); touched.push(FIELDS[*i].to_string()); }
                Mutation::Add(k, v) => { obj.insert(k.clone(), v.clone()); touched.push(k.clone()); }
            }
        }
        let sent = event.to_string();
        let (status, answer) = post("prop-mutated", sent.clone().into_bytes());
        let field = check(status, &answer, &sent);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let field = field.unwrap_or_default();
            // The field named is one that changed, or one inside it (`customer.name`), or one
            // whose rule a changed field now breaks (`intent` on a non-bot message).
            let top = field.split(['.', '[']).next().unwrap_or("").to_string();
            let related = touched.contains(&top)
                || (["intent", "confidence"].contains(&top.as_str()) && touched.iter().any(|t| t == "role"));
            prop_assert!(related, "422 names `{}` after changing {:?}: {}", field, touched, answer);
        }
    }

    #[test]
    fn any_conversation_id_is_taken_or_refused_by_name(id in "[a-zA-Z0-9_.:@+~%!-]{1,140}") {
        let encoded: String = id.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            (b as char).to_string()
        } else {
            format!("%{b:02X}")
        }).collect();
        let (status, answer) = post(&encoded, valid_event().to_string().into_bytes());
        let field = check(status, &answer, &id);
        if status != StatusCode::CREATED {
            prop_assert_eq!(field.as_deref(), Some("id"), "{}", answer);
        }
    }
}
