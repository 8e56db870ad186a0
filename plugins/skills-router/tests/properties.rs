//! Properties over random rosters and requests: whatever the input, the answer names
//! only roster ids and queues, respects the hard rules, and does not depend on order.

mod common;

use baton_plugin_sdk::prelude::*;
use common::router;
use proptest::prelude::*;
use skills_router::SkillsRouter;

const SKILLS: [&str; 6] = ["billing", "emergency", "spanish", "sales", "office", "gas"];
const TAGS: [&str; 4] = ["spanish", "gas", "vip", "electrical"];

fn skills() -> impl Strategy<Value = Vec<String>> {
    proptest::sample::subsequence(SKILLS.to_vec(), 0..=3)
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
}

fn presence() -> impl Strategy<Value = Presence> {
    prop_oneof![
        Just(Presence::Available),
        Just(Presence::Busy),
        Just(Presence::Offline)
    ]
}

/// Ids drawn from a small set so that duplicates, declines and previous agents collide.
fn agent() -> impl Strategy<Value = Agent> {
    (
        0u8..12,
        skills(),
        presence(),
        0u32..4,
        0u32..5,
        any::<bool>(),
    )
        .prop_map(|(id, skills, presence, capacity, load, on_call)| Agent {
            id: format!("a{id}"),
            name: format!("Agent {id}"),
            skills,
            presence,
            capacity,
            load,
            on_call,
        })
}

fn queue() -> impl Strategy<Value = Queue> {
    (0u8..5, skills(), 0u32..900, 0u32..20).prop_map(|(n, skills, target, depth)| Queue {
        name: format!("q{n}"),
        skills,
        target_wait_secs: target,
        depth,
    })
}

fn roster() -> impl Strategy<Value = Roster> {
    (
        proptest::collection::vec(agent(), 0..10),
        proptest::collection::vec(queue(), 0..4),
    )
        .prop_map(|(agents, queues)| Roster {
            agents,
            queues,
            fallback_queue: "fallback".to_string(),
        })
}

fn reason() -> impl Strategy<Value = Reason> {
    prop_oneof![
        proptest::sample::select(Reason::STOCK.to_vec()),
        Just(Reason::Custom("warranty_claim".to_string())),
    ]
}

fn request() -> impl Strategy<Value = RouteRequest> {
    (
        reason(),
        prop_oneof![
            Just(Priority::Low),
            Just(Priority::Normal),
            Just(Priority::High),
            Just(Priority::Urgent)
        ],
        proptest::sample::subsequence(TAGS.to_vec(), 0..=2),
        proptest::option::of(0u8..14),
        proptest::collection::vec(0u8..14, 0..3),
        any::<bool>(),
    )
        .prop_map(|(reason, priority, tags, previous, declined, open)| {
            let mut r = common::request(reason);
            r.priority = priority;
            r.tags = tags.into_iter().map(str::to_string).collect();
            r.previous_agent = previous.map(|i| format!("a{i}"));
            r.declined_by = declined.into_iter().map(|i| format!("a{i}")).collect();
            r.clock.open = open;
            r
        })
}

fn config() -> impl Strategy<Value = SkillsRouter> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..6,
        proptest::option::of(prop_oneof![Just("q1"), Just("nowhere")]),
    )
        .prop_map(
            |(preferred, prev, overflow, busy, page, ignore, max, after)| {
                let json = serde_json::json!({
                    "skills": if preferred { "preferred" } else { "required" },
                    "prefer_previous_agent": prev,
                    "emergency_overflow": overflow,
                    "on_call_when_busy": busy,
                    "page_on_call": page,
                    "ignore_unknown_skills": ignore,
                    "max_offers": max,
                    "after_hours_queue": after,
                    "reason_skills": { "warranty_claim": ["office|sales"] },
                });
                router(&json.to_string())
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn answers_stay_within_the_roster_and_the_rules(
        router in config(),
        req in request(),
        roster in roster(),
    ) {
        let c = router.config().clone();
        let choice = router.route(&req, &roster);

        // Only roster queues (or the fallback), only roster agents, each once.
        prop_assert!(choice.queue == roster.fallback_queue
            || roster.queues.iter().any(|q| q.name == choice.queue));
        prop_assert!(choice.agents.len() <= c.max_offers);
        for (i, id) in choice.agents.iter().enumerate() {
            prop_assert!(!choice.agents[..i].contains(id), "{id} twice");
            prop_assert!(!req.declined_by.contains(id), "{id} declined");
            let urgent = req.priority == Priority::Urgent || req.reason == Reason::Emergency;
            // Some entry with this id satisfies the hard rules.
            let ok = roster.agents.iter().filter(|a| &a.id == id).any(|a| {
                let reachable = if req.clock.open {
                    a.presence == Presence::Available || (urgent && c.page_on_call && a.on_call)
                } else {
                    a.on_call && (a.presence == Presence::Available
                        || (a.presence == Presence::Busy && c.on_call_when_busy)
                        || (urgent && c.page_on_call))
                };
                let room = a.load < a.capacity
                    || (urgent && c.emergency_overflow && a.presence == Presence::Available
                        && a.has_skill("emergency"));
                reachable && room
            });
            prop_assert!(ok, "{id} offered against the rules: {choice:?}");
        }
        // In hours, everyone offered who is signed in comes before anyone paged.
        if req.clock.open {
            let present = |id: &String| roster.agents.iter().any(|a| &a.id == id
                && a.presence == Presence::Available);
            if let Some(first_paged) = choice.agents.iter().position(|id| !present(id)) {
                prop_assert!(choice.agents[first_paged..].iter().all(|id| !present(id)),
                    "a page before someone signed in: {choice:?}");
            }
        }
        prop_assert!(!choice.explanation.is_empty() && choice.explanation.len() <= 1000);
        if req.priority == Priority::Urgent || req.reason == Reason::Emergency {
            prop_assert!(choice.explanation.starts_with("Urgent"));
        }
        if !req.clock.open {
            let expected = match c.after_hours_queue.as_deref() {
                Some(q) if roster.queues.iter().any(|x| x.name == q) => q,
                _ => roster.fallback_queue.as_str(),
            };
            prop_assert_eq!(choice.queue.as_str(), expected);
        }

        // Deterministic, and blind to the roster's order.
        prop_assert_eq!(&router.route(&req, &roster), &choice);
        let mut reversed = roster.clone();
        reversed.agents.reverse();
        reversed.queues.reverse();
        let unique_ids = {
            let mut ids: Vec<_> = roster.agents.iter().map(|a| &a.id).collect();
            ids.sort();
            ids.windows(2).all(|w| w[0] != w[1])
        };
        let unique_queues = {
            let mut names: Vec<_> = roster.queues.iter().map(|q| &q.name).collect();
            names.sort();
            names.windows(2).all(|w| w[0] != w[1])
        };
        if unique_ids && unique_queues {
            prop_assert_eq!(&router.route(&req, &reversed).agents, &choice.agents);
            prop_assert_eq!(&router.route(&req, &reversed).queue, &choice.queue);
        }
    }

    #[test]
    fn required_skills_are_never_missing(req in request(), roster in roster()) {
        let strict = router(r#"{"ignore_unknown_skills": false, "max_offers": 50}"#);
        let choice = strict.route(&req, &roster);
        let needed: &[&str] = match req.reason {
            Reason::BillingDispute => &["billing"],
            Reason::Emergency => &["emergency"],
            Reason::ComplexInquiry => &["office"],
            _ => &[],
        };
        let spanish = req.tags.iter().any(|t| t == "spanish");
        for id in &choice.agents {
            let ok = roster.agents.iter().filter(|a| &a.id == id).any(|a| {
                needed.iter().all(|s| a.has_skill(s)) && (!spanish || a.has_skill("spanish"))
            });
            prop_assert!(ok, "{id} lacks a needed skill: {choice:?}");
        }
    }
}
