//! Queues, agents, the fallback queue, webhooks and plugins: checked and built.

use super::checks;
use super::diagnostic::{Diagnostic, Span};
use super::load::{choose_help, ranged};
use super::schema::{RawAgent, RawFallback, RawQueue, RawWebhook, S};
use super::{AgentConfig, Alert, PluginSpec, QueueConfig, Webhook, WebhookEvent};
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

/// The fallback queue's name when none is given.
pub const DEFAULT_FALLBACK_QUEUE: &str = "general";

/// Default `target_wait_secs`.
const DEFAULT_TARGET_WAIT_SECS: u32 = 300;

fn at(file: &Path, text: &str, span: Span, msg: String) -> Diagnostic {
    Diagnostic::at_span(file, text, span, msg)
}

/// Report the second and later uses of a name.
fn check_unique<'a>(
    file: &Path,
    text: &str,
    what: &str,
    names: impl IntoIterator<Item = &'a S>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for n in names {
        if let Some(first) = seen.get(n.get_ref().as_str()) {
            let line = text[..first.start.min(text.len())].matches('\n').count() + 1;
            errors.push(
                at(
                    file,
                    text,
                    n.span(),
                    format!("duplicate {what} `{}`", n.get_ref()),
                )
                .with_help(format!(
                    "the first is on line {line}; each {what} must be unique"
                )),
            );
        } else {
            seen.insert(n.get_ref(), n.span());
        }
    }
}

fn skills(file: &Path, text: &str, raw: &[S], errors: &mut Vec<Diagnostic>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw {
        let skill = s.get_ref().trim();
        if skill.is_empty() {
            errors.push(at(file, text, s.span(), "a skill is empty".into()));
        } else if !out.iter().any(|o| o == skill) {
            out.push(skill.to_string());
        }
    }
    out
}

pub(crate) fn queues(
    file: &Path,
    text: &str,
    raw: &[Spanned<RawQueue>],
    errors: &mut Vec<Diagnostic>,
) -> Vec<QueueConfig> {
    check_unique(
        file,
        text,
        "queue name",
        raw.iter().map(|q| &q.get_ref().name),
        errors,
    );
    raw.iter()
        .map(|q| {
            let q = q.get_ref();
            if q.name.get_ref().trim().is_empty() || q.name.get_ref().trim() != q.name.get_ref() {
                errors.push(at(
                    file,
                    text,
                    q.name.span(),
                    format!(
                        "queue name `{}` is empty or has spaces around it",
                        q.name.get_ref()
                    ),
                ));
            }
            QueueConfig {
                name: q.name.get_ref().clone(),
                skills: skills(file, text, &q.skills, errors),
                target_wait_secs: ranged(
                    file,
                    text,
                    &q.target_wait_secs,
                    "target_wait_secs",
                    1,
                    86_400,
                    DEFAULT_TARGET_WAIT_SECS,
                    errors,
                ),
            }
        })
        .collect()
}

pub(crate) fn agents(
    file: &Path,
    text: &str,
    raw: &[Spanned<RawAgent>],
    errors: &mut Vec<Diagnostic>,
) -> Vec<AgentConfig> {
    check_unique(
        file,
        text,
        "agent id",
        raw.iter().map(|a| &a.get_ref().id),
        errors,
    );
    raw.iter()
        .map(|a| {
            let a = a.get_ref();
            let id = a.id.get_ref();
            if !checks::is_id(id) {
                errors.push(
                    at(file, text, a.id.span(), format!("agent id `{id}` is not valid"))
                        .with_help("use lowercase letters, digits, `-` and `_`, at most 64 characters, e.g. `sam`"),
                );
            }
            if a.name.get_ref().trim().is_empty() {
                errors.push(at(file, text, a.name.span(), format!("agent `{id}` has an empty `name`")));
            }
            let mut alert = Alert::default();
            if let Some(raw) = &a.alert {
                if let Some(e) = &raw.email {
                    if !checks::is_email(e.get_ref()) {
                        errors.push(at(file, text, e.span(), format!("`{}` is not an email address", e.get_ref())));
                    }
                    alert.email = Some(e.get_ref().clone());
                }
                if let Some(p) = &raw.sms {
                    if !checks::is_e164(p.get_ref()) {
                        let d = at(file, text, p.span(), format!("`{}` is not a phone number in E.164 form", p.get_ref()));
                        errors.push(match checks::as_e164(p.get_ref()) {
                            Some(s) => d.with_help(format!("write it as `{s}`")),
                            None => d.with_help("write `+`, the country code and the number, digits only, e.g. `+15555550100`"),
                        });
                    }
                    alert.sms = Some(p.get_ref().clone());
                }
            }
            AgentConfig {
                id: id.clone(),
                name: a.name.get_ref().trim().to_string(),
                skills: skills(file, text, &a.skills, errors),
                capacity: ranged(file, text, &a.capacity, "capacity", 1, 50, 2, errors),
                on_call: a.on_call,
                alert,
            }
        })
        .collect()
}

/// The fallback queue's name. With no `[[queues]]`, its queue is implied and added to
/// `queues`.
pub(crate) fn fallback(
    file: &Path,
    text: &str,
    raw: Option<&Spanned<RawFallback>>,
    raw_queues: &[Spanned<RawQueue>],
    queues: &mut Vec<QueueConfig>,
    errors: &mut Vec<Diagnostic>,
) -> String {
    let name = raw.map(|f| f.get_ref().queue.get_ref().clone());
    if raw_queues.is_empty() {
        let name = name.unwrap_or_else(|| DEFAULT_FALLBACK_QUEUE.to_string());
        if let Some(f) = raw.filter(|_| name.trim().is_empty() || name.trim() != name) {
            errors.push(at(
                file,
                text,
                f.get_ref().queue.span(),
                format!("fallback queue name `{name}` is empty or has spaces around it"),
            ));
        }
        queues.push(QueueConfig {
            name: name.clone(),
            skills: Vec::new(),
            target_wait_secs: DEFAULT_TARGET_WAIT_SECS,
        });
        return name;
    }
    let names: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    match raw {
        None => {
            let first = raw_queues.first().map_or(0..0, |q| q.span());
            errors.push(
                at(
                    file,
                    text,
                    first,
                    "queues are declared but no fallback queue is named".into(),
                )
                .with_help(format!(
                    "add `[fallback]` naming the queue where handoffs wait when nothing better fits, e.g. `queue = \"{}\"`",
                    names.first().unwrap_or(&DEFAULT_FALLBACK_QUEUE),
                )),
            );
            String::new()
        }
        Some(f) => {
            let q = &f.get_ref().queue;
            if !names.contains(&q.get_ref().as_str()) {
                errors.push(
                    at(
                        file,
                        text,
                        q.span(),
                        format!(
                            "fallback queue `{}` is not one of the `[[queues]]`",
                            q.get_ref()
                        ),
                    )
                    .with_help(choose_help(q.get_ref(), &names, "queues")),
                );
            }
            q.get_ref().clone()
        }
    }
}

pub(crate) fn webhooks(
    file: &Path,
    text: &str,
    raw: &[Spanned<RawWebhook>],
    errors: &mut Vec<Diagnostic>,
) -> Vec<Webhook> {
    let known: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
    raw.iter()
        .map(|w| {
            let hook = w.get_ref();
            if let Err(why) = checks::check_url(hook.url.get_ref()) {
                errors.push(
                    at(file, text, hook.url.span(), format!("`{}` is not a webhook URL: {why}", hook.url.get_ref()))
                        .with_help("e.g. `url = \"https://crm.acme.example/baton\"`"),
                );
            }
            let mut events = Vec::new();
            if hook.events.get_ref().is_empty() {
                errors.push(
                    at(file, text, hook.events.span(), "`events` is empty".into())
                        .with_help("list the events to send, or `[\"*\"]` for all of them"),
                );
            }
            for e in hook.events.get_ref() {
                if e.get_ref() == "*" {
                    events.extend(WebhookEvent::ALL);
                } else if let Some(ev) = WebhookEvent::from_name(e.get_ref()) {
                    events.push(ev);
                } else {
                    errors.push(
                        at(file, text, e.span(), format!("unknown webhook event `{}`", e.get_ref()))
                            .with_help(match super::names::did_you_mean(e.get_ref(), known.iter().copied()) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("the events are {}, or `*` for all", super::names::backticked(&known)),
                            }),
                    );
                }
            }
            events.sort();
            events.dedup();
            if let Some(s) = &hook.secret_env {
                if !checks::is_env_var_name(s.get_ref()) {
                    errors.push(
                        at(file, text, s.span(), "`secret_env` must be the name of an environment variable, not the secret itself".into())
                            .with_help("put the secret in an environment variable and give its name here, e.g. `secret_env = \"ACME_WEBHOOK_SECRET\"` (uppercase letters, digits and `_`)")
                            .redact(text, s.span()),
                    );
                }
            }
            Webhook {
                url: hook.url.get_ref().clone(),
                events,
                secret_env: hook.secret_env.as_ref().map(|s| s.get_ref().clone()),
                span: w.span(),
            }
        })
        .collect()
}

pub(crate) fn plugin(
    file: &Path,
    text: &str,
    base: &Path,
    table: &str,
    path: &S,
    config: Option<&Spanned<toml::Table>>,
    errors: &mut Vec<Diagnostic>,
) -> PluginSpec {
    let written = path.get_ref();
    if written.trim().is_empty() {
        errors.push(
            at(
                file,
                text,
                path.span(),
                format!("`{table}.plugin` is empty"),
            )
            .with_help(
                "name the plugin's `.wasm` file, absolute or relative to this file's folder",
            ),
        );
    }
    let p = Path::new(written);
    let resolved = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    let (config_json, config_span) = match config {
        None => ("{}".to_string(), path.span()),
        Some(c) => {
            let json = match to_json(&toml::Value::Table(c.get_ref().clone())) {
                Ok(v) => v.to_string(),
                Err(why) => {
                    errors.push(at(
                        file,
                        text,
                        c.span(),
                        format!("`{table}.config` can't be passed to the plugin: {why}"),
                    ));
                    "{}".to_string()
                }
            };
            (json, c.span())
        }
    };
    PluginSpec {
        path: resolved,
        path_span: path.span(),
        config_json,
        config_span,
    }
}

/// A TOML value as JSON: date-times become RFC 3339 strings; NaN and infinities are refused.
fn to_json(v: &toml::Value) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    Ok(match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .ok_or_else(|| format!("`{f}` has no JSON form"))?,
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}
