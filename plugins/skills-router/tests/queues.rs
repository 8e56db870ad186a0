//! Which queue a handoff waits in.

mod common;

use baton_plugin_sdk::prelude::*;
use common::*;

#[test]
fn no_one_available_goes_to_the_queue_with_the_right_skills() {
    let mut off = agent("ana", &["billing"]);
    off.presence = Presence::Offline;
    let r = roster(
        vec![off],
        vec![
            queue("service", &["plumbing", "hvac"]),
            queue("accounts", &["billing"]),
        ],
    );
    let choice = route(&request(Reason::BillingDispute), &r);
    assert!(choice.agents.is_empty());
    assert_eq!(choice.queue, "accounts");
    assert!(
        choice
            .explanation
            .contains("No one to offer (1 not reachable)"),
        "{}",
        choice.explanation
    );
}

#[test]
fn the_queue_covering_most_needed_skills_wins() {
    let r = roster(
        vec![],
        vec![
            queue("billing", &["billing"]),
            queue("spanish_billing", &["billing", "spanish"]),
            queue("spanish", &["spanish"]),
        ],
    );
    let mut req = request(Reason::BillingDispute);
    req.tags = vec!["spanish".into()];
    let choice = route(&req, &r);
    assert_eq!(choice.queue, "spanish_billing");
    assert!(
        choice.explanation.contains("serves 2 of 2"),
        "{}",
        choice.explanation
    );
}

#[test]
fn ties_go_to_the_queue_least_loaded_against_its_target() {
    let mut a = queue("a_busy", &["billing"]);
    a.depth = 4;
    a.target_wait_secs = 600; // 4 per 600 s
    let mut b = queue("b_short", &["billing"]);
    b.depth = 1;
    b.target_wait_secs = 60; // 1 per 60 s: relatively fuller
    let mut c = queue("c_calm", &["billing"]);
    c.depth = 2;
    c.target_wait_secs = 600; // 2 per 600 s
    let r = roster(vec![], vec![a, b, c]);
    assert_eq!(route(&request(Reason::BillingDispute), &r).queue, "c_calm");
}

#[test]
fn no_covering_queue_or_no_need_goes_to_the_fallback() {
    let r = roster(vec![], vec![queue("accounts", &["billing"])]);
    assert_eq!(route(&request(Reason::Frustration), &r).queue, "general");
    assert_eq!(route(&request(Reason::ComplexInquiry), &r).queue, "general");
}

#[test]
fn an_urgent_handoff_prefers_an_emergency_queue() {
    let r = roster(
        vec![],
        vec![
            queue("emergencies", &["emergency"]),
            queue("service", &["plumbing"]),
        ],
    );
    let mut req = request(Reason::Frustration);
    req.priority = Priority::Urgent;
    assert_eq!(route(&req, &r).queue, "emergencies");
}
