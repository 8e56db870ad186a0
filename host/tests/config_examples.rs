//! The fully commented example tenant loads into the values it documents.

use baton::config::{
    self, format_wait, load_file, parse_str, NoticeKind, Vars, WebhookEvent, SELF_TEST_EPOCH,
};
use baton_plugin_sdk::{Reason, Role};
use std::path::{Path, PathBuf};

const GOOD: &str = "tests/golden/config/good/acme-plumbing.toml";

fn good() -> config::TenantConfig {
    match load_file(Path::new(GOOD)) {
        Ok(c) => c,
        Err(d) => panic!("{d}"),
    }
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().expect("test timestamp")
}

#[test]
fn good_example_values() {
    let c = good();
    assert_eq!(c.tenant_id, "acme-plumbing");
    assert_eq!(c.name, "Acme Plumbing");
    assert_eq!(c.time_zone_name, "America/Chicago");
    assert_eq!(c.emergency_phone.as_deref(), Some("+15555550199"));
    assert_eq!(
        c.queues
            .iter()
            .map(|q| (q.name.as_str(), q.target_wait_secs))
            .collect::<Vec<_>>(),
        vec![("general", 300), ("gas", 120)]
    );
    assert_eq!(c.fallback_queue, "general");
    let sam = c.agent("sam").expect("sam");
    assert_eq!(
        (sam.capacity, sam.on_call, sam.first_name()),
        (3, true, "Sam")
    );
    assert_eq!(sam.alert.sms.as_deref(), Some("+15555550100"));
    let jo = c.agent("jo").expect("jo");
    assert_eq!(
        (jo.capacity, jo.on_call, jo.alert.email.as_deref()),
        (2, false, None)
    );
    assert_eq!(c.limits, config::Limits::default());
    assert_eq!(c.webhooks.len(), 1);
    assert!(c.webhooks[0].wants(WebhookEvent::HandoffOpened));
    assert!(!c.webhooks[0].wants(WebhookEvent::PolicyFault));
    assert_eq!(
        c.webhooks[0].secret_env.as_deref(),
        Some("ACME_WEBHOOK_SECRET")
    );
    let dir = Path::new(GOOD).parent().expect("folder");
    assert_eq!(c.trigger.path, dir.join("plugins/standard-trigger.wasm"));
    assert_eq!(
        c.trigger.config_json,
        r#"{"high_value_threshold_usd":5000}"#
    );
    assert_eq!(
        &c.source.text[c.trigger.path_span.clone()],
        "\"plugins/standard-trigger.wasm\""
    );
    assert_eq!(c.routing.config_json, "{}");
    assert_eq!(
        c.shadow.as_ref().map(|s| s.path.clone()),
        Some(dir.join("plugins/standard-trigger-v2.wasm"))
    );
    // The plugin loader can point at the plugin line.
    let d = c.error_at(c.routing.path_span.clone(), "plugin not found");
    assert!(
        d.to_string()
            .contains("| plugin = \"plugins/skills-router.wasm\""),
        "{d}"
    );
}

#[test]
fn good_example_self_tests() {
    let c = good();
    assert_eq!(c.self_tests.len(), 2);
    let t = &c.self_tests[0];
    assert_eq!(t.name, "asks for a person");
    assert!(t.expect_escalate);
    assert_eq!(t.expect_reason, Some(Reason::ExplicitRequest));
    let conv = &t.conversation;
    assert_eq!(
        (conv.id.as_str(), conv.channel.as_str()),
        ("self-test-1", "sms")
    );
    assert_eq!(conv.customer.name, "Test");
    assert!(conv.customer.repeat_customer);
    assert_eq!(conv.messages.len(), 3);
    assert_eq!(conv.messages[1].role, Role::Bot);
    assert_eq!(conv.messages[1].intent.as_deref(), Some("greeting"));
    assert_eq!(conv.messages[1].confidence, Some(0.95));
    // One minute apart from Monday 2 March 2026 10:00 Chicago time (16:00 UTC).
    let start = SELF_TEST_EPOCH
        .to_zoned(c.time_zone.clone())
        .expect("epoch")
        .timestamp();
    assert_eq!(start, ts("2026-03-02T16:00:00Z"));
    let at: Vec<i64> = conv.messages.iter().map(|m| m.at_ms).collect();
    let s = start.as_millisecond();
    assert_eq!(at, vec![s, s + 60_000, s + 120_000]);
    // The clock is the tenant's at the last message: Monday 10:02, open.
    assert_eq!(
        (
            conv.clock.weekday,
            conv.clock.minute_of_day,
            conv.clock.open
        ),
        (0, 602, true)
    );
    let t2 = &c.self_tests[1];
    assert_eq!(t2.conversation.channel, "web_chat");
    assert_eq!(t2.conversation.customer.name, "Test Customer");
    assert!(!t2.expect_escalate && t2.expect_reason.is_none());
    // Saturday 7 March 09:00 Chicago: open.
    assert_eq!(t2.conversation.clock.weekday, 5);
    assert!(t2.conversation.clock.open);
}

#[test]
fn good_example_hours_and_notices() {
    let c = good();
    // Friday lunch is closed; Christmas (a Friday) is closed all day.
    assert!(!c.clock_at(ts("2026-03-06T18:30:00Z")).open);
    assert!(c.clock_at(ts("2026-03-06T19:30:00Z")).open);
    assert!(!c.clock_at(ts("2026-12-25T16:00:00Z")).open);
    // Saturday 7 March 13:00 CST: closed until Monday 07:00 CDT (after the DST change).
    let now = ts("2026-03-07T19:00:00Z");
    let opens = c.next_opening(now).expect("opens");
    assert_eq!(opens.timestamp(), ts("2026-03-09T12:00:00Z"));
    let vars = Vars {
        business: c.name.clone(),
        opens: c.hours.opens_phrase(now).unwrap_or_default(),
        emergency_phone: c.emergency_phone.clone().unwrap_or_default(),
        ..Vars::default()
    };
    assert_eq!(
        c.notices.get(NoticeKind::AfterHours, baton::config::Language::En).render(&vars),
        "We're closed right now; Acme Plumbing opens Monday at 7:00 AM. A person will reply then — for an emergency call +15555550199."
    );
    let vars = Vars {
        business: c.name.clone(),
        position: "2".into(),
        wait: format_wait(240),
        ..Vars::default()
    };
    assert_eq!(
        c.notices.en.queued.render(&vars),
        "Thanks for your patience — I'm bringing in a person from Acme Plumbing. You're number 2 in line; the wait is about 4 minutes."
    );
}

#[test]
fn minimal_tenant_gets_defaults() {
    let text = "name = \"Bo's HVAC\"\n[trigger]\nplugin = \"/opt/baton/t.wasm\"\n[routing]\nplugin = \"r.wasm\"\n";
    let c = match parse_str("bo", Path::new("policies/bo.toml"), text) {
        Ok(c) => c,
        Err(d) => panic!("{d}"),
    };
    assert_eq!(c.time_zone_name, "UTC");
    assert!(c.clock_at(ts("2026-12-25T03:00:00Z")).open);
    assert_eq!(c.fallback_queue, "general");
    assert_eq!(c.queues.len(), 1);
    assert_eq!(c.queues[0].name, "general");
    assert!(c.agents.is_empty() && c.webhooks.is_empty() && c.self_tests.is_empty());
    assert_eq!(c.trigger.path, PathBuf::from("/opt/baton/t.wasm"));
    assert_eq!(c.routing.path, PathBuf::from("policies/r.wasm"));
    // Without an emergency phone, the default after-hours notice doesn't mention one.
    assert!(!c
        .notices
        .en
        .after_hours
        .source()
        .contains("emergency_phone"));
    assert!(c.shadow.is_none());
}

#[test]
fn several_problems_are_reported_together() {
    let text = "name = \"\"\ntime_zone = \"Mars/Olympus\"\n[limits]\nmemory_mib = 0\ndeadline_ms = 9000\n[trigger]\nplugin = \"t.wasm\"\n[routing]\nplugin = \"r.wasm\"\n";
    let err = parse_str("x", Path::new("policies/x.toml"), text).expect_err("errors");
    let lines: Vec<usize> = err
        .iter()
        .filter_map(|d| d.location.as_ref().map(|l| l.line))
        .collect();
    assert_eq!(lines, vec![1, 2, 4, 5]);
}

#[test]
fn tenant_files_are_told_apart() {
    assert!(config::is_tenant_file_name("acme.toml"));
    for temp in [
        ".acme.toml.swp",
        "acme.toml~",
        "#acme.toml#",
        "acme.toml.tmp",
        "4913",
        ".#acme.toml",
    ] {
        assert!(!config::is_tenant_file_name(temp), "{temp}");
    }
    assert_eq!(
        config::tenant_id_from_path(Path::new("policies/acme.toml"))
            .ok()
            .as_deref(),
        Some("acme")
    );
}
