//! The `[routing.config]` table: defaults, errors, and the README's example.

use baton_plugin_sdk::{parse_config, RoutingPolicy};
use skills_router::{Config, SkillMode, SkillsRouter};

fn load(json: &str) -> Result<SkillsRouter, String> {
    SkillsRouter::new(parse_config::<Config>(json)?)
}

#[test]
fn an_empty_table_has_good_defaults() {
    for empty in ["", "{}"] {
        let c = load(empty).unwrap().config().clone();
        assert_eq!(c.skills, SkillMode::Required);
        assert!(c.prefer_previous_agent);
        assert!(c.emergency_overflow);
        assert!(c.on_call_when_busy);
        assert!(c.page_on_call);
        assert!(c.ignore_unknown_skills);
        assert_eq!(c.after_hours_queue, None);
        assert_eq!(c.max_offers, 3);
    }
}

#[test]
fn an_unknown_key_is_an_error_naming_it() {
    let err = load(r#"{"max_ofers": 2}"#).unwrap_err();
    assert!(err.contains("unknown field `max_ofers`"), "{err}");
    assert!(err.contains("max_offers"), "lists the known keys: {err}");
}

#[test]
fn a_bad_value_is_an_error_naming_it() {
    let err = load(r#"{"skills": "mandatory"}"#).unwrap_err();
    assert!(err.contains("mandatory"), "{err}");
    let err = load(r#"{"reason_skills": {"Billing Dispute": ["billing"]}}"#).unwrap_err();
    assert!(
        err.contains("reason_skills") && err.contains("Billing Dispute"),
        "{err}"
    );
    let err = load(r#"{"tag_skills": {"gas": ["gas||hvac"]}}"#).unwrap_err();
    assert!(err.contains("tag_skills.gas"), "{err}");
    let err = load(r#"{"max_offers": -1}"#).unwrap_err();
    assert!(err.contains("-1"), "{err}");
}

/// The TOML example in the README parses (through JSON, as the host hands it over) and
/// sets what it says.
#[test]
fn the_readme_example_is_valid() {
    let readme = include_str!("../README.md");
    let start = readme.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let len = readme[start..].find("```").expect("closed");
    let doc: toml::Table = toml::from_str(&readme[start..start + len]).expect("valid TOML");
    let table = doc["routing"]["config"].clone();
    let json = serde_json::to_string(&table).expect("JSON");
    let router = load(&json).expect("valid config");
    let c = router.config();
    assert_eq!(c.after_hours_queue.as_deref(), Some("after_hours"));
    assert_eq!(
        c.reason_requirements("warranty_claim"),
        Some(vec!["warranty"])
    );
    assert_eq!(
        c.reason_requirements("billing_dispute"),
        Some(vec!["billing"])
    );
}
