//! The handoff API end to end, from a channel's and an agent's side, on the real server.

use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_from_both_sides() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    let jo = h.agent("acme-plumbing", "jo").await;
    h.available(&sam, "sam").await;

    // The bot handles a routine turn.
    let first = h
        .customer_says(&channel, "conv-1", "hi, my kitchen sink drains slowly")
        .await;
    assert_eq!(first["decision"]["escalate"], false, "{first}");
    assert!(first["handoff"].is_null());
    let (s, _) = h
        .post("/v1/conversations/conv-1/events", &channel, json!({"role": "bot", "text": "Is the other sink backing up too?", "intent": "troubleshoot_drain", "confidence": 0.8}))
        .await;
    assert_eq!(s, 201);

    // The customer asks for a person: decision, handoff, notice.
    let asked = h
        .customer_says(
            &channel,
            "conv-1",
            "can I just talk to a real person please",
        )
        .await;
    assert_eq!(asked["decision"]["escalate"], true, "{asked}");
    assert_eq!(asked["decision"]["reason"], "explicit_request");
    assert!(asked["decision"]["policy_version"].as_str().unwrap().len() >= 8);
    let handoff = asked["handoff"].clone();
    let id = handoff["id"].as_str().unwrap().to_string();
    assert_eq!(handoff["state"], "offered", "sam is available: {handoff}");
    assert_eq!(handoff["offered_to"], "sam");
    assert!(
        asked["notice"]["text"].as_str().unwrap().contains("Sam"),
        "{}",
        asked["notice"]
    );

    // Another customer message does not open a second handoff.
    let again = h.customer_says(&channel, "conv-1", "hello??").await;
    assert_eq!(again["handoff"]["id"], id.as_str());
    assert!(again["decision"].is_null());

    // The context packet.
    let (s, packet) = h.get(&format!("/v1/handoffs/{id}"), &sam).await;
    assert_eq!(s, 200, "{packet}");
    assert!(
        packet["brief"]["situation"]
            .as_str()
            .unwrap()
            .contains("explicit request"),
        "{}",
        packet["brief"]
    );
    assert!(packet["brief"]["dont_ask_again"]
        .to_string()
        .contains("+15555550117"));
    let read_back = packet["brief"]["read_back"].as_str().unwrap();
    assert!(read_back.starts_with("Hi Dana"), "{read_back}");
    assert!(
        read_back.contains("kitchen sink"),
        "reads back the problem, not the request: {read_back}"
    );
    assert_eq!(
        packet["transcript"].as_array().unwrap().len(),
        5,
        "{}",
        packet["transcript"]
    );
    assert_eq!(packet["transcript"][1]["intent"], "troubleshoot_drain");
    assert_eq!(packet["decision"]["reason"], "explicit_request");

    // The accept race: one winner, the other gets 409.
    let accept_path = format!("/v1/handoffs/{id}/accept");
    let (a, b) = tokio::join!(
        h.call("POST", &accept_path, Some(&sam), None),
        h.call("POST", &accept_path, Some(&jo), None)
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let winner = if a.0 == 200 {
        (&sam, "sam")
    } else {
        (&jo, "jo")
    };

    // The agent replies; the customer answers; the handoff is resolved with CSAT.
    let (s, reply) = h
        .post(
            &format!("/v1/handoffs/{id}/messages"),
            winner.0,
            json!({"text": "Hi Dana, I'm here. Let me take it from here."}),
        )
        .await;
    assert_eq!(s, 201, "{reply}");
    let loser_key = if winner.1 == "sam" { &jo } else { &sam };
    let (s, _) = h
        .post(
            &format!("/v1/handoffs/{id}/messages"),
            loser_key,
            json!({"text": "me too"}),
        )
        .await;
    assert_eq!(s, 409, "only the accepting agent writes");
    h.customer_says(&channel, "conv-1", "thanks! it's the kitchen one")
        .await;
    let (s, resolved) = h
        .post(
            &format!("/v1/handoffs/{id}/resolve"),
            winner.0,
            json!({"outcome": "booked", "csat": 5}),
        )
        .await;
    assert_eq!(s, 200, "{resolved}");
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["csat"], 5);

    let (s, conv) = h.get("/v1/conversations/conv-1", &channel).await;
    assert_eq!(s, 200);
    let texts: Vec<&str> = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("Let me take it from here")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("has joined")),
        "the customer was told: {texts:?}"
    );
    assert!(conv["open_handoff"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handback_returns_the_conversation_to_the_bot() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let sam = h.agent("acme-plumbing", "sam").await;
    h.available(&sam, "sam").await;
    let asked = h
        .customer_says(&channel, "c-hb", "I want to speak to a human")
        .await;
    let id = asked["handoff"]["id"].as_str().unwrap().to_string();
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
    let (s, back) = h
        .post(
            &format!("/v1/handoffs/{id}/handback"),
            &sam,
            json!({"note": "booked Tuesday 9am; bot can confirm"}),
        )
        .await;
    assert_eq!(s, 200, "{back}");
    assert_eq!(back["state"], "handed_back");
    // Later events are evaluated again.
    let later = h
        .customer_says(&channel, "c-hb", "what time on tuesday again?")
        .await;
    assert!(!later["decision"].is_null(), "evaluated again: {later}");
    assert!(later["handoff"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_available_queues_with_a_position_and_a_wait() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("comfort-hvac").await;
    let first = h
        .customer_says(
            &channel,
            "q-1",
            "can I talk to someone please, a real person",
        )
        .await;
    assert_eq!(first["handoff"]["state"], "queued", "{first}");
    assert_eq!(first["notice"]["wait"]["position"], 1);
    assert!(first["notice"]["wait"]["seconds"].as_u64().unwrap() > 0);
    let second = h
        .customer_says(&channel, "q-2", "I need a human, not a bot")
        .await;
    assert_eq!(
        second["notice"]["wait"]["position"], 2,
        "{}",
        second["notice"]
    );
    assert!(
        second["notice"]["text"]
            .as_str()
            .unwrap()
            .contains("number 2"),
        "{}",
        second["notice"]
    );
    // The estimate moves with the queue: once the first is taken, the second is next.
    let (_, before) = h.get("/v1/conversations/q-2", &channel).await;
    assert_eq!(before["wait"]["position"], 2, "{}", before["wait"]);
    // An emergency jumps the queue.
    let urgent = h
        .customer_says(
            &channel,
            "q-3",
            "I smell gas in the basement and my carbon monoxide alarm is going off",
        )
        .await;
    assert_eq!(urgent["decision"]["reason"], "emergency", "{urgent}");
    // Nobody is signed in and the on-call agent has no alert contact to page: the customer
    // is not promised a person right now.
    assert_eq!(urgent["notice"]["kind"], "emergency_unstaffed", "{urgent}");
    let text = urgent["notice"]["text"].as_str().unwrap();
    assert!(
        text.contains("nobody at") && !text.contains("right now"),
        "{text}"
    );
    assert_eq!(
        urgent["notice"]["wait"]["position"], 1,
        "{}",
        urgent["notice"]
    );
    // When an agent comes online, the most urgent waiting handoff is offered first.
    let maria = h.agent("comfort-hvac", "maria").await;
    h.available(&maria, "maria").await;
    let (_, list) = h.get("/v1/handoffs?state=offered", &maria).await;
    let offered: Vec<&Value> = list.as_array().unwrap().iter().collect();
    assert!(!offered.is_empty(), "{list}");
    assert_eq!(offered[0]["conversation_id"], "q-3", "{list}");
    let q3 = offered[0]["id"].as_str().unwrap();
    assert_eq!(
        h.call(
            "POST",
            &format!("/v1/handoffs/{q3}/accept"),
            Some(&maria),
            None
        )
        .await
        .0,
        200
    );
    let (_, conv1) = h.get("/v1/conversations/q-1", &channel).await;
    assert!(conv1["wait"]["seconds"].as_u64().is_some(), "{conv1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotent_retry_is_a_no_op() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let send = || {
        h.http
            .post(format!("{}/v1/conversations/idem/events", h.url))
            .bearer_auth(&channel)
            .header("Idempotency-Key", "msg-0001")
            .json(&json!({"role": "customer", "text": "is anyone there? I need a person"}))
            .send()
    };
    let a = send().await.unwrap();
    let (sa, ba) = (a.status().as_u16(), a.text().await.unwrap());
    let b = send().await.unwrap();
    let (sb, bb) = (b.status().as_u16(), b.text().await.unwrap());
    assert_eq!((sa, sb), (201, 201));
    assert_eq!(ba, bb, "the retry answers exactly what the first did");
    let (_, conv) = h.get("/v1/conversations/idem", &channel).await;
    let customer_messages = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "customer")
        .count();
    assert_eq!(customer_messages, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_4xx_naming_the_field() {
    let h = TestHost::start(&[]).await;
    let channel = h.channel("acme-plumbing").await;
    let path = "/v1/conversations/bad/events";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"role": "robot", "text": "hi"}), "role"),
        (json!({"role": "customer", "text": ""}), "text"),
        (
            json!({"role": "customer", "text": "hi", "at": "yesterday"}),
            "at",
        ),
        (
            json!({"role": "customer", "text": "hi", "confidence": 0.5}),
            "confidence",
        ),
        (
            json!({"role": "bot", "text": "hi", "confidence": 7.0}),
            "confidence",
        ),
        (
            json!({"role": "customer", "text": "hi", "colour": "red"}),
            "colour",
        ),
        (json!({"text": "hi"}), "role"),
        (json!({"role": "customer", "text": 5}), "text"),
        (
            json!({"role": "customer", "text": "hi", "customer": {"phone": "1"}}),
            "customer",
        ),
    ];
    for (body, field) in cases {
        let (s, e) = h.post(path, &channel, body.clone()).await;
        assert_eq!(s, 422, "{body} -> {e}");
        assert!(
            e["error"]["field"].as_str().unwrap_or("").contains(field),
            "{body} -> {e}"
        );
        assert!(!e["error"]["message"].as_str().unwrap().is_empty());
    }
    // Not JSON at all.
    let resp = h
        .http
        .post(format!("{}{path}", h.url))
        .bearer_auth(&channel)
        .header("content-type", "application/json")
        .body("{\"role\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid");
    // Too large.
    let huge = "x".repeat(200_000);
    let (s, e) = h
        .post(path, &channel, json!({"role": "customer", "text": huge}))
        .await;
    assert_eq!(s, 413, "{e}");
    // The unread rest of such a body ends the connection, and the answer says so, so a
    // client does not send its next request down a connection that is closing.
    let resp = h
        .http
        .post(format!("{}{path}", h.url))
        .bearer_auth(&channel)
        .json(&json!({"role": "customer", "text": "x".repeat(200_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(resp.headers()["connection"], "close");
    // A bad conversation id, unknown ids, unknown routes.
    let (s, _) = h
        .post(
            "/v1/conversations/has%20space/events",
            &channel,
            json!({"role": "customer", "text": "hi"}),
        )
        .await;
    assert_eq!(s, 422);
    let sam = h.agent("acme-plumbing", "sam").await;
    assert_eq!(h.get("/v1/handoffs/nope", &sam).await.0, 404);
    assert_eq!(h.get("/v1/handoffs?state=sideways", &sam).await.0, 422);
    assert_eq!(h.get("/v1/nothing-here", &sam).await.0, 404);
    let (s, e) = h
        .call(
            "PUT",
            "/v1/agents/sam/presence",
            Some(&sam),
            Some(json!({"presence": "asleep"})),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["field"], "presence");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_and_health_are_served() {
    let h = TestHost::start(&[]).await;
    let (s, doc) = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, 200);
    for path in [
        "/v1/conversations/{id}/events",
        "/v1/handoffs/{id}/accept",
        "/v1/events",
        "/v1/admin/tenants",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    // Every operation has its own id (client generators name methods after them;
    // openapi-spec-validator refuses duplicates: tests/openapi/validate).
    let mut ids = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = ids.insert(id.to_string(), format!("{method} {path}")) {
                panic!("operationId `{id}` names both {other} and {method} {path}");
            }
        }
    }
    assert_eq!(h.call("GET", "/healthz", None, None).await.0, 200);
    // The operator sees both demo tenants serving.
    let op = h.key(None, KeyRole::Operator, None).await;
    let (s, status) = h.get("/v1/admin/tenants", &op).await;
    assert_eq!(s, 200, "{status}");
    let tenants = status["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2);
    assert!(
        tenants.iter().all(|t| t["active_version"].is_string()),
        "{status}"
    );
}

/// Schema nodes under `node` that say only "an object" (no properties, no reference), with
/// where they are; `$ref`s are followed once each.
fn untyped_objects(
    doc: &serde_json::Value,
    node: &serde_json::Value,
    at: String,
    seen: &mut std::collections::BTreeSet<String>,
    found: &mut Vec<String>,
) {
    if let Some(r) = node["$ref"].as_str() {
        if seen.insert(r.to_string()) {
            let name = r.trim_start_matches("#/components/schemas/");
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "{at}: {r} does not resolve");
            untyped_objects(doc, target, name.to_string(), seen, found);
        }
        return;
    }
    let is_object = node["type"] == "object"
        || node["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("object")));
    if is_object && node.get("properties").is_none() && node.get("additionalProperties").is_none() {
        found.push(at.clone());
    }
    if let Some(props) = node["properties"].as_object() {
        for (k, v) in props {
            untyped_objects(doc, v, format!("{at}.{k}"), seen, found);
        }
    }
    for key in ["items", "additionalProperties"] {
        if node[key].is_object() {
            untyped_objects(doc, &node[key], format!("{at}[]"), seen, found);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for v in node[key].as_array().into_iter().flatten() {
            untyped_objects(doc, v, at.clone(), seen, found);
        }
    }
}

/// A client generated from /openapi.json gets types, not maps, for the product's nouns: the
/// handoff, conversation, message and event are named schemas and every request and answer
/// of the handoff, conversation and event operations is typed all the way down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handoffs_conversations_messages_and_events_are_typed_in_the_openapi_document() {
    let h = TestHost::start(&[]).await;
    let (s, doc) = h.call("GET", "/openapi.json", None, None).await;
    assert_eq!(s, 200);
    for name in ["Handoff", "Conversation", "Message", "Event", "Customer"] {
        let schema = &doc["components"]["schemas"][name];
        assert!(
            schema["properties"]
                .as_object()
                .is_some_and(|p| !p.is_empty()),
            "{name} is not a named schema with properties: {schema}"
        );
    }
    assert_eq!(
        doc["components"]["schemas"]["Handoff"]["properties"]["state"]["$ref"],
        "#/components/schemas/HandoffState"
    );
    // What the server refuses, the document says it does not accept.
    let params = doc["paths"]["/v1/events"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let last = params
        .iter()
        .find(|p| p["name"] == "Last-Event-ID")
        .unwrap();
    // A header is text (never JSON's null), and the server reads a whole number from it.
    assert_eq!(last["schema"]["type"], "string", "{last}");
    assert_eq!(last["schema"]["pattern"], "^-?[0-9]{1,18}$", "{last}");
    // Only a bot's message carries intent and confidence: the rule is in the schema.
    let ingest = &doc["components"]["schemas"]["IngestRequest"];
    let rule = &ingest["allOf"][1]["anyOf"];
    assert_eq!(
        rule[0]["properties"]["role"]["enum"],
        json!(["bot"]),
        "{ingest}"
    );
    assert_eq!(rule[1]["properties"]["intent"]["type"], "null", "{ingest}");
    // No request string may hold a NUL (the server refuses any body with one).
    let text = &ingest["allOf"][0]["properties"]["text"];
    assert!(
        text["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("\\u0000")),
        "{text}"
    );
    // The report's window ends are times, dates or ages, nothing else.
    let params = doc["paths"]["/v1/report"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let from = params.iter().find(|p| p["name"] == "from").unwrap();
    assert_eq!(from["schema"]["anyOf"][0]["format"], "date-time", "{from}");
    let params = doc["paths"]["/v1/handoffs"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let state = params.iter().find(|p| p["name"] == "state").unwrap();
    assert!(
        state["schema"]["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("handed_back")),
        "{state}"
    );
    let csat = &doc["components"]["schemas"]["ResolveRequest"]["properties"]["csat"];
    assert_eq!(
        (csat["minimum"].as_i64(), csat["maximum"].as_i64()),
        (Some(1), Some(5)),
        "{csat}"
    );
    let mut found = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    // The live stream's items (`text/event-stream`, so no path names them).
    let event = json!({"$ref": "#/components/schemas/Event"});
    untyped_objects(&doc, &event, "events".into(), &mut seen, &mut found);
    for (path, item) in doc["paths"].as_object().unwrap() {
        if ![
            "/v1/handoffs",
            "/v1/conversations",
            "/v1/events",
            "/v1/widget",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            if let Some(body) =
                op["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                untyped_objects(
                    &doc,
                    &json!(body),
                    format!("{at} request"),
                    &mut seen,
                    &mut found,
                );
            }
            for (status, r) in op["responses"].as_object().unwrap() {
                let schema = &r["content"]["application/json"]["schema"];
                if status.starts_with('2') && schema.is_object() {
                    untyped_objects(
                        &doc,
                        schema,
                        format!("{at} {status}"),
                        &mut seen,
                        &mut found,
                    );
                }
            }
        }
    }
    // An event's payload depends on its kind (the README lists them); a policy fault's
    // details are the engine's.
    found.retain(|at| at != "Event.data" && at != "DecisionView.fault");
    assert!(found.is_empty(), "untyped objects: {found:?}");
}
