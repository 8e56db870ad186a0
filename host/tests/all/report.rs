//! Closing the loop on the real server: scripted conversations with known outcomes give
//! exact figures in `GET /v1/report` and `GET /metrics`, and a shadow plugin's
//! disagreements are counted. Export, replay and retention are in `history.rs`.

use crate::host::TestHost;
use crate::support::root;
use baton::store::KeyRole;
use serde_json::{json, Value};

const T0: i64 = 1_772_467_200; // 2026-03-02T16:00:00Z, a Monday morning in Chicago

/// acme-plumbing with keyword-trigger as its shadow.
pub fn shadowed() -> String {
    let acme = std::fs::read_to_string(root().join("policies/acme-plumbing.toml")).unwrap();
    format!("{acme}\n[shadow]\nplugin = \"plugins/keyword-trigger.wasm\"\n\n[shadow.config]\nwords = [\"sink\", \"person\"]\n")
}

fn at(secs: i64) -> String {
    jiff::Timestamp::from_second(T0 + secs).unwrap().to_string()
}

/// Post one message with its time and customer.
async fn say(
    h: &TestHost,
    key: &str,
    conv: &str,
    role: &str,
    text: &str,
    secs: i64,
    phone: &str,
) -> Value {
    let mut body = json!({"role": role, "text": text, "at": at(secs), "channel": "sms",
                          "customer": {"name": "Dana Ruiz", "phone": phone}});
    if role == "bot" {
        body["intent"] = json!("faq");
        body["confidence"] = json!(0.9);
    }
    let (s, v) = h
        .post(&format!("/v1/conversations/{conv}/events"), key, body)
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn ok(h: &TestHost, path: &str, key: &str, body: Value) -> Value {
    let (s, v) = h.post(path, key, body).await;
    assert!(s == 200 || s == 201, "{path}: {s} {v}");
    v
}

/// Five conversations of tenant `shadowed` with known outcomes.
pub async fn script(h: &TestHost) {
    let ch = h.channel("shadowed").await;
    let sam = h.agent("shadowed", "sam").await;
    h.available(&sam, "sam").await;
    let (dana, b, c, d) = (
        "+15555550117",
        "+15555550202",
        "+15555550303",
        "+15555550404",
    );

    // s1: shadow escalates early ("sink"), live at message 2; accepted, the customer repeats
    // herself, resolved as booked with CSAT 4.
    let r = say(
        h,
        &ch,
        "s1",
        "customer",
        "hi, my kitchen sink drains slowly",
        0,
        dana,
    )
    .await;
    assert_eq!(r["decision"]["escalate"], false, "{r}");
    say(
        h,
        &ch,
        "s1",
        "bot",
        "Is the other sink backing up too?",
        4,
        dana,
    )
    .await;
    let r = say(
        h,
        &ch,
        "s1",
        "customer",
        "can I just talk to a real person please",
        60,
        dana,
    )
    .await;
    assert_eq!(r["decision"]["reason"], "explicit_request", "{r}");
    let id = r["handoff"]["id"].as_str().unwrap().to_string();
    ok(h, &format!("/v1/handoffs/{id}/accept"), &sam, json!(null)).await;
    ok(
        h,
        &format!("/v1/handoffs/{id}/messages"),
        &sam,
        json!({"text": "Hi Dana, what's the address?"}),
    )
    .await;
    say(
        h,
        &ch,
        "s1",
        "customer",
        "like I already told the bot, 12 Elm St",
        120,
        dana,
    )
    .await;
    ok(
        h,
        &format!("/v1/handoffs/{id}/resolve"),
        &sam,
        json!({"outcome": "booked", "csat": 4}),
    )
    .await;

    // s2: stays with the bot; "as I said, thanks" before any handoff is not context loss.
    let r = say(
        h,
        &ch,
        "s2",
        "customer",
        "what are your hours on saturday?",
        0,
        b,
    )
    .await;
    assert_eq!(r["decision"]["escalate"], false, "{r}");
    say(h, &ch, "s2", "bot", "We're open 8 to 2 on Saturdays.", 2, b).await;
    let r = say(
        h,
        &ch,
        "s2",
        "customer",
        "as I said, thanks so much!",
        30,
        b,
    )
    .await;
    assert_eq!(r["decision"]["escalate"], false, "{r}");

    // s3: the shadow's false alarm.
    let r = say(
        h,
        &ch,
        "s3",
        "customer",
        "do you also clean bathroom sinks?",
        0,
        c,
    )
    .await;
    assert_eq!(r["decision"]["escalate"], false, "{r}");
    say(h, &ch, "s3", "bot", "Yes, we do!", 6, c).await;

    // s4: both escalate at once; accepted, no repetition, handed back.
    let r = say(h, &ch, "s4", "customer", "I need to talk to a person", 0, d).await;
    assert_eq!(r["decision"]["reason"], "explicit_request", "{r}");
    let id = r["handoff"]["id"].as_str().unwrap().to_string();
    ok(h, &format!("/v1/handoffs/{id}/accept"), &sam, json!(null)).await;
    ok(
        h,
        &format!("/v1/handoffs/{id}/messages"),
        &sam,
        json!({"text": "Hi! How can I help?"}),
    )
    .await;
    say(
        h,
        &ch,
        "s4",
        "customer",
        "it's about the upstairs bathroom, thanks",
        90,
        d,
    )
    .await;
    ok(
        h,
        &format!("/v1/handoffs/{id}/handback"),
        &sam,
        json!({"note": "bot can book it"}),
    )
    .await;

    // s5: Dana comes back within 72 hours, so s1 was not a first-contact resolution.
    let r = say(
        h,
        &ch,
        "s5",
        "customer",
        "hello, what are your hours on sunday?",
        0,
        dana,
    )
    .await;
    assert_eq!(r["decision"]["escalate"], false, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_conversations_give_exact_figures() {
    let h = TestHost::start(&[("shadowed", &shadowed())]).await;
    script(&h).await;
    let agent = h.agent("shadowed", "jo").await;
    let (s, r) = h.get("/v1/report?group_by=reason", &agent).await;
    assert_eq!(s, 200, "{r}");
    let t = &r["totals"];
    assert_eq!(t["conversations"], 5, "{t}");
    assert_eq!(t["handoffs"], 2);
    assert_eq!(t["handoff_rate"], 0.4);
    assert_eq!(t["time_to_accept_ms"]["count"], 2);
    assert_eq!(t["handle_time_ms"]["count"], 2);
    assert_eq!(t["resolved"], 1);
    assert_eq!(t["first_contact_resolution"], 0.0, "Dana came back");
    assert_eq!(
        t["bot_response_ms"],
        json!({"count": 3, "p50": 4000, "p90": 6000})
    );
    assert_eq!(t["csat"], json!({"average": 4.0, "responses": 1}));
    assert_eq!(
        (
            t["abandoned"].as_i64(),
            t["handbacks"].as_i64(),
            t["waiting"].as_i64()
        ),
        (Some(0), Some(1), Some(0))
    );
    assert_eq!(
        (t["faults"].as_i64(), t["shadow_faults"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        t["context_loss"],
        json!({"accepted_handoffs": 2, "with_context_loss": 1, "rate": 0.5})
    );
    let found = r["context_loss"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["conversation_id"], "s1");
    assert_eq!(found[0]["signal"], "phrase");
    assert_eq!(found[0]["evidence"], "already told the bot");
    assert_eq!(found[0]["agent"], "sam");
    let groups: Vec<(String, i64, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["figures"]["conversations"].as_i64().unwrap(),
                g["figures"]["handoffs"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![("explicit_request".into(), 2, 2), ("none".into(), 3, 0)]
    );

    // Live against shadow: two messages disagree (s1 message 0, s3 message 0).
    let sh = &r["shadow"];
    assert_eq!(
        (sh["compared"].as_i64(), sh["disagreements"].as_i64()),
        (Some(7), Some(2)),
        "{sh}"
    );
    let where_: Vec<(String, i64)> = sh["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["conversation_id"].as_str().unwrap().to_string(),
                d["message_seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(where_, vec![("s1".into(), 0), ("s3".into(), 0)]);
    assert_eq!(
        (
            sh["positives"].as_i64(),
            sh["negatives"].as_i64(),
            sh["unlabelled"].as_i64()
        ),
        (Some(1), Some(3), Some(1))
    );
    assert_eq!(
        sh["live"],
        json!({"caught": 1, "missed": 0, "false_alarms": 0, "quiet": 3, "precision": 1.0, "recall": 1.0})
    );
    assert_eq!(
        sh["shadow"],
        json!({"caught": 1, "missed": 0, "false_alarms": 1, "quiet": 2, "precision": 0.5, "recall": 1.0})
    );

    // Other groupings, and who may ask.
    let (_, by_agent) = h.get("/v1/report?group_by=agent", &agent).await;
    assert_eq!(
        by_agent["groups"][1]["key"], "sam",
        "{}",
        by_agent["groups"]
    );
    assert_eq!(by_agent["groups"][1]["figures"]["handoffs"], 2);
    let (s, e) = h.get("/v1/report?group_by=weather", &agent).await;
    assert_eq!((s, e["error"]["field"].as_str()), (422, Some("group_by")));
    let (s, _) = h
        .get("/v1/report?from=2026-03-02&to=2026-03-01", &agent)
        .await;
    assert_eq!(s, 422);
    let operator = h.key(None, KeyRole::Operator, None).await;
    assert_eq!(h.get("/v1/report", &operator).await.0, 403);
    assert_eq!(
        h.get("/v1/report", &h.channel("shadowed").await).await.0,
        403
    );
    let (_, other) = h
        .get("/v1/report", &h.agent("acme-plumbing", "sam").await)
        .await;
    assert_eq!(
        other["totals"]["conversations"], 0,
        "another tenant sees none of it"
    );

    // /metrics: the same events, counted.
    assert_eq!(h.get("/metrics", &agent).await.0, 403);
    let text = h
        .http
        .get(format!("{}/metrics", h.url))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "baton_decisions_total{tenant=\"shadowed\",role=\"live\",reason=\"none\"} 5",
        "baton_decisions_total{tenant=\"shadowed\",role=\"live\",reason=\"explicit_request\"} 2",
        "baton_decisions_total{tenant=\"shadowed\",role=\"shadow\",reason=\"none\"} 3",
        "baton_decisions_total{tenant=\"shadowed\",role=\"shadow\",reason=\"explicit_request\"} 4",
        "baton_evaluation_seconds_count{tenant=\"shadowed\",role=\"live\"} 7",
        "baton_evaluation_seconds_count{tenant=\"shadowed\",role=\"shadow\"} 7",
        "baton_queue_wait_seconds_count{tenant=\"shadowed\",queue=\"general\"} 2",
        "baton_queue_depth{tenant=\"shadowed\",queue=\"general\"} 0",
        "baton_policy_faults_total{tenant=\"shadowed\",kind=\"timeout\"} 0",
        "baton_tenant_reloads_total{tenant=\"shadowed\"} 1",
        "baton_tenant_reload_failures_total{tenant=\"shadowed\"} 0",
        "baton_webhook_deliveries_total{tenant=\"shadowed\"} 0",
        "baton_tenant_loaded{tenant=\"acme-plumbing\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    assert!(
        !text.contains("reason=\"explicit_request\"} 0"),
        "only observed reasons"
    );
}

/// A returning customer: one conversation (as an SMS conversation is, keyed by the phone
/// number) started on day 1, and
/// its second handoff, on day 3, counts in day 3's report, with its outcome; abandoned
/// handoffs count on the day they opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoffs_count_on_the_day_they_opened_whenever_the_conversation_started() {
    use baton::clock::ManualClock;
    let clock = ManualClock::new("2026-12-08T15:00:00Z".parse().unwrap());
    let h = TestHost::start_on_clock(&[], clock.clone()).await;
    let channel = h.channel("acme-plumbing").await;
    let jo = h.agent("acme-plumbing", "jo").await;
    let conv = "returning-customer-1";
    let ask = |text: &'static str| {
        let (h, channel) = (&h, &channel);
        async move {
            let r = h.customer_says(channel, conv, text).await;
            assert_eq!(r["decision"]["escalate"], true, "{r}");
            r["handoff"]["id"].as_str().unwrap().to_string()
        }
    };
    // Day 1: the customer leaves before anyone answers.
    let first = ask("please let me talk to a real person").await;
    let (s, _) = h
        .post(
            &format!("/v1/handoffs/{first}/abandon"),
            &channel,
            json!({}),
        )
        .await;
    assert_eq!(s, 200);
    // Day 3, same number: a second handoff, accepted and booked.
    clock.advance_ms(2 * 86_400_000);
    let second = ask("can I talk to a person about the water heater quote").await;
    assert_ne!(first, second);
    // Jo signs in (only an agent signed in picks a handoff from the queue) and takes it.
    h.available(&jo, "jo").await;
    let (s, _) = h
        .post(&format!("/v1/handoffs/{second}/accept"), &jo, json!({}))
        .await;
    assert_eq!(s, 200);
    clock.advance_ms(60_000);
    let (s, _) = h
        .post(
            &format!("/v1/handoffs/{second}/resolve"),
            &jo,
            json!({"outcome": "booked"}),
        )
        .await;
    assert_eq!(s, 200);
    let day = |d: &str, next: &str| format!("/v1/report?from={d}&to={next}&group_by=agent");
    let (s, r) = h.get(&day("2026-12-10", "2026-12-11"), &jo).await;
    assert_eq!(s, 200, "{r}");
    let t = &r["totals"];
    assert_eq!(
        (t["conversations"].as_i64(), t["handoffs"].as_i64()),
        (Some(0), Some(1)),
        "{t}"
    );
    assert_eq!(
        (t["resolved"].as_i64(), t["abandoned"].as_i64()),
        (Some(1), Some(0)),
        "{t}"
    );
    assert_eq!(t["time_to_accept_ms"]["count"], 1);
    assert_eq!(r["groups"][0]["key"], "jo", "{r}");
    assert_eq!(r["groups"][0]["figures"]["handoffs"], 1, "{r}");
    let (s, r) = h.get(&day("2026-12-08", "2026-12-09"), &jo).await;
    assert_eq!(s, 200, "{r}");
    let t = &r["totals"];
    assert_eq!(
        (t["conversations"].as_i64(), t["handoffs"].as_i64()),
        (Some(1), Some(1)),
        "{t}"
    );
    assert_eq!(
        (t["resolved"].as_i64(), t["abandoned"].as_i64()),
        (Some(0), Some(1)),
        "{t}"
    );
    // Over both days, each once.
    let (_, r) = h.get(&day("2026-12-08", "2026-12-11"), &jo).await;
    let t = &r["totals"];
    assert_eq!(
        (t["conversations"].as_i64(), t["handoffs"].as_i64()),
        (Some(1), Some(2)),
        "{t}"
    );
}
