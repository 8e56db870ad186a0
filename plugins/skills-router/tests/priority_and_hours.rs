//! The previous agent, urgent handoffs and emergency overflow, after-hours routing.

mod common;

use baton_plugin_sdk::prelude::*;
use common::*;

fn with_load(mut a: Agent, load: u32) -> Agent {
    a.load = load;
    a
}

fn on_call(mut a: Agent, presence: Presence) -> Agent {
    a.on_call = true;
    a.presence = presence;
    a
}

fn after_hours(mut req: RouteRequest) -> RouteRequest {
    req.clock.open = false;
    req.clock.minute_of_day = 23 * 60;
    req
}

// ---- previous agent ------------------------------------------------------------------

#[test]
fn previous_agent_is_offered_first() {
    // zed would come last on every other rule.
    let r = roster(
        vec![
            agent("ana", &[]),
            agent("bo", &[]),
            with_load(agent("zed", &[]), 1),
        ],
        vec![],
    );
    let mut req = request(Reason::ExplicitRequest);
    req.previous_agent = Some("zed".into());
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["zed", "ana", "bo"]);
    assert!(
        choice.explanation.contains("zed (previous agent)"),
        "{}",
        choice.explanation
    );

    let off = router(r#"{"prefer_previous_agent": false}"#).route(&req, &r);
    assert_eq!(ids(&off), ["ana", "bo", "zed"]);
}

#[test]
fn previous_agent_must_be_qualified_and_have_room() {
    let r = roster(
        vec![
            agent("ana", &["billing"]),
            agent("zed", &[]),
            with_load(agent("max", &["billing"]), 2),
        ],
        vec![],
    );
    let mut req = request(Reason::BillingDispute);
    req.previous_agent = Some("zed".into());
    assert_eq!(ids(&route(&req, &r)), ["ana"]);
    // Preferred skills: zed may be offered, but not first.
    let preferred = router(r#"{"skills": "preferred"}"#).route(&req, &r);
    assert_eq!(ids(&preferred), ["ana", "zed"]);
    // At capacity: not offered at all.
    req.previous_agent = Some("max".into());
    assert_eq!(ids(&route(&req, &r)), ["ana"]);
}

#[test]
fn an_unknown_previous_agent_changes_nothing() {
    let r = roster(vec![agent("ana", &[]), agent("bo", &[])], vec![]);
    let mut req = request(Reason::ExplicitRequest);
    req.previous_agent = Some("gone".into());
    assert_eq!(ids(&route(&req, &r)), ["ana", "bo"]);
}

// ---- urgent and emergency ------------------------------------------------------------

#[test]
fn emergency_needs_the_emergency_skill_and_says_it_is_urgent() {
    let r = roster(
        vec![
            agent("ana", &["plumbing"]),
            agent("bo", &["plumbing", "emergency"]),
        ],
        vec![],
    );
    let mut req = request(Reason::Emergency);
    req.priority = Priority::Urgent;
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["bo"]);
    assert!(
        choice.explanation.starts_with("Urgent (emergency)"),
        "{}",
        choice.explanation
    );
}

#[test]
fn urgent_priority_puts_emergency_agents_first() {
    // The reason itself needs no skill, but the priority is urgent.
    let r = roster(
        vec![
            agent("ana", &[]),
            with_load(agent("zed", &["emergency"]), 1),
        ],
        vec![],
    );
    let mut req = request(Reason::Frustration);
    req.priority = Priority::Urgent;
    req.previous_agent = Some("ana".into());
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["zed", "ana"]);
    assert!(
        choice.explanation.contains("Urgent"),
        "{}",
        choice.explanation
    );
}

#[test]
fn emergency_overflow_offers_agents_at_capacity_after_those_with_room() {
    let r = roster(
        vec![
            with_load(agent("ana", &["emergency"]), 2),
            agent("bo", &["emergency"]),
            with_load(agent("cy", &[]), 2),
        ],
        vec![],
    );
    let mut req = request(Reason::Emergency);
    req.priority = Priority::Urgent;
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["bo", "ana"]);
    assert!(
        choice
            .explanation
            .contains("ana (at capacity: emergency overflow)"),
        "{}",
        choice.explanation
    );

    let off = router(r#"{"emergency_overflow": false}"#).route(&req, &r);
    assert_eq!(ids(&off), ["bo"]);
    assert!(
        off.explanation.contains("overflow past capacity is off"),
        "{}",
        off.explanation
    );
}

#[test]
fn overflow_is_only_for_urgent_handoffs_and_available_agents() {
    let mut busy = with_load(agent("busy", &["emergency"]), 2);
    busy.presence = Presence::Busy;
    let r = roster(
        vec![with_load(agent("ana", &["emergency"]), 2), busy],
        vec![],
    );
    let mut req = request(Reason::ExplicitRequest);
    assert!(route(&req, &r).agents.is_empty());
    req.priority = Priority::Urgent;
    assert_eq!(ids(&route(&req, &r)), ["ana"]);
}

#[test]
fn emergency_reason_alone_counts_as_urgent() {
    let r = roster(vec![with_load(agent("ana", &["emergency"]), 2)], vec![]);
    let mut req = request(Reason::Emergency);
    req.priority = Priority::High;
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["ana"]);
    assert!(choice.explanation.starts_with("Urgent"));
}

// ---- business hours ------------------------------------------------------------------

#[test]
fn after_hours_goes_to_on_call_agents_and_the_after_hours_queue() {
    let r = roster(
        vec![
            agent("day", &[]),
            on_call(agent("busy", &[]), Presence::Busy),
            on_call(agent("night", &[]), Presence::Available),
            on_call(agent("off", &[]), Presence::Offline),
        ],
        vec![queue("night_line", &[]), queue("billing", &["billing"])],
    );
    let req = after_hours(request(Reason::ExplicitRequest));
    let choice = router(r#"{"after_hours_queue": "night_line"}"#).route(&req, &r);
    assert_eq!(ids(&choice), ["night", "busy"]);
    assert_eq!(choice.queue, "night_line");
    assert!(
        choice.explanation.contains("After hours"),
        "{}",
        choice.explanation
    );

    let strict = router(r#"{"on_call_when_busy": false}"#).route(&req, &r);
    assert_eq!(ids(&strict), ["night"]);
    assert_eq!(
        strict.queue, "general",
        "no after_hours_queue: the fallback"
    );
}

#[test]
fn after_hours_queue_missing_from_the_roster_falls_back() {
    let r = roster(vec![], vec![queue("billing", &["billing"])]);
    let req = after_hours(request(Reason::BillingDispute));
    let choice = router(r#"{"after_hours_queue": "nights"}"#).route(&req, &r);
    assert_eq!(choice.queue, "general");
    assert!(
        choice.explanation.contains("`nights` is not on the roster"),
        "{}",
        choice.explanation
    );
}

#[test]
fn after_hours_skills_still_apply_to_on_call_agents() {
    let r = roster(
        vec![
            on_call(agent("ana", &["plumbing"]), Presence::Available),
            on_call(agent("bo", &["emergency"]), Presence::Busy),
        ],
        vec![],
    );
    let mut req = after_hours(request(Reason::Emergency));
    req.priority = Priority::Urgent;
    assert_eq!(ids(&route(&req, &r)), ["bo"]);
}

// ---- paging on-call agents after hours -------------------------------------------------

/// An urgent handoff after hours.
fn urgent_at_night(reason: Reason) -> RouteRequest {
    let mut req = after_hours(request(reason));
    req.priority = Priority::Urgent;
    req
}

#[test]
fn after_hours_an_emergency_pages_on_call_agents_who_are_offline() {
    // The on-call agent is not signed in: offered all the same (the host pages them); the
    // day agent, signed in but not on call, is not.
    let r = roster(
        vec![
            agent("day", &["emergency"]),
            on_call(agent("sam", &["emergency"]), Presence::Offline),
        ],
        vec![],
    );
    let choice = route(&urgent_at_night(Reason::Emergency), &r);
    assert_eq!(ids(&choice), ["sam"]);
    assert!(
        choice.explanation.contains("sam (on call, offline: paged)"),
        "{}",
        choice.explanation
    );
    // The emergency reason alone is urgent too.
    let mut high = urgent_at_night(Reason::Emergency);
    high.priority = Priority::High;
    assert_eq!(ids(&route(&high, &r)), ["sam"]);
}

#[test]
fn paged_agents_come_after_those_signed_in_and_declines_move_to_the_next() {
    let r = roster(
        vec![
            on_call(agent("ann", &["emergency"]), Presence::Offline),
            on_call(agent("bo", &["emergency"]), Presence::Busy),
            on_call(agent("cy", &["emergency"]), Presence::Available),
            on_call(agent("dee", &["emergency"]), Presence::Offline),
        ],
        vec![],
    );
    let mut req = urgent_at_night(Reason::Emergency);
    let wide = router(r#"{"max_offers": 10}"#);
    assert_eq!(ids(&wide.route(&req, &r)), ["cy", "bo", "ann", "dee"]);
    // The first paged agent let the offer run out: the next one is paged.
    req.declined_by = vec!["cy".into(), "bo".into(), "ann".into()];
    assert_eq!(ids(&wide.route(&req, &r)), ["dee"]);
    req.declined_by.push("dee".into());
    let none = wide.route(&req, &r);
    assert!(none.agents.is_empty(), "{none:?}");
}

#[test]
fn only_urgent_handoffs_page_and_only_on_call_agents() {
    let r = roster(
        vec![
            on_call(agent("sam", &["emergency", "plumbing"]), Presence::Offline),
            agent("day", &["emergency", "plumbing"]),
        ],
        vec![],
    );
    // Not urgent: an offline on-call agent is left for the morning (the queue).
    let routine = route(&after_hours(request(Reason::ExplicitRequest)), &r);
    assert!(routine.agents.is_empty(), "{routine:?}");
    assert!(
        routine.explanation.contains("2 not reachable"),
        "{}",
        routine.explanation
    );
    // In hours, offline means offline for routine work; an urgent handoff is offered to
    // everyone signed in first, then pages the on-call agent.
    let mut in_hours = request(Reason::Emergency);
    in_hours.priority = Priority::Urgent;
    assert_eq!(ids(&route(&in_hours, &r)), ["day", "sam"]);
    assert!(route(&request(Reason::ExplicitRequest), &r)
        .agents
        .iter()
        .all(|a| a != "sam"));
}

#[test]
fn in_hours_an_emergency_nobody_signed_in_can_take_pages_the_on_call_agent() {
    // Sam, the only one with the emergency skill, is off shift; Lee is signed in without
    // it, and Kim is off shift and not on call.
    let r = roster(
        vec![
            on_call(agent("sam", &["emergency", "gas"]), Presence::Offline),
            agent("lee", &["plumbing"]),
            {
                let mut kim = agent("kim", &["emergency"]);
                kim.presence = Presence::Offline;
                kim
            },
        ],
        vec![],
    );
    let mut req = request(Reason::Emergency);
    req.priority = Priority::Urgent;
    // Skills required (the default): only Sam has the emergency skill, so he is paged rather
    // than the emergency left in a queue.
    let choice = route(&req, &r);
    assert_eq!(ids(&choice), ["sam"]);
    assert!(
        choice.explanation.contains("sam (on call, offline: paged)"),
        "{}",
        choice.explanation
    );
    // Skills preferred: Lee now (a person signed in comes before a page, whatever the
    // skills), then Sam paged.
    let preferred = router(r#"{"skills": "preferred"}"#);
    assert_eq!(ids(&preferred.route(&req, &r)), ["lee", "sam"]);
    // A busy on-call agent in hours is paged too, and said to be busy.
    let mut busy = r.clone();
    busy.agents[0].presence = Presence::Busy;
    let choice = route(&req, &busy);
    assert!(
        choice.explanation.contains("sam (on call, busy: paged)"),
        "{}",
        choice.explanation
    );
    // Without paging, nobody off shift is offered.
    let off = router(r#"{"page_on_call": false, "skills": "preferred"}"#).route(&req, &r);
    assert_eq!(ids(&off), ["lee"]);
    let strict_off = router(r#"{"page_on_call": false}"#).route(&req, &r);
    assert!(strict_off.agents.is_empty(), "{strict_off:?}");
}

#[test]
fn page_on_call_false_offers_only_agents_signed_in() {
    let r = roster(
        vec![
            on_call(agent("sam", &["emergency"]), Presence::Offline),
            on_call(agent("bo", &["emergency"]), Presence::Busy),
        ],
        vec![],
    );
    let req = urgent_at_night(Reason::Emergency);
    let off = router(r#"{"page_on_call": false}"#).route(&req, &r);
    assert_eq!(ids(&off), ["bo"]);
    // Busy agents are not offered routine work after hours, but an emergency pages them.
    let strict = router(r#"{"on_call_when_busy": false}"#);
    assert_eq!(ids(&strict.route(&req, &r)), ["bo", "sam"]);
    assert!(strict
        .route(&after_hours(request(Reason::ExplicitRequest)), &r)
        .agents
        .is_empty());
}
