//! After hours on the real server: tenants closed today by their own hours (`closed_on`
//! yesterday, today and tomorrow in their time zone). An emergency pages the on-call agent
//! who is offline in the inbox through their alert contact (email to a loopback SMTP sink),
//! the page carries a one-time link, and the agent accepts from it; an unanswered page
//! moves to the next on-call agent and, with nobody left, the customer is told so. A
//! routine handoff gets the after-hours promise and pages nobody.

use crate::alerts::smtp_sink;
use crate::channels::tenant_status;
use crate::host::TestHost;
use baton::store::KeyRole;
use serde_json::{json, Value};
use std::time::Duration;

/// A plumbing company closed today, with Sam and Lee on call (Sam first: more room) and Jo
/// signed in but not on call.
pub(crate) fn closed_today(name: &str, emergency_phone: Option<&str>, timeout_secs: u32) -> String {
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("America/Chicago").unwrap())
        .date();
    let day = |n: i64| today.checked_add(jiff::Span::new().days(n)).unwrap();
    let phone = emergency_phone
        .map(|p| format!("emergency_phone = \"{p}\"\n"))
        .unwrap_or_default();
    format!(
        r#"name = "{name}"
time_zone = "America/Chicago"
{phone}
[hours]
mon = "07:00-19:00"
tue = "07:00-19:00"
wed = "07:00-19:00"
thu = "07:00-19:00"
fri = "07:00-19:00"
sat = "07:00-19:00"
sun = "07:00-19:00"
closed_on = ["{}", "{}", "{}"]

[[queues]]
name = "general"
skills = ["plumbing"]

[[agents]]
id = "sam"
name = "Sam Ortiz"
skills = ["plumbing", "emergency"]
capacity = 3
on_call = true
alert = {{ email = "sam@night.example" }}

[[agents]]
id = "lee"
name = "Lee Brooks"
skills = ["plumbing", "emergency"]
capacity = 2
on_call = true
alert = {{ email = "lee@night.example" }}

[[agents]]
id = "jo"
name = "Jo Park"
skills = ["plumbing", "emergency"]
capacity = 5
alert = {{ email = "jo@night.example" }}

[limits]
deadline_ms = 500
offer_timeout_secs = {timeout_secs}
page_timeout_secs = {timeout_secs}

[fallback]
queue = "general"

[trigger]
plugin = "plugins/standard-trigger.wasm"

[routing]
plugin = "plugins/skills-router.wasm"
"#,
        day(-1),
        day(0),
        day(1)
    )
}

/// A closed company with nobody on call.
fn nobody_on_call(emergency_phone: Option<&str>) -> String {
    closed_today("Dry Basement Co", emergency_phone, 45).replace("on_call = true\n", "")
}

/// The same company open around the clock, every day: Sam and Lee are on call and off
/// shift, Sam the only one with the emergency skill; Lee and Jo have plumbing only; skills are preferred, not
/// required, so someone signed in without the skill may take an emergency.
pub(crate) fn open_all_day(name: &str) -> String {
    closed_today(name, None, 45)
        .lines()
        .filter(|l| !l.starts_with("closed_on = "))
        .map(|l| match l.split_once(" = \"07:00-19:00\"") {
            Some((day, _)) => format!("{day} = \"00:00-24:00\""),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace(
            "skills = [\"plumbing\", \"emergency\"]\ncapacity = 2",
            "skills = [\"plumbing\"]\ncapacity = 2",
        )
        .replace(
            "skills = [\"plumbing\", \"emergency\"]\ncapacity = 5",
            "skills = [\"plumbing\"]\ncapacity = 5",
        )
        .replace("page_timeout_secs = 45", "page_timeout_secs = 600")
        + "\n[routing.config]\nskills = \"preferred\"\n"
}

pub(crate) const EMERGENCY: &str = "help, water is pouring through the ceiling";
pub(crate) const ROUTINE: &str = "can I just talk to a real person please";

pub(crate) async fn host(
    extra: &[(&str, &str)],
) -> (TestHost, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (port, mail) = smtp_sink(false).await;
    let options = baton::server::Options {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..Default::default()
    };
    (TestHost::start_with(extra, options).await, mail)
}

/// The next alert email to `to`, whole (others are skipped).
pub(crate) async fn mail_to(
    mail: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    to: &str,
) -> String {
    let wait = async {
        loop {
            let m = mail.recv().await.expect("the sink is open");
            if m.lines().any(|l| l == format!("To: {to}")) {
                return m;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("no alert email to {to}"))
}

/// The accept link's token in an alert email (quoted-printable soft breaks undone).
fn token_in(message: &str, url: &str) -> String {
    let text = message.replace("=\n", "");
    let start = format!("{url}/inbox/accept#");
    let at = text
        .find(&start)
        .unwrap_or_else(|| panic!("no accept link in {message}"));
    text[at + start.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect()
}

/// The notices the customer was shown, by kind, in order.
async fn notices(h: &TestHost, key: &str, conversation: &str) -> Vec<(String, String)> {
    let (s, c) = h
        .get(&format!("/v1/conversations/{conversation}"), key)
        .await;
    assert_eq!(s, 200, "{c}");
    c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            let kind = m["intent"].as_str()?.strip_prefix("notice.")?;
            Some((kind.to_string(), m["text"].as_str()?.to_string()))
        })
        .collect()
}

/// Alert rows of `tenant` in the outbox, by kind (`alert_email`: delivered + pending + ...).
async fn alert_rows(h: &TestHost, tenant: &str) -> u64 {
    let operator = h.key(None, KeyRole::Operator, None).await;
    let (_, status) = h.get("/v1/admin/tenants", &operator).await;
    tenant_status(&status, tenant)["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kind"].as_str().unwrap().starts_with("alert_"))
        .map(|k| {
            ["delivered", "pending", "retrying", "failed"]
                .iter()
                .map(|f| k[f].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_after_hours_pages_the_offline_on_call_agent_who_accepts_from_the_link() {
    let tenant = closed_today("Night Plumbing", Some("+15555550199"), 45);
    let (h, mut mail) = host(&[("night-plumbing", &tenant)]).await;
    let channel = h.channel("night-plumbing").await;
    // Jo is signed in and available but not on call; Sam and Lee never opened the inbox.
    let jo = h.agent("night-plumbing", "jo").await;
    h.available(&jo, "jo").await;

    let opened = h.customer_says(&channel, "night-1", EMERGENCY).await;
    assert_eq!(opened["decision"]["reason"], "emergency", "{opened}");
    let handoff = &opened["handoff"];
    assert_eq!(handoff["state"], "offered", "{opened}");
    assert_eq!(handoff["offered_to"], "sam", "{opened}");
    assert_eq!(handoff["after_hours"], true);
    let note = handoff["routing_note"].as_str().unwrap();
    assert!(note.contains("sam (on call, offline: paged)"), "{note}");
    assert!(!handoff["route"].as_array().unwrap().contains(&json!("jo")));
    // The customer is told the truth: the on-call technician paged, the number.
    let notice = &opened["notice"];
    assert_eq!(notice["kind"], "paged", "{notice}");
    let text = notice["text"].as_str().unwrap();
    assert!(text.starts_with("This sounds urgent: I've paged"), "{text}");
    assert!(text.contains("I've paged Sam"), "{text}");
    assert!(text.contains("+15555550199"), "{text}");
    assert!(!text.contains("getting a person"), "{text}");

    // The page: an alert row for Sam's email, sent with a link that accepts.
    assert_eq!(alert_rows(&h, "night-plumbing").await, 1);
    let message = mail_to(&mut mail, "sam@night.example").await;
    assert!(
        message.contains("URGENT") || message.contains("urgent"),
        "{message}"
    );
    let token = token_in(&message, &h.url);
    assert!(token.starts_with("al.night-plumbing."), "{token}");

    // The page the link opens: the inbox's policy, no key needed, nothing accepted yet.
    let page = h
        .http
        .get(format!("{}/inbox/accept", h.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    let (s, offer) = h
        .call("GET", &format!("/v1/accept-links/{token}"), None, None)
        .await;
    assert_eq!(s, 200, "{offer}");
    assert_eq!(offer["agent_id"], "sam");
    assert_eq!(offer["acceptable"], true);
    assert_eq!(offer["priority"], "urgent");
    assert_eq!(offer["last_customer_text"], EMERGENCY);
    let (_, still) = h
        .get(
            &format!("/v1/handoffs/{}", handoff["id"].as_str().unwrap()),
            &jo,
        )
        .await;
    assert_eq!(
        still["handoff"]["state"], "offered",
        "reading the link accepts nothing"
    );

    // Sam accepts from the link: the handoff is his, the customer is told he joined.
    let (s, accepted) = h
        .call(
            "POST",
            &format!("/v1/accept-links/{token}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 200, "{accepted}");
    assert_eq!(accepted["handoff"]["state"], "accepted");
    assert_eq!(accepted["handoff"]["accepted_by"], "sam");
    assert_eq!(accepted["customer"]["phone"], "+15555550117");
    let kinds: Vec<String> = notices(&h, &channel, "night-1")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, ["paged", "joined"]);

    // Once only; a forged or malformed token is unknown.
    let (s, again) = h
        .call(
            "POST",
            &format!("/v1/accept-links/{token}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 410, "{again}");
    assert_eq!(again["error"]["code"], "gone");
    let (s, _) = h
        .call("GET", &format!("/v1/accept-links/{token}"), None, None)
        .await;
    assert_eq!(s, 410);
    let forged = format!("al.night-plumbing.{}", "0".repeat(64));
    for bad in [forged.as_str(), "al.night-plumbing.123", "bk_whatever"] {
        let (s, e) = h
            .call(
                "POST",
                &format!("/v1/accept-links/{bad}/accept"),
                None,
                None,
            )
            .await;
        assert_eq!(s, 404, "{bad}: {e}");
    }
    // Another tenant's prefix on the same secret is another (unknown) link.
    let moved = token.replace("al.night-plumbing.", "al.acme-plumbing.");
    let (s, _) = h
        .call("GET", &format!("/v1/accept-links/{moved}"), None, None)
        .await;
    assert_eq!(s, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_page_goes_to_the_next_on_call_agent_then_the_customer_is_told() {
    let tenant = closed_today("Fast Plumbing", Some("+15555550199"), 1);
    let (h, mut mail) = host(&[("fast-plumbing", &tenant)]).await;
    let channel = h.channel("fast-plumbing").await;
    let lee = h.agent("fast-plumbing", "lee").await;

    let opened = h.customer_says(&channel, "night-2", EMERGENCY).await;
    assert_eq!(opened["handoff"]["offered_to"], "sam", "{opened}");
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    mail_to(&mut mail, "sam@night.example").await;
    // Sam sleeps through it: after the 1 s offer timeout the routing policy is asked again
    // and Lee is paged.
    let message = mail_to(&mut mail, "lee@night.example").await;
    let token = token_in(&message, &h.url);
    let (_, packet) = h.get(&format!("/v1/handoffs/{id}"), &lee).await;
    let handoff = &packet["handoff"];
    assert!(
        handoff["declined_by"]
            .as_array()
            .unwrap()
            .contains(&json!("sam")),
        "{handoff}"
    );

    // Lee passes (or his page runs out too): nobody on call is left, the emergency waits
    // and the customer is told so, with the emergency line.
    let (s, declined) = h
        .post(&format!("/v1/handoffs/{id}/decline"), &lee, json!({}))
        .await;
    if s == 200 {
        assert_eq!(declined["state"], "queued", "{declined}");
    } else {
        assert_eq!(s, 409, "Lee's offer ran out first: {declined}");
    }
    let mut told = Vec::new();
    for _ in 0..100 {
        told = notices(&h, &channel, "night-2").await;
        if told.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Each move was told: Sam paged, then Lee paged (by name), then nobody left.
    let kinds: Vec<&str> = told.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["paged", "paged", "emergency_waiting"], "{told:?}");
    assert!(told[0].1.contains("paged Sam"), "{told:?}");
    assert!(told[1].1.contains("paged Lee"), "{told:?}");
    let text = &told[2].1;
    assert!(text.contains("nobody on call can be reached"), "{text}");
    assert!(text.contains("+15555550199"), "{text}");
    let (_, packet) = h.get(&format!("/v1/handoffs/{id}"), &lee).await;
    assert_eq!(packet["handoff"]["state"], "queued", "{packet}");

    // Lee's link still takes the waiting emergency: better late than nobody.
    let (s, accepted) = h
        .call(
            "POST",
            &format!("/v1/accept-links/{token}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 200, "{accepted}");
    assert_eq!(accepted["handoff"]["accepted_by"], "lee");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routine_handoff_after_hours_gets_the_promise_and_pages_nobody() {
    let with_phone = closed_today("Night Plumbing", Some("+15555550199"), 45);
    let without = closed_today("Quiet Plumbing", None, 45);
    let (h, _mail) = host(&[
        ("night-plumbing", &with_phone),
        ("quiet-plumbing", &without),
    ])
    .await;
    for (tenant, phone) in [("night-plumbing", true), ("quiet-plumbing", false)] {
        let channel = h.channel(tenant).await;
        let opened = h.customer_says(&channel, "night-3", ROUTINE).await;
        assert_eq!(opened["decision"]["escalate"], true, "{opened}");
        assert_eq!(opened["handoff"]["state"], "queued", "{opened}");
        assert_eq!(opened["handoff"]["offered_to"], Value::Null);
        let notice = &opened["notice"];
        assert_eq!(notice["kind"], "after_hours", "{notice}");
        let text = notice["text"].as_str().unwrap();
        assert!(text.starts_with("We're closed right now;"), "{text}");
        assert!(text.contains("opens"), "{text}");
        assert_eq!(text.contains("+15555550199"), phone, "{text}");
        // Nobody is paged for it: no alert row was written with the handoff.
        assert_eq!(alert_rows(&h, tenant).await, 0, "{tenant}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emergency_with_nobody_on_call_waits_with_a_true_notice() {
    let with_phone = nobody_on_call(Some("+15555550199"));
    let without = nobody_on_call(None);
    // On call, but with no alert contact to page: not reachable while offline either.
    let no_pager = closed_today("Dry Attic Co", None, 45)
        .lines()
        .filter(|l| !l.starts_with("alert = "))
        .collect::<Vec<_>>()
        .join("\n");
    let (h, _mail) = host(&[
        ("dry-basement", &with_phone),
        ("dry-cellar", &without),
        ("dry-attic", &no_pager),
    ])
    .await;
    for (tenant, phone) in [
        ("dry-basement", true),
        ("dry-cellar", false),
        ("dry-attic", false),
    ] {
        let channel = h.channel(tenant).await;
        let opened = h.customer_says(&channel, "night-4", EMERGENCY).await;
        assert_eq!(opened["decision"]["reason"], "emergency", "{opened}");
        assert_eq!(opened["handoff"]["state"], "queued", "{opened}");
        let notice = &opened["notice"];
        assert_eq!(notice["kind"], "emergency_waiting", "{notice}");
        let text = notice["text"].as_str().unwrap();
        assert!(text.contains("nobody on call can be reached"), "{text}");
        assert!(text.contains("call 911"), "{text}");
        assert!(!text.contains("right now. I'm getting"), "{text}");
        assert_eq!(
            text.contains("emergency line: +15555550199"),
            phone,
            "{text}"
        );
        assert_eq!(alert_rows(&h, tenant).await, 0, "{tenant}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_link_works_once_under_racing_taps_and_expires_after_an_hour() {
    let clock = baton::clock::ManualClock::new(jiff::Timestamp::now());
    let (port, mut mail) = smtp_sink(false).await;
    let options = baton::server::Options {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        clock: Some(clock.clone()),
        ..Default::default()
    };
    let tenant = closed_today("Night Plumbing", Some("+15555550199"), 45);
    let h = TestHost::start_with(&[("night-plumbing", &tenant)], options).await;
    let channel = h.channel("night-plumbing").await;

    // Two taps on the same link at once: one accepts, the other is refused.
    h.customer_says(&channel, "night-5", EMERGENCY).await;
    let token = token_in(&mail_to(&mut mail, "sam@night.example").await, &h.url);
    let path = format!("/v1/accept-links/{token}/accept");
    let tap = || h.call("POST", &path, None, None);
    let ((a, first), (b, second)) = tokio::join!(tap(), tap());
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses[0], 200, "{first} {second}");
    assert!(statuses[1] == 410 || statuses[1] == 409, "{first} {second}");

    // A link nobody used stops working an hour after it was sent.
    let opened = h.customer_says(&channel, "night-6", EMERGENCY).await;
    // Sam holds one now: Lee, as free and with less load, is paged first.
    let paged = opened["handoff"]["offered_to"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(paged, "lee", "{opened}");
    let token = token_in(
        &mail_to(&mut mail, &format!("{paged}@night.example")).await,
        &h.url,
    );
    let (s, offer) = h
        .call("GET", &format!("/v1/accept-links/{token}"), None, None)
        .await;
    assert_eq!(s, 200, "{offer}");
    clock.advance_ms(baton::outbox::accept_link::LINK_TTL_MS + 1);
    let (s, gone) = h
        .call(
            "POST",
            &format!("/v1/accept-links/{token}/accept"),
            None,
            None,
        )
        .await;
    assert_eq!(s, 410, "{gone}");
    assert!(
        gone["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{gone}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_link_follows_the_accept_rule_once_the_offer_moved_on() {
    let tenant = open_all_day("Rule Plumbing");
    let (h, mut mail) = host(&[("rule-plumbing", &tenant)]).await;
    let channel = h.channel("rule-plumbing").await;
    let sam = h.agent("rule-plumbing", "sam").await;
    let jo = h.agent("rule-plumbing", "jo").await;
    h.available(&sam, "sam").await;
    h.available(&jo, "jo").await;
    let opened = h.customer_says(&channel, "rule-1", ROUTINE).await;
    let id = opened["handoff"]["id"].as_str().unwrap().to_string();
    let first = opened["handoff"]["offered_to"]
        .as_str()
        .unwrap()
        .to_string();
    let (key, other, other_key) = if first == "sam" {
        (&sam, "jo", &jo)
    } else {
        (&jo, "sam", &sam)
    };
    let token = token_in(
        &mail_to(&mut mail, &format!("{first}@night.example")).await,
        &h.url,
    );
    let link = format!("/v1/accept-links/{token}");

    // The first choice passes: the offer is the next agent's now, and the link says so.
    let (s, moved) = h
        .post(&format!("/v1/handoffs/{id}/decline"), key, json!({}))
        .await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["offered_to"], other, "{moved}");
    let (s, page) = h.call("GET", &link, None, None).await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["acceptable"], false, "{page}");
    let why = page["why_not"].as_str().unwrap_or_default();
    assert!(why.contains(&format!("is offered to `{other}`")), "{page}");
    let (s, refused) = h.call("POST", &format!("{link}/accept"), None, None).await;
    assert_eq!(s, 409, "{refused}");

    // The next one passes too: it waits in the queue, and the link's agent, signed in with
    // room, may take it from there.
    let (s, queued) = h
        .post(&format!("/v1/handoffs/{id}/decline"), other_key, json!({}))
        .await;
    assert_eq!(s, 200, "{queued}");
    assert_eq!(queued["state"], "queued", "{queued}");
    let (_, page) = h.call("GET", &link, None, None).await;
    assert_eq!(page["acceptable"], true, "{page}");
    assert!(page["why_not"].is_null(), "{page}");
    let (s, accepted) = h.call("POST", &format!("{link}/accept"), None, None).await;
    assert_eq!(s, 200, "{accepted}");
    assert_eq!(accepted["handoff"]["accepted_by"], first.as_str());
}
