//! `[[trigger.tests]]`: a tenant's inline self-tests for its trigger policy.

use super::diagnostic::{Diagnostic, Span};
use super::hours::Hours;
use super::names::{backticked, did_you_mean};
use super::schema::{RawSelfTest, RawTestCustomer, RawTestMessage};
use baton_plugin_sdk::{Conversation, Customer, Message, Reason, Role};
use jiff::civil::DateTime;
use jiff::{Timestamp, ToSpan};
use std::collections::HashMap;
use std::path::Path;

/// Where a self-test's messages start when they give no `at`: Monday 2 March 2026, 10:00
/// in the tenant's time zone (business hours for most), one minute apart.
pub const SELF_TEST_EPOCH: DateTime = jiff::civil::date(2026, 3, 2).at(10, 0, 0, 0);

/// One inline self-test: a conversation and what the trigger should say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfTest {
    /// The test's `name`.
    pub name: String,
    /// The conversation, with the tenant's clock at its last message.
    pub conversation: Conversation,
    /// Whether the trigger should escalate.
    pub expect_escalate: bool,
    /// The reason it should give, when the test names one.
    pub expect_reason: Option<Reason>,
    /// The `[[trigger.tests]]` table, for pointing a failure at it.
    pub span: Span,
}

/// Build and check the self-tests, pushing problems onto `errors`.
pub(crate) fn build(
    file: &Path,
    text: &str,
    raw: &[toml::Spanned<RawSelfTest>],
    hours: &Hours,
    errors: &mut Vec<Diagnostic>,
) -> Vec<SelfTest> {
    let at = |span: Span, msg: String| Diagnostic::at_span(file, text, span, msg);
    let mut out = Vec::new();
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (index, t) in raw.iter().enumerate() {
        let before = errors.len();
        let test = t.get_ref();
        let name = test.name.get_ref().as_str();
        if name.trim().is_empty() {
            errors.push(at(test.name.span(), "a self-test's `name` is empty".into()));
        } else if let Some(first) = names.insert(name, index) {
            errors.push(
                at(
                    test.name.span(),
                    format!("duplicate self-test name `{name}`"),
                )
                .with_help(format!("the first is self-test number {}", first + 1)),
            );
        }
        let channel = match &test.channel {
            Some(c) if c.get_ref().trim().is_empty() => {
                errors.push(
                    at(c.span(), "`channel` is empty".into())
                        .with_help("leave it out for `web_chat`"),
                );
                String::new()
            }
            Some(c) => c.get_ref().clone(),
            None => "web_chat".to_string(),
        };
        let customer = customer(test.customer.as_ref());
        let messages = build_messages(file, text, test.messages.get_ref(), hours, errors);
        if test.messages.get_ref().is_empty() {
            errors.push(at(
                test.messages.span(),
                format!("self-test `{name}` has no messages"),
            ));
        } else if messages.last().is_some_and(|m| m.role != Role::Customer) {
            let last = test
                .messages
                .get_ref()
                .last()
                .map_or(test.messages.span(), |m| m.span());
            errors.push(
                at(last, format!("self-test `{name}` must end with a customer message"))
                    .with_help("the trigger is asked after each customer message; end the test on the one it should judge"),
            );
        }
        let expect = test.expect.get_ref();
        let reason = match &expect.reason {
            None => None,
            Some(r) => match check_reason(r.get_ref()) {
                Ok(reason) if !expect.escalate => {
                    errors.push(
                        at(
                            r.span(),
                            format!("a reason `{reason}` is given but `escalate = false`"),
                        )
                        .with_help("a reason only goes with `escalate = true`"),
                    );
                    None
                }
                Ok(reason) => Some(reason),
                Err((msg, help)) => {
                    errors.push(at(r.span(), msg).with_help(help));
                    None
                }
            },
        };
        if errors.len() > before {
            continue;
        }
        let now = messages
            .last()
            .and_then(|m| Timestamp::from_millisecond(m.at_ms).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        out.push(SelfTest {
            name: name.to_string(),
            conversation: Conversation {
                id: format!("self-test-{}", index + 1),
                channel,
                customer,
                messages,
                clock: hours.clock_at(now),
            },
            expect_escalate: expect.escalate,
            expect_reason: reason,
            span: t.span(),
        });
    }
    out
}

/// A self-test's `customer`, defaulting the name to "Test Customer".
pub(super) fn customer(raw: Option<&RawTestCustomer>) -> Customer {
    match raw {
        None => Customer {
            name: "Test Customer".to_string(),
            ..Customer::default()
        },
        Some(c) => Customer {
            name: c
                .name
                .clone()
                .unwrap_or_else(|| "Test Customer".to_string()),
            phone: c.phone.clone(),
            email: c.email.clone(),
            address: c.address.clone(),
            repeat_customer: c.repeat_customer,
            lifetime_value_usd: c.lifetime_value_usd,
            tags: c.tags.clone(),
        },
    }
}

fn build_messages(
    file: &Path,
    text: &str,
    raw: &[toml::Spanned<RawTestMessage>],
    hours: &Hours,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Message> {
    let at = |span: Span, msg: String| Diagnostic::at_span(file, text, span, msg);
    let start = SELF_TEST_EPOCH
        .to_zoned(hours.time_zone.clone())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut previous: Option<Timestamp> = None;
    let mut out = Vec::new();
    for m in raw {
        let msg = m.get_ref();
        let role = match msg.role.get_ref().as_str() {
            "customer" => Some(Role::Customer),
            "bot" => Some(Role::Bot),
            "agent" => Some(Role::Agent),
            "system" => Some(Role::System),
            other => {
                let roles = ["customer", "bot", "agent", "system"];
                let help = match did_you_mean(other, roles) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("a role is {}", backticked(&roles)),
                };
                errors.push(at(msg.role.span(), format!("unknown role `{other}`")).with_help(help));
                None
            }
        };
        if role.is_some_and(|r| r != Role::Bot) {
            for (key, span) in [
                ("intent", msg.intent.as_ref().map(|s| s.span())),
                ("confidence", msg.confidence.as_ref().map(|s| s.span())),
            ] {
                if let Some(span) = span {
                    errors.push(at(span, format!("only bot messages have `{key}`")));
                }
            }
        }
        let confidence = msg.confidence.as_ref().map(|c| {
            let v = *c.get_ref();
            if !(0.0..=1.0).contains(&v) {
                errors.push(at(
                    c.span(),
                    format!("`confidence` must be from 0.0 to 1.0, found `{v}`"),
                ));
            }
            v as f32
        });
        let when = match &msg.at {
            None => previous.map_or(Some(start), |p| p.checked_add(1.minute()).ok()),
            Some(value) => parse_at(value.get_ref()).map_or_else(
                |(m, help)| {
                    errors.push(at(value.span(), m).with_help(help));
                    None
                },
                Some,
            ),
        };
        if let (Some(w), Some(p)) = (when, previous) {
            if w < p {
                if let Some(v) = &msg.at {
                    errors.push(at(
                        v.span(),
                        "`at` is earlier than the message before it".into(),
                    ));
                }
            }
        }
        previous = when.or(previous);
        out.push(Message {
            role: role.unwrap_or(Role::Customer),
            text: msg.text.clone(),
            at_ms: when.unwrap_or(start).as_millisecond(),
            intent: msg.intent.as_ref().map(|s| s.get_ref().clone()),
            confidence,
        });
    }
    out
}

/// `at`: an RFC 3339 string, or a TOML offset date-time.
pub(super) fn parse_at(v: &toml::Value) -> Result<Timestamp, (String, String)> {
    let help = "write an RFC 3339 time with a UTC offset, e.g. `2026-03-02T18:01:00Z` or `2026-03-02T12:01:00-06:00`".to_string();
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err((
                format!("`at` must be a time, found a {}", other.type_str()),
                help,
            ))
        }
    };
    text.parse::<Timestamp>()
        .map_err(|_| (format!("`{text}` is not a time with a UTC offset"), help))
}

/// A reason name, refusing names that are neither stock nor valid custom names, and custom
/// names one edit away from a stock one (`explict_request`), which are almost surely typos.
pub(super) fn check_reason(name: &str) -> Result<Reason, (String, String)> {
    let stock: Vec<&str> = Reason::STOCK.iter().map(Reason::as_str).collect();
    match name.parse::<Reason>() {
        Ok(Reason::Custom(custom)) => {
            match stock.iter().find(|s| strsim::osa_distance(s, &custom) <= 1) {
                Some(s) => Err((
                    format!("unknown reason `{custom}`"),
                    format!("did you mean `{s}`? (a custom reason must not be this close to a stock one)"),
                )),
                None => Ok(Reason::Custom(custom)),
            }
        }
        Ok(reason) => Ok(reason),
        Err(_) => Err((
            format!("unknown reason `{name}`"),
            match did_you_mean(name, stock.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "use one of {}, or a custom reason in lowercase snake_case of at most 40 characters",
                    backticked(&stock)
                ),
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(check_reason("emergency"), Ok(Reason::Emergency));
        assert_eq!(
            check_reason("warranty_claim"),
            Ok(Reason::Custom("warranty_claim".into()))
        );
        assert_eq!(
            check_reason("high_volume"),
            Ok(Reason::Custom("high_volume".into()))
        );
        assert!(check_reason("explict_request")
            .is_err_and(|(_, h)| h.starts_with("did you mean `explicit_request`?")));
        assert!(check_reason("Billing Dispute")
            .is_err_and(|(_, h)| h == "did you mean `billing_dispute`?"));
        assert!(check_reason("?").is_err());
    }

    #[test]
    fn times() {
        let s = |t: &str| parse_at(&toml::Value::String(t.into()));
        assert_eq!(
            s("2026-03-02T18:01:00Z").ok(),
            "2026-03-02T18:01:00Z".parse().ok()
        );
        assert!(s("2026-03-02T18:01:00").is_err());
        assert!(s("yesterday").is_err());
        assert!(parse_at(&toml::Value::Integer(5)).is_err());
    }
}
