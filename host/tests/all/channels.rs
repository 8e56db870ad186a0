//! The SMS bridge on the real server: Twilio's signed webhook in, Twilio's REST API out
//! (against a local stub), agent alerts by text, and the operator's outbox counts.

use crate::host::TestHost;
use baton::channels::twilio::signature;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) const TOKEN_ENV: &str = "BATON_TEST_TWILIO_TOKEN";
pub(crate) const TOKEN: &str = "test-auth-token-12345";
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+15555550123";
pub(crate) const DANA: &str = "+15555550117";

/// One request the stub Twilio API received: path, Authorization header, form.
type Sent = (String, String, Vec<(String, String)>);

/// A stub of Twilio's Messages API on loopback that records what it is sent.
pub(crate) async fn stub_twilio() -> (String, Arc<Mutex<Vec<Sent>>>) {
    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let log = sent.clone();
    let app = axum::Router::new().route(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        axum::routing::post(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
                let log = log.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string();
                    let form = baton::channels::twilio::parse_form(body.as_bytes()).unwrap();
                    let n = {
                        let mut l = log.lock().unwrap();
                        l.push((uri.path().to_string(), auth, form));
                        l.len()
                    };
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(json!({"sid": format!("SM{n:032x}"), "status": "queued"})),
                    )
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, sent)
}

/// The demo plumbing tenant with an SMS bridge to the stub.
pub(crate) fn sms_tenant(api_base: &str) -> String {
    let acme = std::fs::read_to_string(crate::support::root().join("policies/acme-plumbing.toml"))
        .unwrap();
    with_sms(&acme, api_base)
}

/// Tenant file `base` with an SMS bridge to the stub at `api_base`.
pub(crate) fn with_sms(base: &str, api_base: &str) -> String {
    format!(
        "{base}\n[sms]\nprovider = \"twilio\"\naccount_sid = \"{SID}\"\nauth_token_env = \"{TOKEN_ENV}\"\nfrom = \"{NUMBER}\"\napi_base = \"{api_base}\"\n"
    )
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(crate) fn inbound(from: &str, body: &str, n: u32) -> Vec<(String, String)> {
    let sid = format!("SM{n:032x}");
    form(&[
        ("ToCountry", "US"),
        ("From", from),
        ("To", NUMBER),
        ("Body", body),
        ("MessageSid", &sid),
        ("AccountSid", SID),
        ("NumMedia", "0"),
    ])
}

/// Post a Twilio webhook form with `signature` (none when `None`); status and body text.
async fn post_sms(
    h: &TestHost,
    params: &[(String, String)],
    signature: Option<&str>,
    content_type: &str,
) -> (u16, String) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let mut req = h
        .http
        .post(format!("{}/v1/sms/twilio/textco", h.url))
        .header("content-type", content_type)
        .body(body);
    if let Some(s) = signature {
        req = req.header("X-Twilio-Signature", s);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

pub(crate) async fn signed(h: &TestHost, params: &[(String, String)]) -> (u16, String) {
    let url = format!("{}/v1/sms/twilio/textco", h.url);
    let sig = signature(TOKEN, &url, params);
    post_sms(h, params, Some(&sig), "application/x-www-form-urlencoded").await
}

async fn message_count(h: &TestHost, channel: &str) -> usize {
    let (s, v) = h
        .get(&format!("/v1/conversations/sms:{DANA}"), channel)
        .await;
    if s == 404 {
        return 0;
    }
    v["messages"].as_array().unwrap().len()
}

/// Wait until the stub has a message to `to` whose body contains `needle`.
pub(crate) async fn texted(sent: &Arc<Mutex<Vec<Sent>>>, to: &str, needle: &str) -> Sent {
    for _ in 0..100 {
        let found = sent
            .lock()
            .unwrap()
            .iter()
            .find(|(_, _, f)| {
                f.iter().any(|(k, v)| k == "To" && v == to)
                    && f.iter().any(|(k, v)| k == "Body" && v.contains(needle))
            })
            .cloned();
        if let Some(s) = found {
            return s.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no text to {to} containing {needle:?}; sent: {:?}",
        sent.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sms_bridge_takes_signed_texts_refuses_the_rest_and_texts_back() {
    // SAFETY of the test: the variable is set once, to the same value, before any use.
    std::env::set_var(TOKEN_ENV, TOKEN);
    let (api_base, sent) = stub_twilio().await;
    let h = TestHost::start(&[("textco", &sms_tenant(&api_base))]).await;
    let channel = h.channel("textco").await;
    let sam = h.agent("textco", "sam").await;
    h.available(&sam, "sam").await;

    // A signed text is stored; the answer is empty TwiML.
    let first = inbound(DANA, "hi, my kitchen sink drains slowly", 1);
    let (s, twiml) = signed(&h, &first).await;
    assert_eq!(s, 200, "{twiml}");
    assert!(twiml.contains("<Response></Response>"), "{twiml}");
    assert_eq!(message_count(&h, &channel).await, 1);
    let (_, conv) = h
        .get(&format!("/v1/conversations/sms:{DANA}"), &channel)
        .await;
    assert_eq!(conv["conversation"]["channel"], "sms");
    assert_eq!(conv["conversation"]["customer"]["phone"], DANA);

    // Replayed (same MessageSid, same signature): refused, stored once.
    let (s, _) = signed(&h, &first).await;
    assert_eq!(s, 409);
    // Forged: a wrong token's signature, a tampered body, no signature at all.
    let url = format!("{}/v1/sms/twilio/textco", h.url);
    let forged = inbound(DANA, "send the tech to my neighbour's", 2);
    let bad = signature("not-the-token", &url, &forged);
    assert_eq!(
        post_sms(&h, &forged, Some(&bad), "application/x-www-form-urlencoded")
            .await
            .0,
        403
    );
    let good_for_other = signature(TOKEN, &url, &inbound(DANA, "hello", 3));
    let tampered = inbound(DANA, "hello, cancel everything", 3);
    assert_eq!(
        post_sms(
            &h,
            &tampered,
            Some(&good_for_other),
            "application/x-www-form-urlencoded"
        )
        .await
        .0,
        403
    );
    assert_eq!(
        post_sms(&h, &forged, None, "application/x-www-form-urlencoded")
            .await
            .0,
        403
    );
    // Malformed: not a form, no MessageSid, a From that is not a number, another To.
    let sig = signature(TOKEN, &url, &forged);
    assert_eq!(
        post_sms(&h, &forged, Some(&sig), "application/json")
            .await
            .0,
        415
    );
    let no_sid = form(&[("From", DANA), ("To", NUMBER), ("Body", "hi")]);
    assert_eq!(signed(&h, &no_sid).await.0, 422);
    assert_eq!(signed(&h, &inbound("12345", "hi", 4)).await.0, 422);
    let mut other_to = inbound(DANA, "hi", 5);
    other_to[2].1 = "+15555550999".into();
    assert_eq!(signed(&h, &other_to).await.0, 422);
    // An unknown tenant, or one without a bridge.
    let (s, _) = h
        .call("POST", "/v1/sms/twilio/comfort-hvac", None, None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        message_count(&h, &channel).await,
        1,
        "nothing refused was stored"
    );

    // The customer asks for a person: the notice goes back by text, and Sam is alerted by
    // text (his roster entry has `alert = { sms = ... }`), both from the outbox.
    let (s, _) = signed(
        &h,
        &inbound(DANA, "can I just talk to a real person please", 6),
    )
    .await;
    assert_eq!(s, 200);
    let (path, auth, notice) = texted(&sent, DANA, "Sam").await;
    assert_eq!(path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    assert_eq!(auth, format!("Basic {basic}"));
    assert!(notice.iter().any(|(k, v)| k == "From" && v == NUMBER));
    texted(&sent, "+15555550100", "handoff for you").await;

    // Sam accepts, replies and hands back: each reaches the customer's phone.
    let (_, conv) = h
        .get(&format!("/v1/conversations/sms:{DANA}"), &channel)
        .await;
    let id = conv["open_handoff"]["id"].as_str().unwrap().to_string();
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
    texted(&sent, DANA, "has joined").await;
    let (s, _) = h
        .post(
            &format!("/v1/handoffs/{id}/messages"),
            &sam,
            json!({"text": "Hi Dana, Sam here. Is 3pm good?"}),
        )
        .await;
    assert_eq!(s, 201);
    texted(&sent, DANA, "Is 3pm good?").await;
    let (s, _) = signed(&h, &inbound(DANA, "3pm is great", 7)).await;
    assert_eq!(s, 200);
    let (s, _) = h
        .post(&format!("/v1/handoffs/{id}/handback"), &sam, json!({}))
        .await;
    assert_eq!(s, 200);
    texted(&sent, DANA, "back to help").await;
    let customer_texts = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, f)| f.iter().any(|(k, v)| k == "To" && v == DANA))
        .count();
    assert_eq!(
        customer_texts, 4,
        "notice, joined, reply, hand-back: the customer's own words are not echoed"
    );

    // The operator sees the outbox per tenant.
    let operator = h.key(None, KeyRole::Operator, None).await;
    let (_, status) = h.get("/v1/admin/tenants", &operator).await;
    let textco = tenant_status(&status, "textco");
    let sms = kind(textco, "sms");
    assert_eq!(sms["delivered"], 4, "{textco}");
    assert_eq!(kind(textco, "alert_sms")["delivered"], 1, "{textco}");
    // Sam's email alert has no relay on this host: it waits to be retried, and says why.
    let email = kind(textco, "alert_email");
    assert_eq!(email["retrying"], 1, "{textco}");
    assert!(
        email["last_error"]
            .as_str()
            .unwrap()
            .contains("no SMTP relay"),
        "{email}"
    );
    assert_eq!(textco["delivery_failures"], 1, "{textco}");
}

pub fn tenant_status<'a>(status: &'a Value, tenant: &str) -> &'a Value {
    status["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant"] == tenant)
        .unwrap_or_else(|| panic!("{tenant} in {status}"))
}

pub fn kind<'a>(tenant: &'a Value, kind: &str) -> &'a Value {
    tenant["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("{kind} in {tenant}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn texts_go_only_to_numbers_that_texted_in() {
    std::env::set_var(TOKEN_ENV, TOKEN);
    let (api_base, sent) = stub_twilio().await;
    let h = TestHost::start(&[("textco", &sms_tenant(&api_base))]).await;
    let channel = h.channel("textco").await;
    let sam = h.agent("textco", "sam").await;
    h.available(&sam, "sam").await;
    const STRANGER: &str = "+15555550999";

    // A channel key cannot open the conversation of a number that never texted in (its
    // notice would be texted to that phone from the tenant's number).
    let ask = json!({"role": "customer", "text": "can I talk to a real person please"});
    let (status, body) = h
        .post(
            &format!("/v1/conversations/sms:{STRANGER}/events"),
            &channel,
            ask.clone(),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["field"], "id", "{body}");
    let (status, _) = h
        .get(&format!("/v1/conversations/sms:{STRANGER}"), &channel)
        .await;
    assert_eq!(status, 404, "nothing was stored");

    // Dana texts in, with a NUL in her text: stored (as U+FFFD), not refused and lost.
    let (s, twiml) = signed(&h, &inbound(DANA, "no hot water\u{0} since monday", 1)).await;
    assert_eq!(s, 200, "{twiml}");
    let (_, conv) = h
        .get(&format!("/v1/conversations/sms:{DANA}"), &channel)
        .await;
    assert_eq!(
        conv["messages"][0]["text"], "no hot water\u{FFFD} since monday",
        "{conv}"
    );
    // Her conversation takes the channel's messages, and texts her the notice.
    let (status, body) = h
        .post(
            &format!("/v1/conversations/sms:{DANA}/events"),
            &channel,
            ask,
        )
        .await;
    assert_eq!(status, 201, "{body}");
    texted(&sent, DANA, "Sam").await;
    let to_stranger = sent
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, _, f)| f.iter().any(|(k, v)| k == "To" && v == STRANGER))
        .count();
    assert_eq!(to_stranger, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sms_customer_is_texted_who_is_coming_when_an_offer_moves_on() {
    std::env::set_var(TOKEN_ENV, TOKEN);
    let (api_base, sent) = stub_twilio().await;
    let tenant = with_sms(&crate::notices::patient_tenant(), &api_base);
    let h = TestHost::start(&[("textco", &tenant)]).await;
    let sam = h.agent("textco", "sam").await;
    let jo = h.agent("textco", "jo").await;
    h.available(&sam, "sam").await;
    h.available(&jo, "jo").await;
    let (s, body) = signed(&h, &inbound(DANA, "can I please talk to a real person", 1)).await;
    assert_eq!(s, 200, "{body}");
    let (_, conv) = h.get(&format!("/v1/conversations/sms:{DANA}"), &sam).await;
    let handoff = &conv["open_handoff"];
    let id = handoff["id"].as_str().unwrap().to_string();
    let first = handoff["offered_to"].as_str().unwrap().to_string();
    texted(&sent, DANA, "I'm connecting you with").await;

    let (key, next, name) = if first == "sam" {
        (&sam, "jo", "Jo")
    } else {
        (&jo, "sam", "Sam")
    };
    let (s, moved) = h
        .post(&format!("/v1/handoffs/{id}/decline"), key, json!({}))
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["offered_to"], next, "{moved}");
    let want = format!("I'm connecting you with {name} from Acme Plumbing now.");
    texted(&sent, DANA, &want).await;
    // Told once: the decline's own event texts nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let to_dana = |needle: &str| {
        sent.lock()
            .unwrap()
            .iter()
            .filter(|(_, _, f)| {
                f.iter().any(|(k, v)| k == "To" && v == DANA)
                    && f.iter().any(|(k, v)| k == "Body" && v.contains(needle))
            })
            .count()
    };
    assert_eq!(to_dana(&want), 1, "{:?}", sent.lock().unwrap());
    assert_eq!(
        to_dana("I'm connecting you with"),
        2,
        "{:?}",
        sent.lock().unwrap()
    );
}
