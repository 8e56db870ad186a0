//! Small rosters and requests for the tests.
#![allow(dead_code)]

use baton_plugin_sdk::prelude::*;
use skills_router::SkillsRouter;

/// An available agent with room (capacity 2, load 0), not on call.
pub fn agent(id: &str, skills: &[&str]) -> Agent {
    Agent {
        id: id.to_string(),
        name: id.to_uppercase(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        presence: Presence::Available,
        capacity: 2,
        load: 0,
        on_call: false,
    }
}

/// A queue serving `skills`, empty, with a 300 s target wait.
pub fn queue(name: &str, skills: &[&str]) -> Queue {
    Queue {
        name: name.to_string(),
        skills: skills.iter().map(|s| s.to_string()).collect(),
        target_wait_secs: 300,
        depth: 0,
    }
}

/// A roster with these agents and queues, fallback queue `general`.
pub fn roster(agents: Vec<Agent>, queues: Vec<Queue>) -> Roster {
    Roster {
        agents,
        queues,
        fallback_queue: "general".to_string(),
    }
}

/// A normal-priority request for `reason` during business hours.
pub fn request(reason: Reason) -> RouteRequest {
    RouteRequest {
        conversation_id: "c1".to_string(),
        channel: "web_chat".to_string(),
        reason,
        priority: Priority::Normal,
        tags: Vec::new(),
        intent: None,
        customer: Customer {
            name: "Pat".to_string(),
            ..Customer::default()
        },
        previous_agent: None,
        declined_by: Vec::new(),
        clock: Clock {
            now_ms: 1_750_000_000_000,
            weekday: 2,
            minute_of_day: 600,
            open: true,
        },
    }
}

/// The router built from a config given as JSON (as the host hands it over).
pub fn router(json: &str) -> SkillsRouter {
    let config = baton_plugin_sdk::parse_config(json).expect("config parses");
    SkillsRouter::new(config).expect("config is valid")
}

/// Route with the stock config.
pub fn route(req: &RouteRequest, roster: &Roster) -> RouteChoice {
    router("{}").route(req, roster)
}

/// The ids in a choice, as `&str`s.
pub fn ids(choice: &RouteChoice) -> Vec<&str> {
    choice.agents.iter().map(String::as_str).collect()
}
