//! Read a tenant file, parse it, validate it, and build the [`TenantConfig`].

use super::diagnostic::{span_in_string, Diagnostic, Diagnostics, Span};
use super::hours::{parse_day, Hours, DAY_KEYS};
use super::names::{backticked, did_you_mean, is_valid_tenant_id, tenant_id_from_path};
use super::schema::{RawHours, RawLimits, RawTenant, S};
use super::{checks, fixture_specs, notices, parts, routing_tests, tests_table, translate};
use super::{Limits, PluginSpec, Source, TenantConfig};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use toml::de::DeTable;
use toml::Spanned;

/// Most syntax errors reported for one file; later ones are usually knock-on effects.
const MAX_SYNTAX_ERRORS: usize = 5;

/// Read, parse and validate the tenant file at `path`. The tenant id is the file stem;
/// messages name the file as `path` is written.
pub fn load_file(path: &Path) -> Result<TenantConfig, Diagnostics> {
    let tenant_id = tenant_id_from_path(path)?;
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::whole_file(path, format!("can't read the file: {e}")))?;
    match String::from_utf8(bytes) {
        Ok(text) => parse_str(&tenant_id, path, &text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            Err(
                Diagnostic::at_span(path, &lossy, at..at + 1, "the file is not valid UTF-8")
                    .with_help("save the file as UTF-8")
                    .into(),
            )
        }
    }
}

/// Parse and validate tenant `tenant_id`'s TOML `text`. `path_for_messages` names the file
/// in messages, and its folder is where relative plugin paths start.
pub fn parse_str(
    tenant_id: &str,
    path_for_messages: &Path,
    text: &str,
) -> Result<TenantConfig, Diagnostics> {
    let file = path_for_messages;
    if !is_valid_tenant_id(tenant_id) {
        return Err(Diagnostic::whole_file(file, format!("`{tenant_id}` is not a valid tenant id"))
            .with_help("use lowercase letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters")
            .into());
    }
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        let mut ds: Vec<Diagnostic> = syntax_errors
            .iter()
            .map(|e| translate::syntax(file, text, e))
            .collect();
        sort(&mut ds);
        ds.dedup_by_key(|d| d.location.as_ref().map(|l| l.line));
        ds.truncate(MAX_SYNTAX_ERRORS);
        return Err(Diagnostics(ds));
    }
    let raw: RawTenant = toml::from_str(text)
        .map_err(|e| Diagnostics::from(translate::serde(file, text, root.get_ref(), &e)))?;
    let mut errors = Vec::new();
    let config = build(tenant_id, file, text, raw, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        sort(&mut errors);
        Err(Diagnostics(errors))
    }
}

fn sort(ds: &mut [Diagnostic]) {
    ds.sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
}

fn build(
    tenant_id: &str,
    file: &Path,
    text: &str,
    raw: RawTenant,
    errors: &mut Vec<Diagnostic>,
) -> TenantConfig {
    let err = |span: Span, msg: String| Diagnostic::at_span(file, text, span, msg);
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        errors.push(
            err(raw.name.span(), "`name` is empty".into())
                .with_help("give the business's display name, e.g. `name = \"Acme Plumbing\"`"),
        );
    }
    let (time_zone_name, time_zone) = time_zone(file, text, raw.time_zone.as_ref(), errors);
    let emergency_phone = raw
        .emergency_phone
        .as_ref()
        .map(|p| emergency_phone(file, text, p, errors));
    let hours = match &raw.hours {
        None => Hours::always_open(time_zone.clone()),
        Some(h) => hours(file, text, h, time_zone.clone(), errors),
    };
    let mut queues = parts::queues(file, text, &raw.queues, errors);
    let agents = parts::agents(file, text, &raw.agents, errors);
    let notices = notices::build(file, text, &raw.notices, emergency_phone.is_some(), errors);
    let limits = limits(file, text, &raw.limits, errors);
    let fallback_queue = parts::fallback(
        file,
        text,
        raw.fallback.as_ref(),
        &raw.queues,
        &mut queues,
        errors,
    );
    let webhooks = parts::webhooks(file, text, &raw.webhooks, errors);
    let base = file.parent().unwrap_or(Path::new(""));
    let (t, r) = (raw.trigger.get_ref(), raw.routing.get_ref());
    let (trigger, routing, shadow) = plugins(file, text, base, &raw, errors);
    let self_tests = tests_table::build(file, text, &t.tests, &hours, errors);
    let fixtures = fixture_specs::build(file, text, base, &t.fixtures, errors);
    let routing_tests = routing_tests::build(
        file,
        text,
        &r.tests,
        &routing_tests::Tenant {
            agents: &agents,
            queues: &queues,
            fallback_queue: &fallback_queue,
            hours: &hours,
        },
        errors,
    );
    let sms = super::channels::sms(file, text, raw.sms.as_ref(), errors);
    let widget = super::channels::widget(file, text, raw.widget.as_ref(), errors);
    TenantConfig {
        tenant_id: tenant_id.to_string(),
        name,
        time_zone_name,
        time_zone,
        hours,
        queues,
        agents,
        notices,
        emergency_phone,
        limits,
        fallback_queue,
        webhooks,
        trigger,
        routing,
        shadow,
        self_tests,
        routing_tests,
        fixtures,
        sms,
        widget,
        source: Source {
            path: file.to_path_buf(),
            text: Arc::from(text),
        },
    }
}

/// The emergency number, with a diagnostic when it is not in E.164 form.
fn emergency_phone(
    file: &Path,
    text: &str,
    p: &Spanned<String>,
    errors: &mut Vec<Diagnostic>,
) -> String {
    if !checks::is_e164(p.get_ref()) {
        let d = Diagnostic::at_span(
            file,
            text,
            p.span(),
            format!("`{}` is not a phone number in E.164 form", p.get_ref()),
        );
        errors.push(match checks::as_e164(p.get_ref()) {
            Some(s) => d.with_help(format!("write it as `{s}`")),
            None => d.with_help(
                "write `+`, the country code and the number, digits only, e.g. `+15555550199`",
            ),
        });
    }
    p.get_ref().clone()
}

/// The trigger, routing and (optional) shadow plugins, paths resolved from `base`.
fn plugins(
    file: &Path,
    text: &str,
    base: &Path,
    raw: &RawTenant,
    errors: &mut Vec<Diagnostic>,
) -> (PluginSpec, PluginSpec, Option<PluginSpec>) {
    let t = raw.trigger.get_ref();
    let trigger = parts::plugin(
        file,
        text,
        base,
        "trigger",
        &t.plugin,
        t.config.as_ref(),
        errors,
    );
    let r = raw.routing.get_ref();
    let routing = parts::plugin(
        file,
        text,
        base,
        "routing",
        &r.plugin,
        r.config.as_ref(),
        errors,
    );
    let shadow = raw.shadow.as_ref().map(|s| {
        let s = s.get_ref();
        parts::plugin(
            file,
            text,
            base,
            "shadow",
            &s.plugin,
            s.config.as_ref(),
            errors,
        )
    });
    (trigger, routing, shadow)
}

/// Common abbreviations people write for a zone, and the zone they usually mean.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("EST", "America/New_York"),
    ("EDT", "America/New_York"),
    ("ET", "America/New_York"),
    ("EASTERN", "America/New_York"),
    ("CST", "America/Chicago"),
    ("CDT", "America/Chicago"),
    ("CT", "America/Chicago"),
    ("CENTRAL", "America/Chicago"),
    ("MST", "America/Denver"),
    ("MDT", "America/Denver"),
    ("MT", "America/Denver"),
    ("MOUNTAIN", "America/Denver"),
    ("PST", "America/Los_Angeles"),
    ("PDT", "America/Los_Angeles"),
    ("PT", "America/Los_Angeles"),
    ("PACIFIC", "America/Los_Angeles"),
];

fn time_zone(
    file: &Path,
    text: &str,
    raw: Option<&S>,
    errors: &mut Vec<Diagnostic>,
) -> (String, jiff::tz::TimeZone) {
    let Some(raw) = raw else {
        return ("UTC".to_string(), jiff::tz::TimeZone::UTC);
    };
    let name = raw.get_ref().as_str();
    if let Ok(tz) = jiff::tz::TimeZone::get(name) {
        return (name.to_string(), tz);
    }
    let upper = name.trim().to_uppercase();
    let names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    let help = if let Some((_, zone)) = ABBREVIATIONS.iter().find(|(a, _)| *a == upper) {
        format!(
            "use an IANA zone name, which follows daylight saving time: `{zone}` for US {} time",
            title(zone)
        )
    } else if let Some(s) = did_you_mean(name, names.iter().map(String::as_str)) {
        format!("did you mean `{s}`?")
    } else {
        "use an IANA zone name, e.g. `America/Chicago` or `Europe/London`".to_string()
    };
    errors.push(
        Diagnostic::at_span(
            file,
            text,
            raw.span(),
            format!("unknown time zone `{name}`"),
        )
        .with_help(help),
    );
    (name.to_string(), jiff::tz::TimeZone::UTC)
}

fn title(zone: &str) -> &'static str {
    match zone {
        "America/New_York" => "Eastern",
        "America/Chicago" => "Central",
        "America/Denver" => "Mountain",
        _ => "Pacific",
    }
}

fn hours(
    file: &Path,
    text: &str,
    raw: &Spanned<RawHours>,
    time_zone: jiff::tz::TimeZone,
    errors: &mut Vec<Diagnostic>,
) -> Hours {
    let mut week: [Vec<super::TimeRange>; 7] = Default::default();
    let mut bad_day = false;
    for (i, day) in raw.get_ref().days().into_iter().enumerate() {
        let Some(value) = day else { continue };
        match parse_day(DAY_KEYS[i], value.get_ref()) {
            Ok(ranges) => week[i] = ranges,
            Err(e) => {
                let span = span_in_string(text, &value.span(), value.get_ref(), e.at);
                let mut d = Diagnostic::at_span(file, text, span, e.message);
                if let Some(h) = e.help {
                    d = d.with_help(h);
                }
                errors.push(d);
                bad_day = true;
            }
        }
    }
    let any_day = raw.get_ref().days().iter().any(|d| d.is_some());
    if week.iter().all(Vec::is_empty) && !bad_day {
        errors.push(
            Diagnostic::at_span(file, text, raw.span(), if any_day { "every day in `[hours]` is closed" } else { "`[hours]` lists no days" }.to_string())
                .with_help("with `[hours]`, a day not listed is closed: add days like `mon = \"08:00-17:00\"`, or remove `[hours]` to be always open"),
        );
    }
    let mut closed_on = BTreeSet::new();
    for v in &raw.get_ref().closed_on {
        let date = match v.get_ref() {
            toml::Value::String(s) => s
                .parse::<jiff::civil::Date>()
                .ok()
                .filter(|_| s.len() == 10),
            toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
                d.to_string().parse().ok()
            }
            _ => None,
        };
        match date {
            Some(d) => {
                closed_on.insert(d);
            }
            None => {
                let shown = match v.get_ref() {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                errors.push(
                    Diagnostic::at_span(
                        file,
                        text,
                        v.span(),
                        format!("`{shown}` in `hours.closed_on` is not a date"),
                    )
                    .with_help("write local dates as `\"YYYY-MM-DD\"`, e.g. `\"2026-12-25\"`"),
                );
            }
        }
    }
    Hours {
        time_zone,
        week: Some(week),
        closed_on,
    }
}

/// A number in `min..=max`, or `default` when absent.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ranged(
    file: &Path,
    text: &str,
    v: &Option<Spanned<i64>>,
    key: &str,
    min: i64,
    max: i64,
    default: u32,
    errors: &mut Vec<Diagnostic>,
) -> u32 {
    let Some(v) = v else { return default };
    let n = *v.get_ref();
    if (min..=max).contains(&n) {
        u32::try_from(n).unwrap_or(default)
    } else {
        errors.push(Diagnostic::at_span(
            file,
            text,
            v.span(),
            format!("`{key}` must be from {min} to {max}, found `{n}`"),
        ));
        default
    }
}

/// A `[limits]` key and its allowed range.
type Bound = (&'static str, i64, i64);

const MEMORY_MIB: Bound = ("memory_mib", 1, 512);
const DEADLINE_MS: Bound = ("deadline_ms", 1, 5000);
const OFFER_TIMEOUT_SECS: Bound = ("offer_timeout_secs", 1, 3600);
const PAGE_TIMEOUT_SECS: Bound = ("page_timeout_secs", 1, 3600);
const EVALUATIONS_PER_SECOND: Bound = ("evaluations_per_second", 0, 100_000);
const DECISION_LOG_DAYS: Bound = ("decision_log_days", 1, 3650);
const DECISION_LOG_MAX_ROWS: Bound = ("decision_log_max_rows", 1000, 100_000_000);
/// 8000 is the host's ceiling (`handoff::MAX_TEXT`): a tenant may only lower it.
const MAX_MESSAGE_BYTES: Bound = ("max_message_bytes", 1, 8000);
const MAX_CONVERSATION_MESSAGES: Bound = ("max_conversation_messages", 10, 1_000_000);
const POLICY_WINDOW_MESSAGES: Bound = ("policy_window_messages", 1, 1000);
const POLICY_WINDOW_BYTES: Bound = ("policy_window_bytes", 1000, 1_048_576);
const MESSAGES_PER_MINUTE: Bound = ("messages_per_minute", 0, 1_000_000);
const WIDGET_MESSAGES_PER_MINUTE: Bound = ("widget_messages_per_minute", 1, 10_000);
const WIDGET_IP_REQUESTS_PER_MINUTE: Bound = ("widget_ip_requests_per_minute", 0, 1_000_000);

/// `[limits]`, each key range-checked, defaults for what the file leaves out.
fn limits(file: &Path, text: &str, l: &RawLimits, errors: &mut Vec<Diagnostic>) -> Limits {
    let d = Limits::default();
    let abandon_after_secs = abandon_after(file, text, &l.abandon_after_secs, errors);
    let mut r = |v: &Option<Spanned<i64>>, (key, min, max): Bound, default: u32| {
        ranged(
            file,
            text,
            v,
            &format!("limits.{key}"),
            min,
            max,
            default,
            errors,
        )
    };
    Limits {
        memory_mib: r(&l.memory_mib, MEMORY_MIB, d.memory_mib),
        deadline_ms: r(&l.deadline_ms, DEADLINE_MS, d.deadline_ms),
        offer_timeout_secs: r(
            &l.offer_timeout_secs,
            OFFER_TIMEOUT_SECS,
            d.offer_timeout_secs,
        ),
        page_timeout_secs: r(&l.page_timeout_secs, PAGE_TIMEOUT_SECS, d.page_timeout_secs),
        abandon_after_secs,
        evaluations_per_second: r(
            &l.evaluations_per_second,
            EVALUATIONS_PER_SECOND,
            d.evaluations_per_second,
        ),
        decision_log_days: r(&l.decision_log_days, DECISION_LOG_DAYS, d.decision_log_days),
        decision_log_max_rows: r(
            &l.decision_log_max_rows,
            DECISION_LOG_MAX_ROWS,
            d.decision_log_max_rows,
        ),
        max_message_bytes: r(&l.max_message_bytes, MAX_MESSAGE_BYTES, d.max_message_bytes),
        max_conversation_messages: r(
            &l.max_conversation_messages,
            MAX_CONVERSATION_MESSAGES,
            d.max_conversation_messages,
        ),
        policy_window_messages: r(
            &l.policy_window_messages,
            POLICY_WINDOW_MESSAGES,
            d.policy_window_messages,
        ),
        policy_window_bytes: r(
            &l.policy_window_bytes,
            POLICY_WINDOW_BYTES,
            d.policy_window_bytes,
        ),
        messages_per_minute: r(
            &l.messages_per_minute,
            MESSAGES_PER_MINUTE,
            d.messages_per_minute,
        ),
        widget_messages_per_minute: r(
            &l.widget_messages_per_minute,
            WIDGET_MESSAGES_PER_MINUTE,
            d.widget_messages_per_minute,
        ),
        widget_ip_requests_per_minute: r(
            &l.widget_ip_requests_per_minute,
            WIDGET_IP_REQUESTS_PER_MINUTE,
            d.widget_ip_requests_per_minute,
        ),
    }
}

/// `[limits] abandon_after_secs`: 0 (never) or 60 to 604800; a shorter limit would close
/// a handoff before a person could reasonably answer it.
fn abandon_after(
    file: &Path,
    text: &str,
    v: &Option<Spanned<i64>>,
    errors: &mut Vec<Diagnostic>,
) -> u32 {
    let Some(v) = v else { return 0 };
    let n = *v.get_ref();
    match u32::try_from(n) {
        Ok(secs) if secs == 0 || (60..=604_800).contains(&secs) => secs,
        _ => {
            errors.push(
                Diagnostic::at_span(
                    file,
                    text,
                    v.span(),
                    format!(
                        "`limits.abandon_after_secs` must be 0 (never) or from 60 to 604800, found `{n}`"
                    ),
                )
                .with_help("the seconds a waiting handoff may go without a word from the customer, e.g. `1800` for half an hour"),
            );
            0
        }
    }
}

/// "did you mean" among `names`, or a list of them.
pub(crate) fn choose_help(word: &str, names: &[&str], what: &str) -> String {
    match did_you_mean(word, names.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if names.is_empty() => format!("no {what} are declared"),
        None => format!("the {what} are {}", backticked(names)),
    }
}
