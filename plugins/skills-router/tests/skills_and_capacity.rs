//! Skills needed, availability and capacity, ordering: each rule on a small roster.

mod common;

use baton_plugin_sdk::prelude::*;
use common::*;

// ---- skills needed -------------------------------------------------------------------

#[test]
fn reason_needs_its_skill_and_others_are_not_offered() {
    let r = roster(
        vec![agent("ana", &["plumbing"]), agent("bo", &["billing"])],
        vec![],
    );
    let choice = route(&request(Reason::BillingDispute), &r);
    assert_eq!(ids(&choice), ["bo"]);
    assert!(
        choice
            .explanation
            .contains("billing (reason billing_dispute)"),
        "{}",
        choice.explanation
    );
}

#[test]
fn preferred_skills_rank_first_but_do_not_exclude() {
    let r = roster(
        vec![agent("ana", &["plumbing"]), agent("bo", &["billing"])],
        vec![],
    );
    let choice = router(r#"{"skills": "preferred"}"#).route(&request(Reason::BillingDispute), &r);
    assert_eq!(ids(&choice), ["bo", "ana"]);
}

#[test]
fn tags_and_intent_add_skills() {
    let r = roster(
        vec![
            agent("ana", &["billing"]),
            agent("bo", &["billing", "spanish"]),
            agent("cy", &["spanish"]),
        ],
        vec![],
    );
    let mut req = request(Reason::ExplicitRequest);
    req.tags = vec!["spanish".into()];
    req.intent = Some("billing_question".into());
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["bo"]);
    assert!(
        choice.explanation.contains("spanish (tag spanish)"),
        "{}",
        choice.explanation
    );
    assert!(
        choice
            .explanation
            .contains("billing (intent billing_question)"),
        "{}",
        choice.explanation
    );
}

#[test]
fn tags_match_without_regard_to_case() {
    let r = roster(vec![agent("ana", &["Spanish"]), agent("bo", &[])], vec![]);
    let mut req = request(Reason::ExplicitRequest);
    req.tags = vec!["SPANISH".into()];
    assert_eq!(ids(&route(&req, &r)), ["ana"]);
}

#[test]
fn high_value_goes_to_sales_or_estimating() {
    let r = roster(
        vec![
            agent("ana", &["estimating"]),
            agent("bo", &["plumbing"]),
            agent("cy", &["sales"]),
        ],
        vec![],
    );
    assert_eq!(ids(&route(&request(Reason::HighValue), &r)), ["ana", "cy"]);
    assert_eq!(
        ids(&route(&request(Reason::Customization), &r)),
        ["ana", "cy"]
    );
}

#[test]
fn complex_inquiry_goes_to_the_office() {
    let r = roster(
        vec![agent("ana", &["office"]), agent("bo", &["plumbing"])],
        vec![],
    );
    assert_eq!(ids(&route(&request(Reason::ComplexInquiry), &r)), ["ana"]);
}

#[test]
fn reasons_without_a_skill_go_to_anyone() {
    let r = roster(vec![agent("ana", &["office"]), agent("bo", &[])], vec![]);
    let choice = route(&request(Reason::Frustration), &r);
    assert_eq!(ids(&choice), ["ana", "bo"]);
    assert!(choice.explanation.contains("No particular skill needed"));
}

#[test]
fn tenant_reasons_and_tags_extend_and_override_the_defaults() {
    let r = roster(
        vec![
            agent("ana", &["warranty"]),
            agent("bo", &["billing"]),
            agent("cy", &["roofing"]),
        ],
        vec![],
    );
    let router = router(
        r#"{"reason_skills": {"warranty_claim": ["warranty"], "billing_dispute": []},
            "tag_skills": {"roof": ["roofing"]}}"#,
    );
    let custom = request(Reason::Custom("warranty_claim".into()));
    assert_eq!(ids(&router.route(&custom, &r)), ["ana"]);
    // The override removed the billing requirement: anyone may take it.
    assert_eq!(
        ids(&router.route(&request(Reason::BillingDispute), &r)),
        ["ana", "bo", "cy"]
    );
    let mut roof = request(Reason::ExplicitRequest);
    roof.tags = vec!["roof".into()];
    assert_eq!(ids(&router.route(&roof, &r)), ["cy"]);
}

#[test]
fn a_skill_nobody_has_is_set_aside_unless_configured_otherwise() {
    let r = roster(vec![agent("ana", &["plumbing"]), agent("bo", &[])], vec![]);
    let mut req = request(Reason::ExplicitRequest);
    req.tags = vec!["gas".into()];
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["ana", "bo"]);
    assert!(
        choice.explanation.contains("Set aside gas (tag gas)"),
        "{}",
        choice.explanation
    );

    let strict = router(r#"{"ignore_unknown_skills": false}"#).route(&req, &r);
    assert!(strict.agents.is_empty());
    assert_eq!(strict.queue, "general");
    assert!(
        strict.explanation.contains("2 lacking skills"),
        "{}",
        strict.explanation
    );
}

#[test]
fn a_skill_only_an_offline_agent_has_stays_required() {
    let mut off = agent("ana", &["billing"]);
    off.presence = Presence::Offline;
    let r = roster(vec![off, agent("bo", &[])], vec![]);
    assert!(route(&request(Reason::BillingDispute), &r)
        .agents
        .is_empty());
}

// ---- availability and capacity -------------------------------------------------------

#[test]
fn only_available_agents_with_room_are_offered() {
    let mut busy = agent("busy", &[]);
    busy.presence = Presence::Busy;
    let mut off = agent("off", &[]);
    off.presence = Presence::Offline;
    let mut full = agent("full", &[]);
    full.load = 2;
    let mut zero = agent("zero", &[]);
    zero.capacity = 0;
    let r = roster(vec![busy, off, full, zero, agent("ok", &[])], vec![]);
    let choice = route(&request(Reason::ExplicitRequest), &r);
    assert_eq!(ids(&choice), ["ok"]);
}

#[test]
fn ranks_by_skill_match_then_spare_capacity_then_load_then_id() {
    let mut a = agent("a", &[]);
    a.capacity = 3;
    a.load = 2; // spare 1
    let mut b = agent("b", &[]);
    b.capacity = 5;
    b.load = 1; // spare 4
    let mut c = agent("c", &[]);
    c.capacity = 4;
    c.load = 0; // spare 4, less load than b
    let d = agent("d", &[]); // spare 2
    let e = agent("e", &["spanish"]); // spare 2 but speaks Spanish
    let r = roster(vec![a, b, c, d, e], vec![]);
    let mut req = request(Reason::ExplicitRequest);
    req.tags = vec!["spanish".into()];
    let choice = router(r#"{"skills": "preferred", "max_offers": 10}"#).route(&req, &r);
    assert_eq!(ids(&choice), ["e", "c", "b", "d", "a"]);
}

#[test]
fn ties_go_to_the_agent_id() {
    let r = roster(
        vec![agent("zed", &[]), agent("amy", &[]), agent("max", &[])],
        vec![],
    );
    assert_eq!(
        ids(&route(&request(Reason::Frustration), &r)),
        ["amy", "max", "zed"]
    );
}

#[test]
fn declined_agents_are_never_offered() {
    let r = roster(
        vec![agent("ana", &[]), agent("bo", &[]), agent("cy", &[])],
        vec![],
    );
    let mut req = request(Reason::ExplicitRequest);
    req.declined_by = vec!["ana".into(), "cy".into()];
    req.previous_agent = Some("cy".into());
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["bo"]);
}

#[test]
fn max_offers_limits_the_list() {
    let r = roster(
        (0..6).map(|i| agent(&format!("a{i}"), &[])).collect(),
        vec![],
    );
    assert_eq!(route(&request(Reason::Frustration), &r).agents.len(), 3);
    let one = router(r#"{"max_offers": 1}"#).route(&request(Reason::Frustration), &r);
    assert_eq!(ids(&one), ["a0"]);
    let none = router(r#"{"max_offers": 0}"#).route(&request(Reason::Frustration), &r);
    assert!(none.agents.is_empty());
    assert_eq!(none.queue, "general");
}

#[test]
fn a_duplicated_id_is_offered_once() {
    let r = roster(
        vec![agent("ana", &[]), agent("ana", &[]), agent("bo", &[])],
        vec![],
    );
    assert_eq!(
        ids(&route(&request(Reason::Frustration), &r)),
        ["ana", "bo"]
    );
}
