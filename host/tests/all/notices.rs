//! Notices in the customer's language: a Spanish-speaking customer is told in Spanish who is
//! coming, and a tenant's own Spanish text replaces the built-in one (issue 17, item 7).

use crate::host::TestHost;
use crate::lifecycle::always_open_tenant;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_speaking_customer_is_told_in_spanish() {
    let own = always_open_tenant().replace(
        "[trigger]\n",
        "[notices.es]\noffered = \"Un momento: {agent_first_name} le atiende enseguida.\"\n\n[trigger]\n",
    );
    let h = TestHost::start(&[
        ("es-plumbing", &always_open_tenant()),
        ("es-own-plumbing", &own),
    ])
    .await;
    for (tenant, want) in [
        (
            "es-plumbing",
            "Le estoy comunicando ahora con Sam, de Acme Plumbing.",
        ),
        ("es-own-plumbing", "Un momento: Sam le atiende enseguida."),
    ] {
        let channel = h.channel(tenant).await;
        let sam = h.agent(tenant, "sam").await;
        h.available(&sam, "sam").await;
        let opened = h
            .customer_says(
                &channel,
                "es-1",
                "hola, necesito hablar con una persona por favor, no con un robot",
            )
            .await;
        assert_eq!(opened["decision"]["escalate"], true, "{opened}");
        let tags = opened["decision"]["tags"].to_string();
        assert!(tags.contains("spanish"), "{opened}");
        assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
        assert_eq!(opened["notice"]["language"], "es", "{opened}");
        assert_eq!(opened["notice"]["text"], want, "{opened}");
        // An English-speaking customer of the same tenant is told in English.
        let english = h
            .customer_says(&channel, "en-1", "can I please talk to a real person")
            .await;
        assert_eq!(english["notice"]["language"], "en", "{english}");
        assert!(
            english["notice"]["text"]
                .as_str()
                .is_some_and(|t| t.contains(" you")),
            "{english}"
        );
    }
}

/// [`always_open_tenant`] holding an offer for a minute, so a test declines it before it
/// runs out.
pub(crate) fn patient_tenant() -> String {
    always_open_tenant().replace("offer_timeout_secs = 1\n", "offer_timeout_secs = 60\n")
}

/// The notices conversation `id` showed its customer, oldest first: `(kind, text)`.
pub(crate) async fn notices_of(h: &TestHost, key: &str, id: &str) -> Vec<(String, String)> {
    let (s, c) = h.get(&format!("/v1/conversations/{id}"), key).await;
    assert_eq!(s, 200, "{c}");
    c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "system")
        .filter_map(|m| {
            let kind = m["intent"].as_str()?.strip_prefix("notice.")?;
            Some((kind.to_string(), m["text"].as_str()?.to_string()))
        })
        .collect()
}

fn first_name(agent: &str) -> &'static str {
    match agent {
        "sam" => "Sam",
        "jo" => "Jo",
        "lee" => "Lee",
        other => panic!("no such agent {other}"),
    }
}

/// One customer (English or Spanish) escalates with Sam and Jo available; whoever is offered
/// it declines, then the next: each move is told once, in the customer's language, naming
/// who is coming, then the place in line.
async fn declines_tell_who_is_next(spanish: bool) {
    let tenant = if spanish { "next-es" } else { "next-en" };
    // Jo speaks Spanish too, so a Spanish-speaking customer has a second choice.
    let file = patient_tenant().replace(
        "skills = [\"plumbing\", \"billing\", \"office\", \"sales\"]",
        "skills = [\"plumbing\", \"billing\", \"office\", \"sales\", \"spanish\"]",
    );
    assert_ne!(file, patient_tenant());
    let h = TestHost::start(&[(tenant, &file)]).await;
    let channel = h.channel(tenant).await;
    let keys = [
        ("sam", h.agent(tenant, "sam").await),
        ("jo", h.agent(tenant, "jo").await),
    ];
    let key = |who: &str| keys.iter().find(|(a, _)| *a == who).unwrap().1.clone();
    h.available(&key("sam"), "sam").await;
    h.available(&key("jo"), "jo").await;
    let said = if spanish {
        "hola, necesito hablar con una persona por favor, no con un robot"
    } else {
        "can I please talk to a real person"
    };
    let opened = h.customer_says(&channel, "next-1", said).await;
    assert_eq!(opened["decision"]["escalate"], true, "{opened}");
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let first = opened["handoff"]["offered_to"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(notices_of(&h, &channel, "next-1").await.len(), 1);

    let (s, moved) = h
        .post(
            &format!("/v1/handoffs/{id}/decline"),
            &key(&first),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["state"], "offered", "{moved}");
    let next = moved["offered_to"].as_str().unwrap().to_string();
    assert_ne!(next, first, "{moved}");
    let told = notices_of(&h, &channel, "next-1").await;
    assert_eq!(told.len(), 2, "one notice per move: {told:?}");
    let want = if spanish {
        format!(
            "Le estoy comunicando ahora con {}, de Acme Plumbing.",
            first_name(&next)
        )
    } else {
        format!(
            "I'm connecting you with {} from Acme Plumbing now.",
            first_name(&next)
        )
    };
    assert_eq!(told[1], ("offered".to_string(), want), "{told:?}");

    // The next one declines too: nobody else is signed in, so it waits, and the customer is
    // told their place in line and the wait.
    let (s, queued) = h
        .post(
            &format!("/v1/handoffs/{id}/decline"),
            &key(&next),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{queued}");
    assert_eq!(queued["state"], "queued", "{queued}");
    let told = notices_of(&h, &channel, "next-1").await;
    assert_eq!(told.len(), 3, "one notice per move: {told:?}");
    let (kind, text) = &told[2];
    assert_eq!(kind, "queued", "{told:?}");
    let place = if spanish {
        "Usted es el número 1 en la fila; la espera es de "
    } else {
        "You're number 1 in line; the wait is "
    };
    assert!(text.contains(place), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_offer_tells_the_customer_who_is_next() {
    declines_tell_who_is_next(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_offer_tells_a_spanish_speaking_customer_in_spanish() {
    declines_tell_who_is_next(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_from_the_queue_tells_the_customer_who_is_coming() {
    let tenant = "promo-plumbing";
    let h = TestHost::start(&[(tenant, &patient_tenant())]).await;
    let channel = h.channel(tenant).await;
    let lee = h.agent(tenant, "lee").await;
    // Nobody is signed in: the customer waits and is told their place in line.
    let opened = h
        .customer_says(&channel, "promo-1", "can I please talk to a real person")
        .await;
    assert_eq!(opened["handoff"]["state"], "queued", "{opened}");
    let told = notices_of(&h, &channel, "promo-1").await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, "queued", "{told:?}");

    // Lee signs in: the queue offers it to him, and the customer is told he is coming.
    h.available(&lee, "lee").await;
    let (s, p) = h
        .get(
            &format!("/v1/handoffs/{}", opened["handoff"]["id"].as_str().unwrap()),
            &lee,
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["handoff"]["state"], "offered", "{p}");
    assert_eq!(p["handoff"]["offered_to"], "lee", "{p}");
    let told = notices_of(&h, &channel, "promo-1").await;
    assert_eq!(
        told[1..],
        [(
            "offered".to_string(),
            "I'm connecting you with Lee from Acme Plumbing now.".to_string()
        )],
        "{told:?}"
    );
    // Another round changes nothing, and tells nothing.
    h.host.desk.promote(tenant).await.unwrap();
    assert_eq!(notices_of(&h, &channel, "promo-1").await, told);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offered_notice_may_state_the_usual_wait() {
    let own = patient_tenant().replace(
        "[trigger]\n",
        "[notices]\noffered = \"{agent_first_name} will be with you, usually within {wait}.\"\n\n[trigger]\n",
    );
    let tenant = "wait-plumbing";
    let h = TestHost::start(&[(tenant, &own)]).await;
    let channel = h.channel(tenant).await;
    let sam = h.agent(tenant, "sam").await;
    h.available(&sam, "sam").await;
    let opened = h
        .customer_says(&channel, "wait-1", "can I please talk to a real person")
        .await;
    assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
    // No history yet: the time to accept assumed is a minute.
    assert_eq!(
        opened["notice"]["text"], "Sam will be with you, usually within about a minute.",
        "{opened}"
    );
    assert_eq!(opened["notice"]["wait"]["seconds"], 60, "{opened}");
}
