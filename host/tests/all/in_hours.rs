//! In hours, an emergency nobody signed in can take still reaches a person: the on-call agent
//! who is off shift is paged (after everyone signed in), the customer is told so, and a page
//! is held for `page_timeout_secs`, longer than an inbox offer.

use crate::after_hours::{host, mail_to, open_all_day, EMERGENCY, ROUTINE};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_hours_an_emergency_nobody_signed_in_can_take_pages_the_on_call_agent() {
    let tenant = open_all_day("Day Plumbing");
    let (h, mut mail) = host(&[("day-plumbing", &tenant)]).await;
    let channel = h.channel("day-plumbing").await;
    // Open, and nobody signed in: Sam, on call but off shift, is paged, not left queued.
    let opened = h.customer_says(&channel, "day-1", EMERGENCY).await;
    assert_eq!(opened["decision"]["reason"], "emergency", "{opened}");
    let handoff = &opened["handoff"];
    assert_eq!(handoff["after_hours"], false, "{opened}");
    assert_eq!(handoff["state"], "offered", "{opened}");
    assert_eq!(handoff["offered_to"], "sam", "{opened}");
    let notice = &opened["notice"];
    assert_eq!(notice["kind"], "paged", "{notice}");
    let text = notice["text"].as_str().unwrap();
    assert!(text.contains("I've paged Sam"), "{text}");
    assert!(!text.contains("closed"), "{text}");
    // A page is held for the page timeout (10 minutes here), not the inbox's 45 s, and the
    // page says so.
    let held =
        handoff["offer_expires_ms"].as_i64().unwrap() - handoff["opened_ms"].as_i64().unwrap();
    assert_eq!(held, 600_000, "{handoff}");
    let message = mail_to(&mut mail, "sam@night.example").await;
    assert!(
        message.contains("URGENT") || message.contains("urgent"),
        "{message}"
    );
    assert!(message.replace("=\n", "").contains("600 s"), "{message}");

    // With Jo signed in, a person now comes first (without the skill), Sam's page after.
    let jo = h.agent("day-plumbing", "jo").await;
    h.available(&jo, "jo").await;
    let second = h.customer_says(&channel, "day-2", EMERGENCY).await;
    let handoff = &second["handoff"];
    assert_eq!(handoff["offered_to"], "jo", "{second}");
    let held =
        handoff["offer_expires_ms"].as_i64().unwrap() - handoff["opened_ms"].as_i64().unwrap();
    assert_eq!(held, 45_000, "Jo is at the inbox: {handoff}");
    // Sam and Lee, on call and off shift, are paged after Jo; Sam first (the skill).
    assert_eq!(handoff["route"], json!(["jo", "sam", "lee"]), "{second}");
    assert_eq!(second["notice"]["kind"], "emergency", "{second}");
    // Jo declines: Sam is paged and the routine rule still holds (nobody else offline is).
    let id = handoff["id"].as_str().unwrap();
    let (s, body) = h
        .post(&format!("/v1/handoffs/{id}/decline"), &jo, json!({}))
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["offered_to"], "sam", "{body}");
    let routine = h.customer_says(&channel, "day-3", ROUTINE).await;
    assert_ne!(routine["handoff"]["offered_to"], "sam", "{routine}");
}
